package chunk_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/chunk"
)

func TestEstimateTokens(t *testing.T) {
	t.Parallel()
	// llama2 is the real LLaMA-2 count of the string with its <s> token
	// (llama-tokenizer-js 1.2.2, encode(s).length).
	tests := []struct {
		s      string
		want   int
		llama2 int // real count, <s> included
	}{
		{"", 0, 0},
		{" \n\t ", 6, 5},
		{"the", 3, 2},
		{"Hello world!", 7, 4},
		{"2024", 6, 6}, // ▁ 2 0 2 4
		{"Sicherheitsfachkraftbeauftragte", 16, 11},  // a German compound
		{"qzxjvkpwmtrb", 12, 12},                     // no vowel: a token per letter
		{"HORSEWHIPPED", 8, 8},                       // capitals merge badly
		{"9f3c2ab7e1d04f58b6a2c91e0d7f3b44", 47, 33}, // a hash
		{"réunion", 6, 3},                            // accents break merges
		{"😀", 6, 6},                                  // ▁ and four byte tokens
		{"中", 5, 3},                                  // a frequent ideograph: one token
		{"龘", 5, 5},                                  // a rare one: three byte tokens
		{"오늘", 8, 6},                                 // Hangul: byte cost
		{"https://example.com/a/b?c=d", 21, 14},      // punctuation counts
		{"Dr. Smith said “hello” — twice…", 16, 11},  // typographic punctuation
		{"Сегодня мы обсудили бюджет", 24, 13}, // Cyrillic
		{"\xff\xfe", 4, 4}, // invalid bytes: byte tokens (not measured)
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			t.Parallel()
			got := chunk.EstimateTokens(tt.s)
			if got != tt.want {
				t.Errorf("EstimateTokens(%q) = %d, want %d", tt.s, got, tt.want)
			}
			if got < tt.llama2 {
				t.Errorf("EstimateTokens(%q) = %d, below the real LLaMA-2 count %d", tt.s, got, tt.llama2)
			}
		})
	}
}

// TestEstimateTokensFixtures compares the estimate with real LLaMA-2 token
// counts of the fixtures (see testdata/README.md): never below, and not
// absurdly above.
func TestEstimateTokensFixtures(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/token_counts.json")
	if err != nil {
		t.Fatal(err)
	}
	var counts map[string]struct{ Llama, Bytes, Words int }
	if err := json.Unmarshal(b, &counts); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) != len(counts) || len(counts) < 8 {
		t.Fatalf("%d fixtures, %d counts", len(files), len(counts))
	}
	// The most the estimate may exceed the real count by: English-like text
	// must not waste the context; CJK and emoji are charged LLaMA's
	// byte-fallback cost on purpose.
	maxRatio := map[string]float64{"cjk.txt": 2.5, "emoji_chat.txt": 2.5}
	for name, c := range counts {
		text, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if len(text) != c.Bytes || len(strings.Fields(string(text))) != c.Words {
			t.Fatalf("%s: %d bytes and %d words, the counts say %d and %d: recount (testdata/README.md)",
				name, len(text), len(strings.Fields(string(text))), c.Bytes, c.Words)
		}
		est := chunk.EstimateTokens(string(text))
		ratio := float64(est) / float64(c.Llama)
		t.Logf("%-18s estimate %4d  llama-2 %4d  ratio %.2f", name, est, c.Llama, ratio)
		if est < c.Llama {
			t.Errorf("%s: estimate %d below the real count %d", name, est, c.Llama)
		}
		limit := maxRatio[name]
		if limit == 0 {
			limit = 2.0
		}
		if ratio > limit {
			t.Errorf("%s: estimate %d is %.2fx the real count %d, want at most %.1fx", name, est, ratio, c.Llama, limit)
		}
		// Every line of the fixture alone, too.
		for line := range strings.Lines(string(text)) {
			if strings.TrimSpace(line) != "" && chunk.EstimateTokens(line) < 1 {
				t.Errorf("%s: no tokens for %q", name, line)
			}
		}
	}
}

func FuzzEstimateTokens(f *testing.F) {
	seeds := []string{
		"", " ", "a", "the", "Hello, world!", "2024-10-14 09:30", "camelCaseWord",
		"HTTP/1.1 404", "réunion à l'hôtel", "Größenordnung", "çeyreğin", "Ελληνικά",
		"中文句子。", "ひらがな", "한국어", "😀👨‍👩‍👧‍👦", "\xff\xfe\x80", "\xe4\xb8", "a\u00a0b\u2028c",
		"9f3c2ab7e1d04f58b6a2c91e0d7f3b44", "qzxjv", "   many   spaces   ",
	}
	for i, a := range seeds {
		f.Add(a, seeds[(i+5)%len(seeds)])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ea, eb := chunk.EstimateTokens(a), chunk.EstimateTokens(b)
		if ea < 0 || (a == "") != (ea == 0) {
			t.Fatalf("EstimateTokens(%q) = %d", a, ea)
		}
		if ea > 3*len(a)+1 {
			t.Fatalf("EstimateTokens(%q) = %d: more than 3 per byte", a, ea)
		}
		if e := chunk.EstimateTokens(a + " " + b); e < max(ea, eb) {
			t.Fatalf("EstimateTokens(%q + \" \" + %q) = %d < max(%d, %d)", a, b, e, ea, eb)
		}
		if e := chunk.EstimateTokens(a + "\n" + b); e < max(ea, eb) {
			t.Fatalf("EstimateTokens(%q + \"\\n\" + %q) = %d < max(%d, %d)", a, b, e, ea, eb)
		}
	})
}

func BenchmarkEstimateTokens(b *testing.B) {
	text := transcript(30000)
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		chunk.EstimateTokens(text)
	}
}
