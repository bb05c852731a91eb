package chunk

import (
	"unicode"
	"unicode/utf8"
)

// Costs are kept in tenths of a token so that short words can cost a
// fraction more than one token without rounding every word up.
const (
	tenth = 10

	costNewline    = 10 // '\n', '\r', '\t' and other ASCII controls: one byte-fallback token each
	costExtraSpace = 5  // each space after the first of a run (the first merges into the next word)
	costLoneSpace  = 10 // a "▁" that cannot merge: before a newline, a byte-fallback character, the end
	costDigit      = 10 // LLaMA splits numbers into single digits
	costDigitRun   = 10 // the lone "▁" SentencePiece emits before a number
	costPunct      = 10 // ASCII punctuation and symbols
	costInvalid    = 10 // a byte that is not valid UTF-8: one byte-fallback token

	// A run of letters (a word, or a camelCase hump of one) costs
	// max(wordMin, wordBase + wordPerLetter*n) plus wordLongPerLetter for
	// every letter past wordLongFrom.
	wordMin           = 10
	wordBase          = 5
	wordPerLetter     = 3
	wordLongFrom      = 10
	wordLongPerLetter = 2
	wordCapitalized   = 5  // "Sicherheitsfachkraft", sentence starts: capitalised pieces are rarer
	wordAccent        = 15 // surcharge per Latin-1 letter ("é", "ß"): it breaks merges
	wordAccentExt     = 25 // surcharge per Latin Extended letter ("ğ", "ș", "ł"): often 2 byte tokens
	capsBase          = 10 // ALL-CAPS run: capsBase + capsPerLetter*n
	capsPerLetter     = 5
	noVowelPerLetter  = 10 // runs without a vowel ("qzxjv", hashes): a token per letter after the first

	costCyrillic    = 10 // LLaMA merges common Cyrillic (Russian: ~0.4 tokens per letter)
	costTwoByte     = 15 // Greek, Armenian, Hebrew, Arabic, IPA...: ~1 token per letter, 2 when not in the vocabulary
	costThreeLetter = 20 // Indic, Thai, Georgian, Vietnamese Latin...: 1-3 tokens per letter
	costKana        = 20 // Hiragana and Katakana: 60-80% are single tokens
	costHan         = 25 // CJK ideographs: the ~700 most frequent are single tokens, the rest 3 byte tokens
	costCommonPunct = 10 // ’ “ ” — – … • and friends: single tokens
)

// EstimateTokens is a cheap upper-bound estimate of the number of tokens the
// T5 (flan-t5) and LLaMA-family SentencePiece tokenizers produce for s,
// including one special token (</s> for T5, <s> for LLaMA). It never
// allocates and makes one pass over s; EstimateTokens("") is 0.
//
// The formula is a sum of per-piece costs, kept in tenths of a token and
// rounded up at the end, plus one for the special token:
//
//   - a word (a run of Latin letters; camelCase humps are separate words)
//     of n letters costs max(1, 0.5 + 0.3n), plus 0.2 per letter past the
//     tenth (long and compound words split into many pieces), plus 0.5 when
//     capitalised, plus 1.5 per Latin-1 letter ("é", "ß") and 2.5 per Latin
//     Extended letter ("ğ", "ł"), which break the merges the vocabulary
//     knows and are often byte tokens. Measured LLaMA-2 costs of English
//     words average 1.0 (n <= 3), 1.2 (n = 5), 1.8 (n = 8) and 2.6 (n = 12),
//     so running English comes out about 1.5x. An ALL-CAPS word costs
//     1 + 0.5n and a word without a vowel (hashes, random identifiers)
//     n - 1, as BPE cannot merge them;
//   - every digit costs 1, plus 1 per number: LLaMA splits numbers into
//     single digits after a lone "▁" (T5 needs fewer);
//   - every ASCII punctuation mark or symbol costs 1; every newline, tab or
//     other control character 1 (a byte token); a space merges into the
//     piece after it for free, but costs 1 before a newline, a character
//     that is not Latin, Cyrillic or common punctuation, or the end, and 0.5
//     for every extra space of a run;
//   - other characters cost at least what they cost LLaMA-2: Cyrillic
//     letters 1, other two-byte letters (Greek, Hebrew, Arabic, ...) 1.5,
//     Kana 2, CJK ideographs 2.5 (the ~700 most frequent are one token, the
//     rest three byte tokens), other three-byte letters (Indic, Thai,
//     Vietnamese, ...) 2, common typographic punctuation (’ “ ” — – … « »)
//     1, and everything else (Hangul, emoji, symbols, joiners, variation
//     selectors, rare ideographs) one token per UTF-8 byte, which is exactly
//     LLaMA's byte-fallback cost. A byte that is not valid UTF-8 costs 1.
//
// Why it errs on the safe side: every piece is charged at least its usual
// LLaMA cost, and characters LLaMA often lacks are charged its worst case,
// byte fallback. T5's 32,000-piece vocabulary was built for English, French,
// German and Romanian: on other languages it spends as many or more tokens
// than LLaMA, cutting words into shorter pieces, and characters outside its
// vocabulary (many CJK ideographs, Hangul, emoji) become <unk>, one token
// each, which never exceeds the per-byte cost charged here. T5 also
// collapses white space, so newlines and repeated spaces cost it nothing.
// Against real LLaMA-2 counts the estimate is 1.3-1.7x for English, French,
// German, numbers and code, and 1.15-1.9x for emoji and CJK (see
// testdata/README.md). Strings built to defeat it (random letters in
// scripts it rates cheaply) can exceed it, so keep some headroom below a
// model's hard limit.
//
// The cost is additive over pieces separated by white space, so
// EstimateTokens(a + " " + b) >= max(EstimateTokens(a), EstimateTokens(b)).
func EstimateTokens(s string) int {
	if s == "" {
		return 0
	}
	e := estimator{space: true} // SentencePiece prefixes the text with a space
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			e.ascii(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			e.endWord()
			e.lone()
			e.cost += costInvalid
			i++
			continue
		}
		e.nonASCII(r, size)
		i += size
	}
	e.endWord()
	e.lone()
	return (e.cost+tenth-1)/tenth + 1
}

// estimator is the state of [EstimateTokens]' single pass.
type estimator struct {
	cost int // tenths of a token so far

	// The current word (a run of Latin letters).
	n       int  // letters
	upper   int  // upper-case letters
	accents int  // tenths of a token of surcharge for non-ASCII letters
	vowel   bool // contains a vowel (or an accented letter)
	first   bool // the first letter is upper case
	lastLow bool // the previous letter is lower case (for camelCase humps)
	digits  bool // inside a number
	space   bool // a space that has not merged into a piece yet
}

// lone charges the pending space, if any, as a token of its own: what
// follows it cannot start with "▁".
func (e *estimator) lone() {
	if e.space {
		e.cost += costLoneSpace
		e.space = false
	}
	e.digits = false
}

func (e *estimator) ascii(c byte) {
	switch {
	case 'a' <= c && c <= 'z':
		e.letter(false, isVowel(c), 0)
		return
	case 'A' <= c && c <= 'Z':
		if e.lastLow { // "camelCase": a new hump
			e.endWord()
		}
		e.letter(true, isVowel(c+'a'-'A'), 0)
		return
	}
	e.endWord()
	switch {
	case '0' <= c && c <= '9':
		if !e.digits {
			e.cost += costDigitRun // the "▁" before the number, or a margin
			e.digits = true
		}
		e.cost += costDigit
		e.space = false
		return
	case c == ' ':
		if e.space {
			e.cost += costExtraSpace
		}
		e.space = true
	case c < ' ' || c == 0x7f:
		e.lone()
		e.cost += costNewline
	default:
		e.cost += costPunct
		e.space = false
	}
	e.digits = false
}

func (e *estimator) letter(upper, vowel bool, accent int) {
	if e.n == 0 {
		e.first = upper
	}
	e.n++
	if upper {
		e.upper++
	}
	e.accents += accent
	e.vowel = e.vowel || vowel
	e.lastLow = !upper
	e.digits, e.space = false, false
}

// endWord adds the cost of the current word, if any, and starts a new one.
func (e *estimator) endWord() {
	n := e.n
	if n == 0 {
		return
	}
	var c int
	switch {
	case !e.vowel && n > 1:
		c = noVowelPerLetter * (n - 1)
	case e.upper == n && n > 1:
		c = capsBase + capsPerLetter*n
	default:
		c = wordBase + wordPerLetter*n
		if n > wordLongFrom {
			c += wordLongPerLetter * (n - wordLongFrom)
		}
		if e.first {
			c += wordCapitalized
		}
	}
	c = max(c, wordMin) + e.accents
	e.cost += c
	e.n, e.upper, e.accents = 0, 0, 0
	e.vowel, e.first, e.lastLow = false, false, false
}

func (e *estimator) nonASCII(r rune, size int) {
	// Latin letters with diacritics continue the current word.
	if r <= 0x24f && unicode.IsLetter(r) {
		accent := wordAccent
		if r >= 0x100 {
			accent = wordAccentExt
		}
		e.letter(unicode.IsUpper(r), true, accent)
		return
	}
	e.endWord()
	if r >= 0x400 && r <= 0x4ff && unicode.IsLetter(r) {
		e.cost += costCyrillic
		e.space, e.digits = false, false // "▁" merges with Cyrillic letters too
		return
	}
	if commonPunct(r) {
		e.cost += costCommonPunct
		e.space, e.digits = false, false // "▁“", "▁—" are pieces
		return
	}
	e.lone() // no other non-Latin piece starts with "▁"
	switch {
	case unicode.IsSpace(r):
		e.cost += tenth * size
	case size == 2 && (unicode.IsLetter(r) || unicode.IsMark(r)) && r >= 0x370:
		e.cost += costTwoByte
	case r >= 0x3040 && r <= 0x30ff:
		e.cost += costKana
	case unicode.Is(unicode.Han, r):
		if size == 3 {
			e.cost += costHan
		} else {
			e.cost += tenth * size
		}
	case size == 3 && (unicode.IsLetter(r) || unicode.IsMark(r)) && !unicode.Is(unicode.Hangul, r):
		e.cost += costThreeLetter
	default:
		e.cost += tenth * size
	}
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// commonPunct reports whether r is typographic punctuation frequent enough in
// English text to be a single token in LLaMA's vocabulary.
func commonPunct(r rune) bool {
	switch r {
	case '‘', '’', '“', '”', '–', '—', '…', '•', '′', '″', '«', '»', '°', '·', '§', '€', '£', '©', '×':
		return true
	}
	return false
}
