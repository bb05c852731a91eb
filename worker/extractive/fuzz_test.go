package extractive_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/summarizer/summarizer/worker/extractive"
)

func FuzzSummarize(f *testing.F) {
	seeds := []struct {
		text     string
		maxWords int
	}{
		{"", 10},
		{council, 30},
		{dialogue, 25},
		{"Mr. Smith paid $3.5 e.g. today... Then left! 中文句子。另一个句子！😀", 4},
		{"a\n\nb\r\nAlice: c. d? e! f…", 2},
		{"\xff\xfe invalid. bytes\x80 here.", 3},
		{strings.Repeat("word ", 300), 0},
		{"[00:01] Bob: x\n(1) Al: y", -5},
		{"。。。！？", 1},
		{"\u2028\u0085 line\u00a0separators. Yes.", 1},
	}
	for _, s := range seeds {
		f.Add(s.text, s.maxWords)
	}
	samples := sampleTexts(f)
	for _, name := range slices.Sorted(maps.Keys(samples)) {
		text := samples[name]
		f.Add(text, summaryTokensWords)
		f.Add(text, 5)
	}
	f.Add(turns(200), 0)
	f.Add(strings.ReplaceAll(turns(100), ".", ""), 50)
	f.Fuzz(func(t *testing.T, text string, maxWords int) {
		got := extractive.Summarize(text, maxWords)
		if err := checkSummary(text, maxWords, got); err != nil {
			t.Fatalf("Summarize(%.80q, %d): %v", text, maxWords, err)
		}
		words := strings.Fields(got)
		if utf8.ValidString(text) && !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 output %q from valid input", got)
		}
		if strings.TrimSpace(text) != "" && got == "" {
			t.Fatalf("empty summary of non-blank input %q", text)
		}
		// Sentences are only cut without white space at the CJK stops, so
		// otherwise every output word is an input word.
		inputWords := make(map[string]bool)
		for _, w := range strings.Fields(text) {
			inputWords[w] = true
		}
		cjk := strings.ContainsAny(text, "。！？｡")
		for _, w := range words {
			if !strings.Contains(text, w) || (!cjk && !inputWords[w]) {
				t.Fatalf("output word %q is not an input word", w)
			}
		}
		for _, s := range extractive.Sentences(text) {
			if s == "" || s != strings.Join(strings.Fields(s), " ") {
				t.Fatalf("sentence %q not normalised", s)
			}
		}
	})
}
