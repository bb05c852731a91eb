package transcript

import (
	"strings"
	"unicode"
)

// lineReader yields the lines of a string without copying them. Lines end
// at '\n' (Decode has already turned every other line end into one).
type lineReader struct {
	s      string
	pos    int
	peeked bool   // line and end hold the next line
	line   string // the peeked line
	end    int    // where the line after the peeked one starts
}

// next returns the next line, without its '\n', and false at the end.
func (r *lineReader) next() (string, bool) {
	if r.peeked {
		r.peeked = false
		r.pos = r.end
		return r.line, true
	}
	line, end, ok := r.scan()
	r.pos = end
	return line, ok
}

// peek returns the line next would return, without consuming it.
func (r *lineReader) peek() (string, bool) {
	if !r.peeked {
		var ok bool
		if r.line, r.end, ok = r.scan(); !ok {
			return "", false
		}
		r.peeked = true
	}
	return r.line, true
}

// scan finds the line at pos and where the next one starts.
func (r *lineReader) scan() (line string, end int, ok bool) {
	if r.pos >= len(r.s) {
		return "", r.pos, false
	}
	rest := r.s[r.pos:]
	i := strings.IndexByte(rest, '\n')
	if i < 0 {
		return rest, len(r.s), true
	}
	return rest[:i], r.pos + i + 1, true
}

// cleanText normalizes plain text: control characters other than tab
// become spaces, trailing white space is trimmed from every line, runs of
// blank lines collapse to one, and blank lines at either end are dropped.
// A diarization label that starts a line is named as in every format
// ("[SPEAKER_00]: hi", "SPEAKER_00: hi" and whisper.cpp's "(speaker 0)
// hi" become "Speaker 1: hi"; machinePrefix) where the name is no longer
// than the label, so that the text is never longer than s: a line that
// starts "spk_0: " keeps it. Nothing else changes: every word of s is in
// the result.
func cleanText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	r := lineReader{s: s}
	blank := false
	for {
		line, ok := r.next()
		if !ok {
			break
		}
		if hasControl(line) {
			line = strings.Map(controlToSpace, line)
		}
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		if line == "" {
			blank = true
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
			if blank {
				b.WriteByte('\n')
			}
		}
		blank = false
		writeLabeledLine(&b, line)
	}
	return b.String()
}

// writeLabeledLine writes a line of plain text to b, a diarization label
// at its start named when the name is no longer than the label.
func writeLabeledLine(b *strings.Builder, line string) {
	name, rest, ok := machinePrefix(strings.TrimLeft(line, " \t"))
	size := len(name) + 1 // "Name:"
	if rest != "" {
		size += 1 + len(rest) // " rest"
	}
	if !ok || size > len(line) {
		b.WriteString(line)
		return
	}
	b.WriteString(name)
	b.WriteByte(':')
	if rest != "" {
		b.WriteByte(' ')
		b.WriteString(rest)
	}
}

// hasControl reports whether s holds a control character other than tab:
// C0, DEL, or C1 (U+0080 to U+009F, encoded 0xC2 0x80..0x9F).
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 && c != '\t', c == 0x7f:
			return true
		case c == 0xc2 && i+1 < len(s) && s[i+1] <= 0x9f:
			return true
		}
	}
	return false
}

// controlToSpace maps control characters other than tab to a space.
func controlToSpace(r rune) rune {
	if unicode.IsControl(r) && r != '\t' {
		return ' '
	}
	return r
}
