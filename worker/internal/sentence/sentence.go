// Package sentence holds the sentence rules the chunker and the extractive
// summarizer share: which punctuation ends a sentence, which words are
// abbreviations, and what a speaker label at the start of a line looks like.
// It splits nothing itself.
package sentence

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbreviations are words that, followed by a period, almost never end a
// sentence (they precede a name or an example). Ambiguous ones such as
// "etc." or "Inc." are left out: they end a sentence when the next word
// starts with a capital letter, which the lower-case rule already handles.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "mx": true, "dr": true, "prof": true,
	"sr": true, "jr": true, "st": true, "mt": true, "rev": true, "gen": true,
	"col": true, "capt": true, "lt": true, "sgt": true, "hon": true, "gov": true,
	"sen": true, "rep": true, "pres": true, "fr": true, "vs": true, "v": true,
	"e.g": true, "i.e": true, "cf": true, "viz": true, "approx": true,
	"fig": true, "figs": true, "eq": true, "ca": true, "nr": true,
}

// IsTerminator reports whether r can end a sentence.
func IsTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '‽', '。', '！', '？', '｡':
		return true
	}
	return false
}

// IsCloser reports whether r closes a quote or bracket.
func IsCloser(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '}', '”', '’', '»', '›', '」', '』', '）', '】':
		return true
	}
	return false
}

// IsOpener reports whether r opens a quote or bracket.
func IsOpener(r rune) bool {
	switch r {
	case '"', '\'', '(', '[', '{', '“', '‘', '«', '‹', '「', '『', '（', '【':
		return true
	}
	return false
}

// SpeakerLabel returns the length of the speaker label that opens the
// trimmed line, colon included, or 0 when there is none. A label is an
// optional "[timestamp]" or "(timestamp)", then one to four words of
// letters, digits, '.', '_', '-' or apostrophes, starting with a letter
// that is not lower case, then ':' followed by white space or the end of
// the line.
func SpeakerLabel(line string) int {
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
		return 0 // names start with a capital (or an uncased letter)
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

// IsAbbreviation reports whether word, lower-cased and without its final
// period, almost never ends a sentence ("Mr", "e.g").
func IsAbbreviation(word string) bool { return abbreviations[strings.ToLower(word)] }
