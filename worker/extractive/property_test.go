package extractive_test

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/quick"
	"unicode"
	"unicode/utf8"

	"github.com/summarizer/summarizer/worker/extractive"
	decode "github.com/summarizer/summarizer/worker/transcript"
)

// summaryTokensWords is the word cap the summarizer command gives the
// extractive backend and the RunPod emulator gives its "model" for the
// default SUMMARY_TOKENS=256: 3/4 of it.
const summaryTokensWords = 256 * 3 / 4

// checkSummary reports every way got, the summary of text with maxWords,
// breaks the length rule of Summarize:
//
//   - n, the words of text, is the sum of the words (strings.Fields) of its
//     sentences; without CJK full stops it is len(strings.Fields(text));
//   - words(got) <= min(cap, max(ceil(n/3), MinWords)), where cap is maxWords
//     or MaxWordsDefault when maxWords <= 0;
//   - got is not empty when text has a word;
//   - got is whole input sentences, each at most once, in input order,
//     separated by one space or newline, and all of them when n fits the
//     bound; or, only when every input sentence is longer than the bound,
//     the first bound words of one input sentence.
func checkSummary(text string, maxWords int, got string) error {
	sents := extractive.Sentences(text)
	n := 0
	for _, s := range sents {
		n += len(strings.Fields(s))
	}
	if !strings.ContainsAny(text, "。！？｡") && n != len(strings.Fields(text)) {
		return fmt.Errorf("sentences have %d words, text %d", n, len(strings.Fields(text)))
	}
	capWords := maxWords
	if capWords <= 0 {
		capWords = extractive.MaxWordsDefault
	}
	bound := min(capWords, max((n+2)/3, extractive.MinWords), n)
	if b := extractive.Budget(n, maxWords); b != bound {
		return fmt.Errorf("Budget(%d, %d) = %d, want %d", n, maxWords, b, bound)
	}
	out := len(strings.Fields(got))
	if out > bound {
		return fmt.Errorf("%d words in, %d out: more than the bound %d (maxWords %d)", n, out, bound, maxWords)
	}
	if n > 0 && out == 0 {
		return fmt.Errorf("empty summary of %d words", n)
	}
	if idx, ok := wholeSentences(got, sents); ok {
		if n <= bound && len(idx) != len(sents) {
			return fmt.Errorf("the whole text fits the bound %d but the summary has %d of %d sentences", bound, len(idx), len(sents))
		}
		return nil
	}
	for _, s := range sents {
		if len(strings.Fields(s)) <= bound {
			return fmt.Errorf("summary is not whole input sentences in order, though %q fits the bound %d:\n%.300q", s, bound, got)
		}
	}
	if out != bound {
		return fmt.Errorf("a cut sentence has %d words, not the bound %d", out, bound)
	}
	for _, s := range sents {
		if strings.HasPrefix(s, got+" ") {
			return nil
		}
	}
	return fmt.Errorf("summary is neither whole sentences nor the start of one:\n%.300q", got)
}

// wholeSentences splits got into sentences of sents with strictly
// increasing indices, separated by ' ' or '\n', and returns the indices. A
// sentence can be the start of a later one ("Wait..." and "Wait... what?"),
// so it backtracks; failed[at] is the lowest index from which got[at:] is
// known not to split, which keeps the search linear in practice.
func wholeSentences(got string, sents []string) ([]int, bool) {
	if got == "" {
		return nil, len(sents) == 0
	}
	failed := make(map[int]int)
	var idx []int
	var walk func(at, from int) bool
	walk = func(at, from int) bool {
		if at == len(got) {
			return true
		}
		if f, ok := failed[at]; ok && from >= f {
			return false
		}
		for j := from; j < len(sents); j++ {
			s := sents[j]
			if !strings.HasPrefix(got[at:], s) {
				continue
			}
			end := at + len(s)
			if end < len(got) && got[end] != ' ' && got[end] != '\n' {
				continue
			}
			idx = append(idx, j)
			next := end
			if end < len(got) {
				next++
				if next == len(got) {
					idx = idx[:len(idx)-1]
					continue // a trailing separator
				}
			}
			if walk(next, j+1) {
				return true
			}
			idx = idx[:len(idx)-1]
		}
		failed[at] = from
		return false
	}
	if !walk(0, 0) {
		return nil, false
	}
	return idx, true
}

// sampleTexts returns the decoded sample transcripts, the text a model sees.
func sampleTexts(t testing.TB) map[string]string {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "transcripts")
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) < 3 {
		t.Fatalf("sample transcripts in %s: %v, %d files", dir, err, len(files))
	}
	texts := make(map[string]string, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text, _, err := decode.Decode(data, filepath.Base(f), "", 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		texts[filepath.Base(f)] = text
	}
	return texts
}

// TestSummarizeSampleTranscripts checks the rule on the demo's transcripts
// and logs words in -> words out at the default SUMMARY_TOKENS (go test -v).
func TestSummarizeSampleTranscripts(t *testing.T) {
	t.Parallel()
	for name, text := range sampleTexts(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, maxWords := range []int{summaryTokensWords, 0, -1, 1, 5, 12, 13, 40, 90, 1000} {
				got := extractive.Summarize(text, maxWords)
				if err := checkSummary(text, maxWords, got); err != nil {
					t.Errorf("maxWords %d: %v", maxWords, err)
				}
			}
			got := extractive.Summarize(text, summaryTokensWords)
			in, out := len(strings.Fields(text)), len(strings.Fields(got))
			t.Logf("%d words in -> %d words out (%d of %d sentences)", in, out, len(extractive.Sentences(got)), len(extractive.Sentences(text)))
			if len(extractive.Sentences(got)) < 2 {
				t.Errorf("a third of %d words is one sentence or less:\n%s", in, got)
			}
		})
	}
}

// genTranscript is a generated transcript and a word cap for quick.Check.
type genTranscript struct {
	Text     string
	MaxWords int
}

// Generate implements quick.Generator: a transcript of 1 to 5000 words.
func (genTranscript) Generate(r *rand.Rand, _ int) reflect.Value {
	var words int
	switch r.Intn(4) {
	case 0:
		words = 1 + r.Intn(40) // around MinWords and 3×MinWords
	case 1:
		words = 1 + r.Intn(5000)
	default:
		words = 1 << r.Intn(13) // log-uniform, 1 to 4096
		words += r.Intn(words)
	}
	words = min(words, 5000)
	var maxWords int
	switch r.Intn(4) {
	case 0:
		maxWords = summaryTokensWords
	case 1:
		maxWords = r.Intn(3) - 1 // -1, 0 (the default) or 1
	default:
		maxWords = 1 + r.Intn(400)
	}
	return reflect.ValueOf(genTranscript{Text: generate(r, words), MaxWords: maxWords})
}

var (
	speakers = []string{"Alice", "Bob", "SPEAKER_1", "Zoë", "[00:01:02] Carol", "李明"}
	vocab    = []string{
		"the", "billing", "database", "migration", "needs", "a", "maintenance", "window",
		"on", "Saturday", "night", "we", "should", "ship", "release", "blocker", "customer",
		"renewal", "pricing", "certificate", "rotation", "chain", "check", "owner", "team",
		"yeah", "okay", "um", "so", "I", "think", "it", "is", "done", "Mr.", "Dr.", "e.g.",
		"3.5", "v1.2.3", "example.com", "U.S.A.", "café", "naïve", "Ünïcödé", "crêpes",
		"déjà", "vu", "🚀", "👋🏽", "😀", "数据库", "迁移", "東京", "Москва", "résumé",
		"(really)", `"quoted"`, "well...", "Wait…", "it's", "don't", "-", "—", "42%",
	}
	enders = []string{".", ".", ".", "?", "!", "…", "...", "?!", "。", "！", ".\"", ".)", ""}
)

// generate returns a transcript of exactly words words (strings.Fields):
// sentences of 1 to 12 words, sometimes hundreds; speaker turns; blank
// lines; every ending, or none; CJK sentences without spaces; and, for one
// text in six, no sentence ends at all.
func generate(r *rand.Rand, words int) string {
	var b strings.Builder
	noPunct := r.Intn(6) == 0 // the whole text has no sentence ends
	left := words
	lineStart := true
	for left > 0 {
		if label := speakers[r.Intn(len(speakers))]; lineStart && r.Intn(3) == 0 && left > len(strings.Fields(label)) {
			b.WriteString(label + ": ")
			left -= len(strings.Fields(label))
		}
		lineStart = false
		n := 1 + r.Intn(12)
		switch r.Intn(20) {
		case 0:
			n = 100 + r.Intn(1500) // a very long sentence
		case 1:
			// CJK sentences glued together: one word for Fields.
			for range 1 + r.Intn(4) {
				b.WriteString([]string{"预算需要增加。", "今天天气很好！", "公交线路批准了？", "中文句子｡"}[r.Intn(4)])
			}
			n = 1
		}
		n = min(n, left)
		for k := range n {
			if k > 0 {
				b.WriteByte(' ')
			}
			w := vocab[r.Intn(len(vocab))]
			if k == 0 && r.Intn(2) == 0 {
				first, size := utf8.DecodeRuneInString(w)
				w = string(unicode.ToUpper(first)) + w[size:]
			}
			b.WriteString(w)
		}
		left -= n
		if !noPunct {
			b.WriteString(enders[r.Intn(len(enders))])
		}
		switch r.Intn(8) {
		case 0:
			b.WriteString("\n")
			lineStart = true
		case 1:
			b.WriteString("\n\n")
			lineStart = true
		case 2:
			b.WriteString("\t ")
		default:
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// TestSummarizeLengthProperty checks the length rule (checkSummary) on
// generated transcripts of 1 to 5000 words with a fixed seed, so a failure
// can be replayed.
func TestSummarizeLengthProperty(t *testing.T) {
	t.Parallel()
	cfg := &quick.Config{MaxCount: 300, Rand: rand.New(rand.NewSource(11))}
	if testing.Short() {
		cfg.MaxCount = 50
	}
	prop := func(g genTranscript) bool {
		got := extractive.Summarize(g.Text, g.MaxWords)
		if err := checkSummary(g.Text, g.MaxWords, got); err != nil {
			t.Errorf("%d-word transcript %.200q..., maxWords %d: %v", len(strings.Fields(g.Text)), g.Text, g.MaxWords, err)
			return false
		}
		return true
	}
	// The CheckError would quote the whole transcript; prop said enough.
	var ce *quick.CheckError
	if err := quick.Check(prop, cfg); errors.As(err, &ce) {
		t.Errorf("failed on generated transcript #%d", ce.Count)
	} else if err != nil {
		t.Error(err)
	}
}

// TestSummarizeLengthEdges checks the rule at the sizes where it changes:
// around MinWords, 3×MinWords, and up to 5000 words, for caps below, at and
// above a third.
func TestSummarizeLengthEdges(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewSource(23))
	for _, words := range []int{1, 2, 3, 4, 11, 12, 13, 35, 36, 37, 38, 100, 575, 576, 577, 1000, 4999, 5000} {
		for _, style := range []string{"speakers", "no punctuation", "one sentence", "generated"} {
			var text string
			switch style {
			case "speakers":
				text = turns(words)
			case "no punctuation":
				text = strings.ReplaceAll(strings.ReplaceAll(turns(words), ".", ""), ":", "")
			case "one sentence":
				text = strings.TrimSpace(strings.Repeat("café naïve 🚀 ", words))
				text = strings.Join(strings.Fields(text)[:words], " ") + "."
			default:
				text = generate(r, words)
			}
			if n := len(strings.Fields(text)); n != words {
				t.Fatalf("%s: generated %d words, want %d", style, n, words)
			}
			for _, maxWords := range []int{0, 1, 7, 12, 20, summaryTokensWords, 5000} {
				got := extractive.Summarize(text, maxWords)
				if err := checkSummary(text, maxWords, got); err != nil {
					t.Errorf("%s, %d words, maxWords %d: %v", style, words, maxWords, err)
				}
			}
		}
	}
}

// turns is a transcript of exactly words words, speaker turns of a few
// sentences each.
func turns(words int) string {
	var w []string
	for i := 0; len(w) < words; i++ {
		if i%3 == 0 {
			w = append(w, "\n"+[]string{"Alice:", "Bob:", "Zoë:"}[i/3%3])
		}
		s := strings.Fields(fmt.Sprintf("The billing migration item %d needs an owner by week %d and a maintenance window.", i, i%52))
		w = append(w, s[:1+i%len(s)]...)
		if !strings.HasSuffix(w[len(w)-1], ".") {
			w[len(w)-1] += "."
		}
	}
	return strings.TrimSpace(strings.Join(w[:words], " "))
}

func TestBudget(t *testing.T) {
	t.Parallel()
	tests := []struct{ words, maxWords, want int }{
		{0, 10, 0},
		{1, 192, 1},
		{12, 192, 12},
		{13, 192, 12},
		{36, 192, 12},
		{37, 192, 13},
		{183, 192, 61}, // customer-call-acme.srt
		{169, 192, 57}, // incident-review.vtt
		{398, 192, 133},
		{577, 192, 192},
		{100, 5, 5},
		{100, 0, 34},
		{1000, 0, extractive.MaxWordsDefault},
		{1000, -3, extractive.MaxWordsDefault},
	}
	for _, tt := range tests {
		if got := extractive.Budget(tt.words, tt.maxWords); got != tt.want {
			t.Errorf("Budget(%d, %d) = %d, want %d", tt.words, tt.maxWords, got, tt.want)
		}
	}
}
