package chunk

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/summarizer/summarizer/worker/internal/sentence"
)

// level is the strength of a boundary: a chunk preferably ends at the
// strongest boundary it can reach.
type level int8

const (
	levelRune      level = iota // inside a word: only when a word alone exceeds the budget
	levelWord                   // white space
	levelSoftLine               // a line break inside a sentence (hard-wrapped prose, unpunctuated captions)
	levelClause                 // after ',', ';', ':' and their CJK forms
	levelSentence               // after '.', '!', '?', '…', '。', ...
	levelLine                   // a line break after the end of a sentence
	levelParagraph              // a blank line
	levelTurn                   // a line that opens with a speaker label ("Alice: ...")
	levelEnd                    // the end of the text
)

// brk is a boundary: a piece of text starts at pos, and the piece before it
// ends at end (its trailing white space excluded, so end <= pos).
type brk struct {
	pos, end int
	level    level
}

// boundaries returns the boundaries of text[lo:hi], which starts and ends
// with a non-space character, in order, followed by a final boundary at hi
// with levelEnd. lo itself is not included.
func boundaries(text string, lo, hi int) []brk {
	// About one boundary per 6 bytes of English.
	out := make([]brk, 0, (hi-lo)/6+1)
	labelStart, labelEnd := lo, lo+sentence.SpeakerLabel(lineAt(text, lo, hi))
	tok := lo // start of the current white-space-free token
	for i := lo; i < hi; {
		r, size := utf8.DecodeRuneInString(text[i:hi])
		if unicode.IsSpace(r) {
			j, newlines := i, 0
			for j < hi {
				r2, s2 := utf8.DecodeRuneInString(text[j:hi])
				if !unicode.IsSpace(r2) {
					break
				}
				switch {
				case r2 == '\n', r2 == '\u0085', r2 == '\u2028', r2 == '\r' && (j+1 == hi || text[j+1] != '\n'):
					newlines++
				case r2 == '\u2029':
					newlines += 2
				}
				j += s2
			}
			inLabel := i > labelStart && i <= labelEnd
			if lv := classify(text, tok, i, j, hi, newlines, inLabel); lv != levelRune {
				out = append(out, brk{pos: j, end: i, level: lv})
			}
			if newlines > 0 {
				labelStart, labelEnd = j, j+sentence.SpeakerLabel(lineAt(text, j, hi))
			}
			i, tok = j, j
			continue
		}
		if isCJKStop(r) || isCJKClause(r) {
			// CJK sentences and clauses end without white space.
			lv := levelClause
			j := i
			for j < hi {
				r2, s2 := utf8.DecodeRuneInString(text[j:hi])
				if isCJKStop(r2) {
					lv = levelSentence
				} else if !isCJKClause(r2) && !sentence.IsTerminator(r2) && !sentence.IsCloser(r2) {
					break
				}
				j += s2
			}
			if j < hi {
				if r2, _ := utf8.DecodeRuneInString(text[j:hi]); !unicode.IsSpace(r2) {
					out = append(out, brk{pos: j, end: j, level: lv})
					tok = j
				}
			}
			i = j
			continue
		}
		i += size
	}
	return append(out, brk{pos: hi, end: hi, level: levelEnd})
}

// lineAt returns the line of text that starts at i, without its line break.
func lineAt(text string, i, hi int) string {
	l := text[i:hi]
	if k := strings.IndexAny(l, "\n\r"); k >= 0 {
		l = l[:k]
	}
	return l
}

// classify returns the level of the boundary at j, where the white space
// text[i:j] containing newlines line breaks follows the token text[tok:i].
// It returns levelRune for no boundary: inside or right after a speaker
// label (inLabel), which stays with the first word it introduces.
func classify(text string, tok, i, j, hi, newlines int, inLabel bool) level {
	ends := endsSentence(text[tok:i], text[j:hi])
	switch {
	case newlines > 0 && sentence.SpeakerLabel(lineAt(text, j, hi)) > 0:
		return levelTurn
	case newlines > 1:
		return levelParagraph
	case newlines == 1 && ends:
		return levelLine
	case newlines == 1:
		return levelSoftLine
	case inLabel:
		return levelRune
	case ends:
		return levelSentence
	}
	r, _ := utf8.DecodeLastRuneInString(text[tok:i])
	if r == ',' || r == ';' || r == ':' || isCJKClause(r) {
		return levelClause
	}
	return levelWord
}

// endsSentence reports whether token, a run of non-space characters
// followed by white space and then next, ends a sentence. The rules are
// those of extractive.Sentences: a sentence ends after '.', '!', '?', '…'
// (and runs of them, plus closing quotes and brackets) and after the CJK full
// stops; a period does not end a sentence after a known abbreviation
// ("Mr.", "e.g."), after a single capital initial ("J.") or when the next
// word starts with a lower-case letter; an ellipsis ends a sentence only when
// the next word starts with an upper-case letter.
func endsSentence(token, next string) bool {
	t := strings.TrimRightFunc(token, sentence.IsCloser)
	k := len(t)
	var periods int
	var bang, ellipsis bool
	for k > 0 {
		r, size := utf8.DecodeLastRuneInString(t[:k])
		if !sentence.IsTerminator(r) {
			break
		}
		switch r {
		case '.':
			periods++
		case '…':
			ellipsis = true
		case '!', '?', '‽':
			bang = true
		default: // CJK stops
			return true
		}
		k -= size
	}
	if k == len(t) {
		return false
	}
	if bang || next == "" {
		return true
	}
	first := firstRuneOfWord(next)
	if periods >= 2 || ellipsis {
		return unicode.IsUpper(first)
	}
	if unicode.IsLower(first) {
		return false // "approx. five", "e.g. apples"
	}
	word := strings.TrimLeftFunc(t[:k], sentence.IsOpener)
	if sentence.IsAbbreviation(word) {
		return false
	}
	if r, n := utf8.DecodeRuneInString(word); n == len(word) && unicode.IsUpper(r) {
		return false // an initial: "J. Smith"
	}
	return true
}

// firstRuneOfWord returns the first rune of s after opening quotes and
// brackets, or utf8.RuneError when there is none.
func firstRuneOfWord(s string) rune {
	for _, r := range s {
		if !sentence.IsOpener(r) {
			return r
		}
	}
	return utf8.RuneError
}

func isCJKStop(r rune) bool {
	switch r {
	case '。', '！', '？', '｡':
		return true
	}
	return false
}

func isCJKClause(r rune) bool {
	switch r {
	case '，', '、', '；', '：', '､':
		return true
	}
	return false
}
