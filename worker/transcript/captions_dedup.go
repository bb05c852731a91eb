package transcript

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Caption styles: how the cues of a subtitle file relate to each other.
const (
	// styleOrdinary: each cue holds text of its own, read as it is.
	styleOrdinary = iota
	// styleRolling: each cue repeats the last line of the cue before and
	// adds to it. YouTube's auto-captions show a window of two lines, the
	// line being spoken at the bottom (with a timestamp before each
	// word), then for 10 ms that line alone, then the same line at the
	// top with the next one below; roll-up and paint-on captions grow
	// their last line word by word.
	styleRolling
	// styleHighlight: each cue repeats the whole subtitle with another
	// word marked: Whisper's and WhisperX's --highlight_words (<u>),
	// stable-ts (<font color>), karaoke subtitles that color the words
	// sung so far; between words, a cue of the subtitle unmarked.
	styleHighlight
)

// maxStylePairs bounds the consecutive cue pairs captionStyle looks at:
// a file's first thousands of cues show its style.
const maxStylePairs = 4096

// captionStyle tells the style of SRT or WebVTT content from its cues.
// Consecutive cues with text overlap when the second has the same text
// as the first with only markup moved (highlight), or starts with the
// first one's last line, or with a line that starts with the words of
// that line (rolling).
//
// A cue that repeats the one before with another word marked makes a
// highlight file. A file that shows YouTube wrote it is rolling when at
// least half of its pairs overlap: timestamps inside cue text, a cue
// opened by a line of white space, a cue of 50 ms or less that repeats
// the text before (its conversions to SRT keep those). Any other file
// is de-duplicated only when nine pairs in ten overlap, and at least
// twenty do, so that an ordinary file whose cues happen to repeat a word
// or a line ("no" / "no, that's wrong") keeps every word.
func captionStyle(s string, vtt bool) int {
	g := cueGroups{c: newCueReader(s, vtt)}
	var a, b normCue
	prev, cur := &a, &b
	pairs, identical, rolling, moved := 0, 0, 0, 0
	machine := false // the file shows that a program wrote repeating cues
	havePrev := false
	for pairs < maxStylePairs && g.next(cur) {
		machine = machine || cur.timed || cur.fresh
		if cur.long {
			havePrev = false
			continue
		}
		if cur.words == 0 {
			continue
		}
		if havePrev {
			pairs++
			switch {
			case cur.sameText(prev) && !prev.fresh:
				identical++
				if cur.mark != prev.mark {
					moved++
				}
				machine = machine || cur.short || prev.short
			case !cur.fresh:
				// A cue the same as a cue that opened a window is
				// YouTube's: the line alone, before it rolls up.
				if _, ok := carry(prev, cur); ok {
					rolling++
					machine = machine || cur.short || prev.short
				}
			}
		}
		prev, cur = cur, prev
		havePrev = true
	}
	overlap := identical + rolling
	switch {
	case moved > 0 && identical >= rolling:
		return styleHighlight
	case machine && overlap > 0 && 2*overlap >= pairs:
		// YouTube's: its windows that open after a pause give pairs of
		// the same text too, which the rolling rules read right.
		return styleRolling
	case overlap >= 20 && 10*overlap >= 9*pairs:
		if identical > rolling {
			return styleHighlight
		}
		return styleRolling
	}
	return styleOrdinary
}

// dedupCues writes the text of captions of a repeating style to w, each
// spoken word once.
//
// Rolling: the lines a cue carries over from the cue before are
// skipped, and of a line that grows, only its new words are written. A
// cue that opens a new window (its first line blank) carries nothing.
//
// Highlight: a cue with the same text as the cue before is the same
// subtitle again, unless the marked word moved back (or stayed), which
// starts the subtitle anew: a line said twice ("no no" / "no no") is
// written twice. So does a cue that opens a new window.
func dedupCues(w *turnWriter, s string, vtt bool, style int) {
	g := cueGroups{c: newCueReader(s, vtt), spill: w}
	var a, b normCue
	prev, cur := &a, &b
	havePrev := false
	lastMark := -1 // highlight: the marked word of the subtitle's last marked cue
	for !w.over && g.next(cur) {
		if cur.long {
			// Written as it was read; the next cue starts afresh.
			havePrev, lastMark = false, -1
			continue
		}
		if cur.words == 0 {
			continue
		}
		switch {
		case !havePrev:
			cur.writeLines(w, 0)
			lastMark = cur.mark
		case style == styleHighlight:
			if cur.sameText(prev) && !cur.fresh && (cur.mark < 0 || lastMark < 0 || cur.mark > lastMark) {
				if cur.mark >= 0 {
					lastMark = cur.mark
				}
				break
			}
			cur.writeLines(w, 0)
			lastMark = cur.mark
		default:
			k, ok := carry(prev, cur)
			if cur.fresh || !ok {
				cur.writeLines(w, 0)
				break
			}
			// Line k-1 starts with the last line of the cue before:
			// write its words after those, then the lines after it.
			if skip := lineWords(prev.line(prev.lines() - 1)); skip < lineWords(cur.line(k-1)) {
				w.cueText(cur.raw[k-1][wordOffset(cur.raw[k-1], skip):], false)
			}
			cur.writeLines(w, k)
		}
		prev, cur = cur, prev
		havePrev = true
	}
}

// maxCarry bounds the lines a rolling cue carries over from the cue
// before: roll-up captions show four rows at most, YouTube two.
const maxCarry = 8

// carry finds how cur continues prev in rolling captions: the smallest
// k such that cur's first k-1 lines are the k-1 lines before prev's last
// line, and cur's line k-1 is prev's last line or starts with its words.
func carry(prev, cur *normCue) (k int, ok bool) {
	m, n := prev.lines(), cur.lines()
	last := prev.line(m - 1)
	for k = 1; k <= min(m, n, maxCarry); k++ {
		same := true
		for i := 0; i < k-1 && same; i++ {
			same = bytes.Equal(cur.line(i), prev.line(m-k+i))
		}
		if same && startsWithWords(cur.line(k-1), last) {
			return k, true
		}
	}
	return 0, false
}

// startsWithWords reports whether the normalized line l is p or starts
// with the words of p.
func startsWithWords(l, p []byte) bool {
	return bytes.HasPrefix(l, p) && (len(l) == len(p) || l[len(p)] == ' ')
}

// lineWords returns the number of words of a normalized line.
func lineWords(l []byte) int {
	if len(l) == 0 {
		return 0
	}
	return bytes.Count(l, []byte{' '}) + 1
}

// Bounds of the cues that are compared: a cue with more lines or text
// is no rolling window or highlighted subtitle, and it is read straight
// into the turns, so that comparing cues never holds more than this.
const (
	maxCueLines = 16
	maxCueBytes = 64 << 10
)

// cueGroups reads the cues of a cueReader one at a time.
type cueGroups struct {
	c       *cueReader
	spill   *turnWriter // where the lines of an overlong cue go (nil: nowhere)
	line    string      // the first line of the next cue, read ahead
	cue     int
	fresh   bool // of the cue read ahead
	short   bool
	pending bool
	done    bool
}

// next reads the lines of the next cue into n, and returns false when
// there is none. The lines of a cue over the bounds are written to
// g.spill as they come, and n is marked long.
func (g *cueGroups) next(n *normCue) bool {
	n.reset()
	if !g.pending {
		if g.done {
			return false
		}
		var ok bool
		if g.line, g.cue, ok = g.c.next(); !ok {
			g.done = true
			return false
		}
		g.fresh, g.short = g.c.fresh, g.c.short
	}
	n.fresh, n.short = g.fresh, g.short
	cue := g.cue
	g.add(n, g.line)
	for {
		line, c, ok := g.c.next()
		if !ok {
			g.pending, g.done = false, true
			return true
		}
		if c != cue {
			g.line, g.cue, g.fresh, g.short, g.pending = line, c, g.c.fresh, g.c.short, true
			return true
		}
		g.add(n, line)
	}
}

// add adds line t to n, or spills it when n is over the bounds.
func (g *cueGroups) add(n *normCue, t string) {
	if !n.long {
		if len(n.ends) < maxCueLines && len(n.buf)+1+len(t) <= maxCueBytes {
			n.addLine(t)
			return
		}
		n.long = true
		if g.spill != nil {
			n.writeLines(g.spill, 0)
		}
	}
	if g.spill != nil {
		g.spill.cueLine(t)
	}
}

// normCue is the text of one cue, normalized for comparing it with its
// neighbors: styling tags and timestamps dropped, white space collapsed
// to single spaces, lines without words left out, the lines joined by
// '\n'. Voice tags, character references and other text are kept as
// they are, so a normalized line reads as the cue line it comes from.
// Its buffers are reused from cue to cue.
type normCue struct {
	buf   []byte   // the normalized lines
	ends  []int    // where each line ends in buf
	raw   []string // each line as the content has it (trimmed)
	words int      // words in all the lines
	mark  int      // the last word inside a highlight tag (counted from 0), or -1
	depth int      // highlight tags open
	fresh bool     // the cue's first line is white space
	short bool     // the cue lasts 50 ms or less
	timed bool     // the cue's text holds a timestamp (<00:00:01.199>)
	long  bool     // the cue is over the bounds: its lines were spilled, not kept
}

func (n *normCue) reset() {
	n.buf, n.ends, n.raw = n.buf[:0], n.ends[:0], n.raw[:0]
	n.words, n.mark, n.depth = 0, -1, 0
	n.fresh, n.short, n.timed, n.long = false, false, false, false
}

// lines returns the number of lines with words.
func (n *normCue) lines() int { return len(n.ends) }

// line returns normalized line i.
func (n *normCue) line(i int) []byte {
	start := 0
	if i > 0 {
		start = n.ends[i-1] + 1
	}
	return n.buf[start:n.ends[i]]
}

// sameText reports whether n and o have the same normalized text.
func (n *normCue) sameText(o *normCue) bool {
	return bytes.Equal(n.buf, o.buf)
}

// writeLines writes the lines from the one numbered from as cue text.
func (n *normCue) writeLines(w *turnWriter, from int) {
	for _, raw := range n.raw[from:] {
		w.cueLine(raw)
	}
}

// addLine adds the trimmed cue line t, unless it has no words.
func (n *normCue) addLine(t string) {
	start := len(n.buf)
	if start > 0 {
		n.buf = append(n.buf, '\n')
	}
	words := 0
	n.buf, words, _ = normalizeCueLine(n.buf, t, n, -1)
	if words == 0 {
		n.buf = n.buf[:start]
		return
	}
	n.ends = append(n.ends, len(n.buf))
	n.raw = append(n.raw, t)
}

// wordOffset returns where word j (counted from 0) of the cue line t
// starts, as normalizeCueLine counts words.
func wordOffset(t string, j int) int {
	var n normCue
	_, _, at := normalizeCueLine(nil, t, &n, j)
	return at
}

// normalizeCueLine appends the words of cue line t to dst as normCue
// holds them, counting them and the highlight marks into n (n.words and
// n.mark count across the cue's lines). It returns the words of t, and
// when stop >= 0, the offset in t where word stop starts (len(t) when t
// has fewer words), without appending beyond it.
func normalizeCueLine(dst []byte, t string, n *normCue, stop int) (out []byte, words, at int) {
	lineStart := len(dst)
	space := false // a space is due before the next visible byte
	for i := 0; i < len(t); {
		c := t[i]
		switch c {
		case '<':
			j := i + 1
			for j < len(t) && t[j] != '>' && t[j] != '<' {
				j++
			}
			if j < len(t) && t[j] == '>' {
				tag := t[i+1 : j]
				switch tagKind(tag) {
				case tagDrop:
					switch {
					case tag[0] >= '0' && tag[0] <= '9':
						n.timed = true
					case tag[0] != '/':
						if isHighlightTag(tag) {
							n.depth++
						}
					case isHighlightTag(tag) || strings.EqualFold(tag, "/c"):
						// A closing tag has no class: </c> may close <c.highlight>.
						n.depth = max(n.depth-1, 0)
					}
					i = j + 1
					continue
				case tagBreak:
					space = true
					i = j + 1
					continue
				}
			}
		case '{':
			if end, ok := overrideEnd(t, i); ok {
				i = end
				continue
			}
		}
		size := 1
		blank := c <= ' ' || c == 0x7f
		if c >= utf8.RuneSelf {
			var r rune
			r, size = utf8.DecodeRuneInString(t[i:])
			blank = isSpace(r)
		}
		if blank {
			space = true
			i += size
			continue
		}
		if space || len(dst) == lineStart {
			// A word starts.
			if words == stop {
				return dst, words, i
			}
			if len(dst) > lineStart {
				dst = append(dst, ' ')
			}
			words++
			n.words++
			space = false
		}
		if n.depth > 0 {
			n.mark = n.words - 1
		}
		dst = append(dst, t[i:i+size]...)
		i += size
	}
	return dst, words, len(t)
}

// highlightTags are the names of the tags that mark words as spoken.
var highlightTags = []string{"u", "b", "font", "em", "strong", "span"}

// isHighlightTag reports whether a styling tag (the text between '<'
// and '>') marks words as spoken: <u>, <b>, <font>, <em>, <strong>,
// <span>, or <c> with a class (<c.highlight>). <i> is left out: it sets
// whole lines in italics. YouTube's <c> without a class wraps each word
// of its rolling captions and marks nothing.
func isHighlightTag(tag string) bool {
	tag = strings.TrimPrefix(tag, "/")
	name := tag
	if k := strings.IndexAny(tag, ". \t"); k >= 0 {
		name = tag[:k]
	}
	for _, h := range highlightTags {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return strings.EqualFold(name, "c") && len(tag) > 1 && tag[1] == '.'
}
