package extractive

import (
	"strings"
	"unicode"
	"unicode/utf8"

	rules "github.com/summarizer/summarizer/worker/internal/sentence"
)

// sentence is one unit of selection.
type sentence struct {
	text  string // whitespace-normalised: single spaces, no leading or trailing space
	words int    // number of space-separated words in text
	turn  bool   // text begins a speaker turn ("Alice: ...")
}

// Sentences splits text into sentences, in order. Each sentence has its
// whitespace normalised (runs of spaces, tabs and newlines become one space,
// the ends are trimmed); no other character is changed, added or removed, so
// the words of the sentences are exactly the words of text.
//
// A sentence ends after '.', '!', '?', '…' (and runs of them, plus closing
// quotes and brackets) when followed by white space or the end of the text,
// and after the CJK full stops '。', '！', '？' always. A period does not end a
// sentence after a known abbreviation ("Mr.", "Dr.", "e.g.", "i.e.", "vs."),
// after a single capital initial ("J."), inside a number ("3.5"), or when
// the next word starts with a lower-case letter; an ellipsis ends a sentence
// only when the next word starts with an upper-case letter. Blank lines and
// lines that open with a speaker label ("Alice: ...", "SPEAKER_1: ...",
// "[00:01:02] Bob: ...") always start a new sentence; other line breaks are
// treated as spaces. Empty or white-space-only input gives nil.
func Sentences(text string) []string {
	sents := split(text)
	if len(sents) == 0 {
		return nil
	}
	out := make([]string, len(sents))
	for i, s := range sents {
		out[i] = s.text
	}
	return out
}

// split is [Sentences] keeping the per-sentence metadata.
func split(text string) []sentence {
	var (
		out      []sentence
		para     strings.Builder
		paraTurn bool
	)
	flush := func() {
		if para.Len() > 0 {
			out = splitParagraph(para.String(), paraTurn, out)
			para.Reset()
		}
		paraTurn = false
	}
	for line := range strings.Lines(text) {
		l := strings.TrimSpace(line)
		if l == "" {
			flush()
			continue
		}
		if rules.SpeakerLabel(l) > 0 {
			flush()
			paraTurn = true
		}
		if para.Len() > 0 {
			para.WriteByte(' ')
		}
		para.WriteString(l)
	}
	flush()
	return out
}

// splitParagraph appends the sentences of p (one paragraph, no blank lines)
// to out. turn marks the first sentence as the start of a speaker turn.
func splitParagraph(p string, turn bool, out []sentence) []sentence {
	emit := func(s string) {
		s = normalizeSpace(s)
		if s == "" {
			return
		}
		out = append(out, sentence{text: s, words: strings.Count(s, " ") + 1, turn: turn})
		turn = false
	}
	start, i := 0, 0
	for i < len(p) {
		r, size := utf8.DecodeRuneInString(p[i:])
		if !rules.IsTerminator(r) {
			i += size
			continue
		}
		// A run of terminators: "?!", "...", "。".
		j := i
		var periods int
		var bang, ellipsis, cjk bool
		for j < len(p) {
			r2, s2 := utf8.DecodeRuneInString(p[j:])
			if !rules.IsTerminator(r2) {
				break
			}
			switch r2 {
			case '.':
				periods++
			case '…':
				ellipsis = true
			case '!', '?', '‽':
				bang = true
			default: // CJK stops
				cjk = true
			}
			j += s2
		}
		if periods >= 2 {
			ellipsis = true
		}
		// Closing quotes and brackets belong to the sentence they close.
		for j < len(p) {
			r2, s2 := utf8.DecodeRuneInString(p[j:])
			if !rules.IsCloser(r2) {
				break
			}
			j += s2
		}
		if endsSentence(p, start, i, j, bang, ellipsis, cjk) {
			emit(p[start:j])
			start = j
		}
		i = j
	}
	emit(p[start:])
	return out
}

// endsSentence decides whether the terminator run p[i:j] ends the sentence
// that began at start.
func endsSentence(p string, start, i, j int, bang, ellipsis, cjk bool) bool {
	if cjk {
		return true
	}
	if j == len(p) {
		return true
	}
	if r, _ := utf8.DecodeRuneInString(p[j:]); !unicode.IsSpace(r) {
		return false // "3.5", "U.S.A", "example.com"
	}
	next := firstRuneOfNextWord(p[j:])
	if bang {
		return true
	}
	if ellipsis {
		return unicode.IsUpper(next)
	}
	// A single period.
	if unicode.IsLower(next) {
		return false // "approx. five", "e.g. apples"
	}
	word := wordBefore(p[start:i])
	if rules.IsAbbreviation(word) {
		return false
	}
	if r, n := utf8.DecodeRuneInString(word); n == len(word) && unicode.IsUpper(r) {
		return false // an initial: "J. Smith"
	}
	return true
}

// wordBefore returns the last white-space-separated word of s without any
// opening quotes or brackets, e.g. `("Mr` gives "Mr".
func wordBefore(s string) string {
	k := strings.LastIndexFunc(s, unicode.IsSpace)
	if k >= 0 {
		_, n := utf8.DecodeRuneInString(s[k:])
		s = s[k+n:]
	}
	return strings.TrimLeftFunc(s, rules.IsOpener)
}

// firstRuneOfNextWord returns the first rune of s after white space and
// opening quotes or brackets, or utf8.RuneError when there is none.
func firstRuneOfNextWord(s string) rune {
	for _, r := range s {
		if unicode.IsSpace(r) || rules.IsOpener(r) {
			continue
		}
		return r
	}
	return utf8.RuneError
}

// normalizeSpace trims s and replaces every run of white space with a single
// ' '. It returns s itself when nothing needs to change.
func normalizeSpace(s string) string {
	s = strings.TrimSpace(s)
	clean := true
	prevSpace := false
	for _, r := range s {
		sp := unicode.IsSpace(r)
		if sp && (r != ' ' || prevSpace) {
			clean = false
			break
		}
		prevSpace = sp
	}
	if clean {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
