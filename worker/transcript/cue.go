package transcript

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// isVTT reports whether s starts with the WebVTT signature (after blank
// lines): "WEBVTT" alone or followed by a space, tab or line end.
func isVTT(s string) bool {
	s = strings.TrimLeft(s, " \t\n")
	if !strings.HasPrefix(s, "WEBVTT") {
		return false
	}
	return len(s) == 6 || s[6] == ' ' || s[6] == '\t' || s[6] == '\n'
}

// looksSRT reports whether the first non-blank lines of s are an SRT cue
// start: a cue number then a timing line, or a timing line alone.
func looksSRT(s string) bool {
	r := lineReader{s: s}
	for {
		line, ok := r.next()
		if !ok {
			return false
		}
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if isTiming(t) {
			return true
		}
		if !isDigits(t) {
			return false
		}
		next, ok := r.next()
		return ok && isTiming(strings.TrimSpace(next))
	}
}

// hasTiming reports whether any line of s is a cue timing line.
func hasTiming(s string) bool {
	for s != "" {
		i := strings.Index(s, "-->")
		if i < 0 {
			return false
		}
		start := strings.LastIndexByte(s[:i], '\n') + 1
		end := strings.IndexByte(s[i:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += i
		}
		if isTiming(strings.TrimSpace(s[start:end])) {
			return true
		}
		s = s[end:]
	}
	return false
}

// isTiming reports whether the trimmed line t is a cue timing line:
// "00:00:01,000 --> 00:00:04,000" (SRT) or "00:01.000 --> 00:05.000
// align:start" (WebVTT, hours optional, cue settings after the end time).
func isTiming(t string) bool {
	i := strings.Index(t, "-->")
	if i < 0 {
		return false
	}
	end := strings.TrimLeft(t[i+3:], " \t")
	if j := strings.IndexAny(end, " \t"); j >= 0 {
		end = end[:j]
	}
	return isTimestamp(strings.TrimSpace(t[:i])) && isTimestamp(end)
}

// timingSpan returns the milliseconds from the start to the end of a
// timing line (isTiming), or -1 when the end is before the start.
func timingSpan(t string) int64 {
	i := strings.Index(t, "-->")
	end := strings.TrimLeft(t[i+3:], " \t")
	if j := strings.IndexAny(end, " \t"); j >= 0 {
		end = end[:j]
	}
	from, to := timestampMillis(strings.TrimSpace(t[:i])), timestampMillis(end)
	if to < from {
		return -1
	}
	return to - from
}

// timestampMillis returns the milliseconds of a cue timestamp
// (isTimestamp), saturating at a century.
func timestampMillis(s string) int64 {
	frac := ""
	if i := strings.IndexAny(s, ",."); i >= 0 {
		s, frac = s[:i], s[i+1:]
	}
	var ms int64
	for field := range strings.SplitSeq(s, ":") {
		v, _ := strconv.ParseInt(field, 10, 64)
		ms = min(ms*60+v, 1<<42)
	}
	ms *= 1000
	scale := int64(100)
	for i := 0; i < len(frac) && scale > 0; i++ {
		ms += int64(frac[i]-'0') * scale
		scale /= 10
	}
	return ms
}

// isTimestamp reports whether s is a cue timestamp: [hours:]mm:ss with an
// optional fraction after ',' or '.'.
func isTimestamp(s string) bool {
	if i := strings.IndexAny(s, ",."); i >= 0 {
		if !isDigits(s[i+1:]) {
			return false
		}
		s = s[:i]
	}
	parts := 0
	for s != "" {
		field, rest, more := strings.Cut(s, ":")
		if !isDigits(field) || (parts > 0 && len(field) > 2) {
			return false
		}
		parts++
		if !more {
			break
		}
		if rest == "" {
			return false
		}
		s = rest
	}
	return parts == 2 || parts == 3
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isVTTBlock reports whether the trimmed line t opens a WebVTT block that
// holds no spoken text: NOTE (a comment), STYLE or REGION.
func isVTTBlock(t string) bool {
	for _, kw := range []string{"NOTE", "STYLE", "REGION"} {
		if strings.HasPrefix(t, kw) && (len(t) == len(kw) || t[len(kw)] == ' ' || t[len(kw)] == '\t') {
			return true
		}
	}
	return false
}

// parseCues turns SRT (vtt false) or WebVTT content into turns. Cue
// numbers, identifiers and timing lines are dropped, and in WebVTT the
// header and NOTE, STYLE and REGION blocks too. Every other line is cue
// text, even when it is outside a cue, so that no spoken word is lost.
// Captions whose cues repeat each other's text (YouTube's rolling
// auto-captions, word-highlight and karaoke subtitles: captionStyle)
// give each spoken word once.
func parseCues(s string, vtt bool) (string, error) {
	w := newTurnWriter(textLimit(len(s)), len(s)/2)
	if style := captionStyle(s, vtt); style != styleOrdinary {
		dedupCues(w, s, vtt, style)
		return w.text()
	}
	c := newCueReader(s, vtt)
	for !w.over {
		line, _, ok := c.next()
		if !ok {
			break
		}
		w.cueLine(line)
	}
	return w.text()
}

// cueReader yields the lines of cue text of SRT or WebVTT content, each
// with the number of the cue it belongs to.
type cueReader struct {
	r           lineReader
	vtt         bool
	blockStart  bool // the line follows a blank line
	skipping    bool // inside a NOTE, STYLE or REGION block
	afterTiming bool // the line follows a timing line
	cue         int  // timing lines read: the number of the current cue
	fresh       bool // the current cue's first line is white space
	short       bool // the current cue lasts 50 ms or less
}

// newCueReader returns a reader of the cue text of s, past the WebVTT
// header when vtt.
func newCueReader(s string, vtt bool) *cueReader {
	c := &cueReader{r: lineReader{s: s}, vtt: vtt, blockStart: true}
	if vtt && isVTT(s) {
		// The header runs from the signature line to the first blank line.
		for {
			line, ok := c.r.next()
			if !ok || strings.TrimSpace(line) != "" {
				break
			}
		}
		for {
			line, ok := c.r.peek()
			if t := strings.TrimSpace(line); !ok || t == "" || isTiming(t) {
				break
			}
			c.r.next()
		}
	}
	return c
}

// next returns the next line of cue text, trimmed, and the number of its
// cue: 0 before the first timing line, then one more at each timing
// line. It returns false at the end.
func (c *cueReader) next() (line string, cue int, ok bool) {
	for {
		raw, ok := c.r.next()
		if !ok {
			return "", c.cue, false
		}
		t := strings.TrimSpace(raw)
		if t == "" {
			if c.afterTiming && raw != "" {
				// YouTube opens a new caption window with a line of
				// white space: not a blank line, the cue goes on.
				c.fresh, c.afterTiming = true, false
				continue
			}
			c.blockStart, c.skipping, c.afterTiming = true, false, false
			continue
		}
		timing := isTiming(t)
		if c.skipping && !timing {
			continue
		}
		c.skipping = false
		if timing {
			c.blockStart, c.afterTiming = false, true
			c.cue++
			c.fresh = false
			c.short = timingSpan(t) <= 50
			continue
		}
		c.afterTiming = false
		atStart := c.blockStart
		c.blockStart = false
		if c.vtt && atStart && isVTTBlock(t) {
			c.skipping = true
			continue
		}
		if (c.vtt && atStart) || isDigits(t) {
			// A cue number (SRT) or cue identifier (WebVTT) precedes the
			// timing line.
			if next, ok := c.r.peek(); ok && isTiming(strings.TrimSpace(next)) {
				continue
			}
		}
		return t, c.cue, true
	}
}

// cueLine adds one line of cue text: styling tags (<i>, <b>, <u>, <font>,
// <c.class>, <lang>, <ruby>, timestamps) and override blocks ({\an8}) are
// dropped, voice tags (<v Alice>, <v.loud Alice>) give the speaker,
// character references are decoded, and without a voice tag a label at the
// start ("Alice: ", "[Alice] ", "- Alice: ") does.
func (w *turnWriter) cueLine(t string) {
	w.cueText(t, true)
}

// cueText is cueLine for t that may not start a line (labels false): the
// rest of a line whose first words were written before, where a label
// cannot be.
func (w *turnWriter) cueText(t string, labels bool) {
	if strings.IndexAny(t, "<{&") < 0 {
		if labels {
			w.addLabeled(splitSpeaker(t))
		} else {
			w.add("", t)
		}
		return
	}
	w.scratch = w.scratch[:0]
	w.pieceSpk, w.pieceSet = "", false
	for i := 0; i < len(t); {
		c := t[i]
		switch c {
		case '<':
			j := i + 1
			for j < len(t) && t[j] != '>' && t[j] != '<' {
				j++
			}
			if j == len(t) || t[j] != '>' {
				break
			}
			switch kind, name := classifyTag(t[i+1 : j]); kind {
			case tagVoice:
				w.flushPiece(labels)
				w.pieceSpk, w.pieceSet = name, name != ""
			case tagVoiceEnd:
				w.flushPiece(labels)
				w.pieceSpk, w.pieceSet = "", false
			case tagBreak:
				w.scratch = append(w.scratch, ' ')
			case tagDrop:
			default:
				w.scratch = append(w.scratch, t[i:j+1]...)
			}
			i = j + 1
			continue
		case '{':
			if end, ok := overrideEnd(t, i); ok {
				i = end
				continue
			}
		case '&':
			if r, n := entity(t[i:]); n > 0 {
				if r >= 0 {
					w.scratch = utf8.AppendRune(w.scratch, r)
				}
				i += n
				continue
			}
		}
		w.scratch = append(w.scratch, c)
		i++
	}
	w.flushPiece(labels)
}

// flushPiece adds the text collected by cueText under its speaker; when
// labels, a label at its start gives the speaker of a piece without a
// voice tag.
func (w *turnWriter) flushPiece(labels bool) {
	if len(w.scratch) == 0 {
		if w.pieceSet {
			w.add(w.pieceSpk, "")
		}
		return
	}
	text := string(w.scratch)
	w.scratch = w.scratch[:0]
	switch {
	case w.pieceSet:
		w.add(w.pieceSpk, text)
	case labels:
		w.addLabeled(splitSpeaker(text))
	default:
		w.add("", text)
	}
}

// Kinds of markup tags in cue text.
const (
	tagLiteral  = iota // not markup: kept as text
	tagDrop            // styling or a timestamp: dropped
	tagBreak           // <br>: a space
	tagVoice           // <v Name>
	tagVoiceEnd        // </v>
)

// classifyTag says what the tag between '<' and '>' is, and for a voice tag
// the speaker's name.
func classifyTag(tag string) (kind int, name string) {
	if kind = tagKind(tag); kind != tagVoice {
		return kind, ""
	}
	annotation := ""
	if sp := strings.IndexAny(tag, " \t"); sp >= 0 {
		annotation = tag[sp+1:]
	}
	return tagVoice, speakerName(decodeEntities(annotation))
}

// tagKind says what the tag between '<' and '>' is.
func tagKind(tag string) int {
	if tag == "" {
		return tagLiteral
	}
	if tag[0] >= '0' && tag[0] <= '9' {
		if isTimestamp(tag) {
			return tagDrop
		}
		return tagLiteral
	}
	closing := tag[0] == '/'
	body := tag
	if closing {
		body = tag[1:]
	}
	n := strings.IndexAny(body, ". \t")
	if n < 0 {
		n = len(body)
	}
	name := body[:n]
	switch {
	case strings.EqualFold(name, "v"):
		if closing {
			return tagVoiceEnd
		}
		return tagVoice
	case strings.EqualFold(name, "br"):
		return tagBreak
	}
	for _, style := range styleTags {
		if strings.EqualFold(name, style) {
			return tagDrop
		}
	}
	return tagLiteral
}

// styleTags are the names of the tags that style cue text: they are
// dropped, their text kept.
var styleTags = []string{"c", "i", "b", "u", "s", "lang", "ruby", "rt", "rp", "font", "span", "em", "strong", "sub", "sup", "small", "big"}

// decodeEntities decodes the character references in s.
func decodeEntities(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '&' {
			if r, n := entity(s[i:]); n > 0 {
				if r >= 0 {
					b.WriteRune(r)
				}
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// entities are the named character references of cue text. &nbsp; is a
// plain space here and the direction marks (-1) are dropped: the text is
// read, not laid out.
var entities = map[string]rune{
	"amp": '&', "lt": '<', "gt": '>', "nbsp": ' ', "quot": '"', "apos": '\'',
	"lrm": -1, "rlm": -1, "hellip": '…', "mdash": '—', "ndash": '–',
}

// entity decodes the character reference s starts with ("&amp;", "&#233;",
// "&#xE9;") and returns the rune (-1 for one that is dropped) and its
// length, or n 0 when s does not start with one.
func entity(s string) (r rune, n int) {
	end := strings.IndexByte(s[:min(len(s), 12)], ';')
	if end < 2 {
		return 0, 0
	}
	name := s[1:end]
	if name[0] != '#' {
		if r, ok := entities[name]; ok {
			return r, end + 1
		}
		return 0, 0
	}
	var v uint64
	var err error
	if len(name) > 2 && (name[1] == 'x' || name[1] == 'X') {
		v, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		v, err = strconv.ParseUint(name[1:], 10, 32)
	}
	if err != nil || v == 0 || v > utf8.MaxRune || (v >= 0xd800 && v <= 0xdfff) {
		return 0, 0
	}
	return rune(v), end + 1
}

// overrideEnd reports whether t holds an SSA-style override ("{\an8}") at
// i, and where it ends.
func overrideEnd(t string, i int) (end int, ok bool) {
	if i+1 >= len(t) || t[i] != '{' || t[i+1] != '\\' {
		return 0, false
	}
	j := i + 2
	for j < len(t) && t[j] != '}' && t[j] != '{' {
		j++
	}
	if j < len(t) && t[j] == '}' {
		return j + 1, true
	}
	return 0, false
}
