package chunk_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/summarizer/summarizer/worker/chunk"
)

// words counts white-space-separated words: a Count that is easy to reason about.
func words(s string) int { return len(strings.Fields(s)) }

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  chunk.Config
		want []string // substrings of the error; none means valid
	}{
		{"minimal", chunk.Config{Budget: chunk.MinBudget}, nil},
		{"typical", chunk.Config{Budget: 1500, Overlap: 100, Count: words}, nil},
		{"no overlap", chunk.Config{Budget: 16, Overlap: -1}, nil},
		{"half overlap", chunk.Config{Budget: 16, Overlap: 8}, nil},
		{"zero budget", chunk.Config{}, []string{"budget 0"}},
		{"small budget", chunk.Config{Budget: 15}, []string{"budget 15"}},
		{"big overlap", chunk.Config{Budget: 100, Overlap: 51}, []string{"overlap 51"}},
		{"every problem", chunk.Config{Budget: 10, Overlap: 6}, []string{"budget 10", "overlap 6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
			if _, err := chunk.Split("some text", tt.cfg); err == nil {
				t.Error("Split accepted an invalid config")
			}
		})
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	turns := "Alice: one two three four five six.\nBob: one two three four five six seven.\nCarol: a b c d e f.\nDave: x y z."
	tests := []struct {
		name string
		text string
		cfg  chunk.Config
		want []string
	}{
		{"empty", "", chunk.Config{Budget: 16}, nil},
		{"white space", " \n\t\r\n \u00a0 ", chunk.Config{Budget: 16}, nil},
		{"fits: trimmed text", "  \n Hello,   world.\n\n Bye. \n", chunk.Config{Budget: 16},
			[]string{"Hello,   world.\n\n Bye."}},
		{"speaker turns kept whole", turns, chunk.Config{Budget: 16, Overlap: -1, Count: words},
			[]string{
				"Alice: one two three four five six.\nBob: one two three four five six seven.",
				"Carol: a b c d e f.\nDave: x y z.",
			}},
		{"a turn too big for a chunk is cut at a sentence", "Alice: One two three. Four five six seven. Eight nine ten eleven. Twelve thirteen fourteen. Fifteen sixteen seventeen. Eighteen nineteen.\nBob: Short answer.",
			chunk.Config{Budget: 16, Overlap: -1, Count: words},
			[]string{
				"Alice: One two three. Four five six seven. Eight nine ten eleven. Twelve thirteen fourteen.",
				"Fifteen sixteen seventeen. Eighteen nineteen.\nBob: Short answer.",
			}},
		{"paragraphs before sentences", "One two three four five six seven eight nine. Ten eleven.\n\nTwelve thirteen fourteen. Fifteen sixteen seventeen.",
			chunk.Config{Budget: 16, Overlap: -1, Count: words},
			[]string{
				"One two three four five six seven eight nine. Ten eleven.",
				"Twelve thirteen fourteen. Fifteen sixteen seventeen.",
			}},
		{"sentence boundaries", "The first sentence is here. The second sentence is a bit longer than the first. A third one. And a fourth sentence to finish the paragraph nicely.",
			chunk.Config{Budget: 16, Overlap: -1, Count: words},
			[]string{
				"The first sentence is here. The second sentence is a bit longer than the first.",
				"A third one. And a fourth sentence to finish the paragraph nicely.",
			}},
		{"abbreviations and decimals do not end sentences", "Mr. Smith paid 3.5 million e.g. for land and more. Then Dr. Jones arrived late with J. Doe and friends at noon. End.",
			chunk.Config{Budget: 16, Overlap: -1, Count: words},
			[]string{
				"Mr. Smith paid 3.5 million e.g. for land and more.",
				"Then Dr. Jones arrived late with J. Doe and friends at noon. End.",
			}},
		{"overlap repeats the last whole sentences", "Aa bb cc dd. Ee ff gg hh ii jj. Kk ll. Mm nn oo. Pp qq rr ss tt uu vv.",
			chunk.Config{Budget: 16, Overlap: 5, Count: words},
			[]string{
				"Aa bb cc dd. Ee ff gg hh ii jj. Kk ll. Mm nn oo.",
				"Kk ll. Mm nn oo. Pp qq rr ss tt uu vv.",
			}},
		{"overlap longer than allowed is left out", "The first sentence is here. The second sentence is a bit longer than the first. A third one. And a fourth sentence to finish the paragraph nicely.",
			chunk.Config{Budget: 16, Overlap: 6, Count: words},
			[]string{
				"The first sentence is here. The second sentence is a bit longer than the first.",
				"A third one. And a fourth sentence to finish the paragraph nicely.",
			}},
		{"overlap shrinks to keep a turn whole", turns, chunk.Config{Budget: 16, Overlap: 8, Count: words},
			[]string{
				"Alice: one two three four five six.\nBob: one two three four five six seven.",
				"Bob: one two three four five six seven.\nCarol: a b c d e f.",
				"Carol: a b c d e f.\nDave: x y z.",
			}},
		{"giant sentence: clause then words", "one two three four five six seven eight nine ten eleven twelve thirteen fourteen, fifteen sixteen seventeen eighteen nineteen twenty twentyone twentytwo twentythree twentyfour twentyfive twentysix twentyseven twentyeight twentynine thirty",
			chunk.Config{Budget: 16, Overlap: -1, Count: words},
			[]string{
				"one two three four five six seven eight nine ten eleven twelve thirteen fourteen,",
				"fifteen sixteen seventeen eighteen nineteen twenty twentyone twentytwo twentythree twentyfour twentyfive twentysix twentyseven twentyeight twentynine thirty",
			}},
		{"giant word: cut between runes, the last cut halved", strings.Repeat("abcdefghijklmnopqrstuvwxyzéü", 4), chunk.Config{Budget: 16},
			[]string{
				"abcdefghijklmnopqrstuvwxyzé",
				"üabcdefghijklmnopqrstuvwxyz",
				"éüabcdefghijklmnopqrstuvwxy",
				"zéüabcdefghijklm",
				"nopqrstuvwxyzéü",
			}},
		{"CJK without spaces: sentences and clauses", "新版本的用户注册流程已经上线。注册转化率比旧版本提高了百分之十五左右。但是，部分用户反映手机验证码发送较慢。",
			chunk.Config{Budget: 64},
			[]string{
				"新版本的用户注册流程已经上线。",
				"注册转化率比旧版本提高了百分之十五左右。",
				"但是，部分用户反映手机验证码发送较慢。",
			}},
		{"emoji are never cut", strings.Repeat("😀", 10), chunk.Config{Budget: 16},
			[]string{"😀😀😀", "😀😀😀", "😀😀", "😀😀"}},
		{"no boundary after a speaker label", "Alice: Supercalifragilisticexpialidocious",
			chunk.Config{Budget: 16},
			[]string{"Alice: Supercalifrag", "ilisticexpialidocious"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check(t, tt.text, tt.cfg)
			got, err := chunk.Split(tt.text, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d chunks %q, want %d %q", len(got), got, len(tt.want), tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("chunk %d:\n got %q\nwant %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestSplitInvariants runs the invariant checks over every fixture and a
// range of budgets, overlaps and counters.
func TestSplitInvariants(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	counts := map[string]func(string) int{
		"estimate": nil,
		"words":    words,
		"runes":    utf8.RuneCountInString,
		"jitter":   func(s string) int { return chunk.EstimateTokens(s) + len(s)%5 }, // not monotone
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for name, count := range counts {
			t.Run(filepath.Base(f)+"/"+name, func(t *testing.T) {
				t.Parallel()
				for _, budget := range []int{16, 41, 512, 1 << 20} {
					for _, overlap := range []int{-1, 0, budget / 2} {
						check(t, text, chunk.Config{Budget: budget, Overlap: overlap, Count: count})
					}
				}
			})
		}
	}
}

// TestSplitTurns checks that turns that fit are never cut, on a transcript
// whose turns all fit in a chunk.
func TestSplitTurns(t *testing.T) {
	t.Parallel()
	text := transcript(3000)
	for _, budget := range []int{400, 1500} {
		spans := check(t, text, chunk.Config{Budget: budget})
		for i, s := range spans {
			if i > 0 && (text[s.Start-1] != '\n' || !strings.Contains(text[s.Start:min(s.Start+20, s.End)], ":")) {
				t.Errorf("budget %d: chunk %d starts inside a turn: %.40q", budget, i, text[s.Start:])
			}
		}
	}
}

// TestSplitLong splits a 30,000-word transcript.
func TestSplitLong(t *testing.T) {
	t.Parallel()
	text := transcript(30000)
	total := chunk.EstimateTokens(text)
	for _, cfg := range []chunk.Config{{Budget: 1500}, {Budget: 512, Overlap: -1}} {
		spans := check(t, text, cfg)
		lower := total / cfg.Budget
		if len(spans) < lower || len(spans) > 3*lower+3 {
			t.Errorf("budget %d: %d chunks for %d tokens", cfg.Budget, len(spans), total)
		}
		// Balanced enough: no chunk below a fifth of the budget.
		for i, s := range spans {
			if n := chunk.EstimateTokens(text[s.OverlapStart:s.End]); n < cfg.Budget/5 {
				t.Errorf("budget %d: chunk %d has only %d tokens", cfg.Budget, i, n)
			}
		}
	}
}

func TestSplitUnsplittable(t *testing.T) {
	t.Parallel()
	expensive := func(s string) int { return 100 * utf8.RuneCountInString(s) }
	_, err := chunk.Split("a few words here", chunk.Config{Budget: 50, Count: expensive})
	if !errors.Is(err, chunk.ErrUnsplittable) {
		t.Fatalf("err = %v, want ErrUnsplittable", err)
	}
}

func TestSplitInvalidUTF8(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("caf\xc3\xa9 \xff\xfe bad\x80bytes 中\xe4\xb8文 ", 40) + strings.Repeat("\xe4\xb8\xad", 30) + "\xe4\xb8"
	for _, budget := range []int{16, 33, 100} {
		check(t, text, chunk.Config{Budget: budget})
	}
}

func FuzzSplit(f *testing.F) {
	seeds := []string{
		"",
		"   ",
		"Hello world.",
		"Alice: Hi there. How are you?\nBob: Fine, thanks! And you?\n\nAlice: Great.",
		"Mr. Smith paid $3.5 million, e.g. for land. Really?\nAlice: Yes... it closed. 中文。好！",
		strings.Repeat("word ", 300),
		strings.Repeat("x", 700),
		strings.Repeat("😀👨‍👩‍👧‍👦 ", 50),
		"[00:01:02] Bob: x\n(1) Al: y\r\n\r\nSPEAKER_1: z.",
		"\xff\xfe invalid. bytes\x80 here. \xe4\xb8",
		"\u2028\u0085 line\u00a0separators. Yes.\u2029Next.",
		"新版本的用户注册流程已经上线。注册转化率比旧版本提高了百分之十五左右。但是，部分用户反映手机验证码发送较慢。",
		transcript(300),
	}
	for i, s := range seeds {
		f.Add(s, 16+i*37, i*3-2, uint8(i))
	}
	f.Fuzz(func(t *testing.T, text string, budget, overlap int, mode uint8) {
		if budget < 0 {
			budget = -(budget + 1)
		}
		budget = chunk.MinBudget + budget%(2001-chunk.MinBudget)
		if overlap >= 0 {
			overlap %= budget/2 + 1
		}
		var count func(string) int
		switch mode % 4 {
		case 1:
			count = words
		case 2:
			count = func(s string) int { return len(s) / 2 }
		case 3:
			count = func(s string) int { return chunk.EstimateTokens(s) + len(s)%5 }
		}
		check(t, text, chunk.Config{Budget: budget, Overlap: overlap, Count: count})
	})
}

func BenchmarkSplit(b *testing.B) {
	text := transcript(30000)
	for _, budget := range []int{1500, 512} {
		b.Run("budget="+strconv.Itoa(budget), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if _, err := chunk.Split(text, chunk.Config{Budget: budget}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
