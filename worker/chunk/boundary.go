package chunk

import (
	"strings"
	"unicode"
	"unicode/utf8"
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
	labelStart, labelEnd := lo, lo+speakerLabel(lineAt(text, lo, hi))
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
				labelStart, labelEnd = j, j+speakerLabel(lineAt(text, j, hi))
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
				} else if !isCJKClause(r2) && !isTerminator(r2) && !isCloser(r2) {
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
	case newlines > 0 && speakerLabel(lineAt(text, j, hi)) > 0:
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
	t := strings.TrimRightFunc(token, isCloser)
	k := len(t)
	var periods int
	var bang, ellipsis bool
	for k > 0 {
		r, size := utf8.DecodeLastRuneInString(t[:k])
		if !isTerminator(r) {
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
	word := strings.TrimLeftFunc(t[:k], isOpener)
	if abbreviations[strings.ToLower(word)] {
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
		if !isOpener(r) {
			return r
		}
	}
	return utf8.RuneError
}

// abbreviations are the words that, followed by a period, almost never end a
// sentence (the list of extractive.Sentences).
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "mx": true, "dr": true, "prof": true,
	"sr": true, "jr": true, "st": true, "mt": true, "rev": true, "gen": true,
	"col": true, "capt": true, "lt": true, "sgt": true, "hon": true, "gov": true,
	"sen": true, "rep": true, "pres": true, "fr": true, "vs": true, "v": true,
	"e.g": true, "i.e": true, "cf": true, "viz": true, "approx": true,
	"fig": true, "figs": true, "eq": true, "ca": true, "nr": true,
}

func isTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '‽', '。', '！', '？', '｡':
		return true
	}
	return false
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

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '}', '”', '’', '»', '›', '」', '』', '）', '】':
		return true
	}
	return false
}

func isOpener(r rune) bool {
	switch r {
	case '"', '\'', '(', '[', '{', '“', '‘', '«', '‹', '「', '『', '（', '【':
		return true
	}
	return false
}

// speakerLabel returns the length of the speaker label that opens line, colon
// included, or 0 when there is none. As in extractive.Sentences, a label is an
// optional "[timestamp]" or "(timestamp)", then one to four words of
// letters, digits, '.', '_', '-' or apostrophes, starting with a letter that
// is not lower case, then ':' followed by white space or the end of the line.
func speakerLabel(line string) int {
	l := line
	if l != "" && (l[0] == '[' || l[0] == '(') {
		closer := byte(']')
		if l[0] == '(' {
			closer = ')'
		}
		k := strings.IndexByte(l, closer)
		if k < 0 || k > 32 {
			return 0
		}
		l = strings.TrimLeftFunc(l[k+1:], unicode.IsSpace)
	}
	k := strings.IndexByte(l, ':')
	if k <= 0 || k > 40 {
		return 0
	}
	if rest := l[k+1:]; rest != "" {
		if r, _ := utf8.DecodeRuneInString(rest); !unicode.IsSpace(r) {
			return 0 // "http://", "10:30"
		}
	}
	label := l[:k]
	if r, _ := utf8.DecodeRuneInString(label); !unicode.IsLetter(r) || unicode.IsLower(r) {
		return 0
	}
	words := 1
	prevSpace := false
	for _, r := range label {
		switch {
		case r == ' ':
			if prevSpace {
				return 0
			}
			words++
			prevSpace = true
			continue
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '.', r == '_', r == '-', r == '\'':
		default:
			return 0
		}
		prevSpace = false
	}
	if words > 4 || prevSpace {
		return 0
	}
	return len(line) - len(l) + k + 1
}
