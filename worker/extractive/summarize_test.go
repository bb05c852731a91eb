package extractive_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/summarizer/summarizer/worker/extractive"
)

const council = `The city council met on Tuesday to debate the annual budget for public transport.
The weather was sunny and warm. Council members agreed that the transport budget must grow to fund new bus routes.
Several residents complained about parking near the stadium.
The mayor said the new bus routes will connect the northern suburbs to the city centre.
A local bakery celebrated its tenth anniversary.
The final transport budget includes funding for forty electric buses and new bus routes.
The meeting ended at nine o'clock.`

const dialogue = `Alice: Good morning, everyone.
Bob: Morning.
Alice: Today we need to decide on the database migration plan for the billing service.
Carol: Yeah.
Bob: The billing service migration needs a maintenance window, because the database schema changes.
Carol: I can schedule the maintenance window for Saturday night.
Bob: Okay, sure.
Alice: Great, so the billing database migration happens Saturday night in the maintenance window.
Carol: Did anyone see the game last night?
Bob: No.
Alice: Let's wrap up. Thanks, everyone.`

func TestSummarizePicksImportantSentences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		text     string
		maxWords int
		want     []string // sentences that must be in the summary, in this order
		notWant  []string
	}{
		{
			name:     "news paragraph",
			text:     council,
			maxWords: 50,
			want: []string{
				"Council members agreed that the transport budget must grow to fund new bus routes.",
				"The final transport budget includes funding for forty electric buses and new bus routes.",
			},
			notWant: []string{"bakery", "weather", "nine o'clock", "parking"},
		},
		{
			name:     "dialogue",
			text:     dialogue,
			maxWords: 50,
			// A third of the dialogue's 80 words is 27: room for the
			// conclusion and one more sentence.
			want: []string{
				"Alice: Great, so the billing database migration happens Saturday night in the maintenance window.",
			},
			notWant: []string{"Good morning", "Okay, sure.", "Carol: Yeah.", "wrap up", "the game"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := extractive.Summarize(tt.text, tt.maxWords)
			if n := len(strings.Fields(got)); n > tt.maxWords {
				t.Errorf("summary has %d words, budget %d:\n%s", n, tt.maxWords, got)
			}
			at := 0
			for _, w := range tt.want {
				k := strings.Index(got[at:], w)
				if k < 0 {
					t.Fatalf("summary lacks (or misorders) %q:\n%s", w, got)
				}
				at += k + len(w)
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("summary contains unimportant %q:\n%s", w, got)
				}
			}
			if again := extractive.Summarize(tt.text, tt.maxWords); again != got {
				t.Errorf("not deterministic:\n%s\n---\n%s", got, again)
			}
		})
	}
}

func TestSummarizeOrderAndBudget(t *testing.T) {
	t.Parallel()
	sents := extractive.Sentences(council)
	pos := make(map[string]int, len(sents))
	for i, s := range sents {
		pos[s] = i
	}
	for _, budget := range []int{1, 5, 14, 15, 20, 30, 45, 60, 80, 200} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			t.Parallel()
			got := extractive.Summarize(council, budget)
			if n := len(strings.Fields(got)); n > budget || n == 0 {
				t.Fatalf("budget %d: %d words: %q", budget, n, got)
			}
			// Every part is a whole input sentence, in original order,
			// unless a single (cut) sentence is all there is.
			parts := extractive.Sentences(got)
			last := -1
			for _, p := range parts {
				i, ok := pos[p]
				if !ok {
					if len(parts) == 1 && isPrefixOfSome(sents, p) { // a cut sentence
						continue
					}
					t.Fatalf("budget %d: %q is not an input sentence", budget, p)
				}
				if i <= last {
					t.Fatalf("budget %d: order not preserved: %q", budget, got)
				}
				last = i
			}
		})
	}
}

func isPrefixOfSome(sents []string, p string) bool {
	for _, s := range sents {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func TestSummarizeEdgeCases(t *testing.T) {
	t.Parallel()
	huge := strings.TrimSpace(strings.Repeat("word and more words ", 500)) + "."
	tests := []struct {
		name     string
		text     string
		maxWords int
		want     string
	}{
		{name: "empty", text: "", maxWords: 10, want: ""},
		{name: "whitespace", text: " \n\t \r\n ", maxWords: 10, want: ""},
		{name: "fits whole", text: "One.  Two\nthree.", maxWords: 10, want: "One. Two three."},
		{name: "huge sentence cut", text: huge, maxWords: 7, want: "word and more words word and more"},
		{name: "huge sentence default budget", text: huge, maxWords: 0,
			want: strings.TrimSpace(strings.Repeat("word and more words ", extractive.MaxWordsDefault/4))},
		{name: "single word", text: "hello", maxWords: 1, want: "hello"},
		{name: "punctuation only", text: "... !!! ???", maxWords: 5, want: "... !!! ???"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := extractive.Summarize(tt.text, tt.maxWords); got != tt.want {
				t.Errorf("Summarize(%.40q, %d) = %q, want %q", tt.text, tt.maxWords, got, tt.want)
			}
		})
	}
}

func TestSummarizeUnicode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
	}{
		{"accents", strings.Repeat("Le café élégant sert des crêpes délicieuses à Montréal. Les crêpes du café sont célèbres. Il pleut aujourd'hui. ", 5)},
		{"chinese", strings.Repeat("我们讨论了预算问题。预算需要增加以支持新的公交线路。今天天气很好。公交线路的预算已经批准。", 5)},
		{"emoji", strings.Repeat("The launch 🚀 went great 🎉 today. Rockets 🚀 need fuel ⛽ and the launch needs rockets. 😀😀😀. ", 5)},
		{"mixed", "Zoë said 你好 👋🏽 to everyone. Ünïcödé wörds everywhere, naïve café façade. " + strings.Repeat("Ça va? ", 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, budget := range []int{3, 10, 25} {
				got := extractive.Summarize(tt.text, budget)
				if got == "" {
					t.Fatalf("budget %d: empty summary", budget)
				}
				if !utf8.ValidString(got) {
					t.Fatalf("budget %d: invalid UTF-8: %q", budget, got)
				}
				if n := len(strings.Fields(got)); n > budget {
					t.Fatalf("budget %d: %d words: %q", budget, n, got)
				}
				for _, w := range strings.Fields(got) {
					if !strings.Contains(tt.text, w) {
						t.Fatalf("budget %d: word %q not in input", budget, w)
					}
				}
			}
		})
	}
}

func TestSentences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "  \n ", nil},
		{"abbreviations", "Mr. Smith met Dr. Jones, e.g. at noon. They talked.",
			[]string{"Mr. Smith met Dr. Jones, e.g. at noon.", "They talked."}},
		{"i.e. before capital", "Use one tool, i.e. Go. It works.",
			[]string{"Use one tool, i.e. Go.", "It works."}},
		{"decimals", "Growth was 3.5 percent. Inflation hit 2.1 percent!",
			[]string{"Growth was 3.5 percent.", "Inflation hit 2.1 percent!"}},
		{"ellipsis lower", "Well... maybe later. Fine… I agree.",
			[]string{"Well... maybe later.", "Fine…", "I agree."}},
		{"ellipsis upper", "Wait... What happened?", []string{"Wait...", "What happened?"}},
		{"initials", "J. R. R. Tolkien wrote it. Done.", []string{"J. R. R. Tolkien wrote it.", "Done."}},
		{"lower after period", "It costs approx. five dollars. OK.", []string{"It costs approx. five dollars.", "OK."}},
		{"quotes", `He said "Stop." Then he left. (Really.) Yes?!`,
			[]string{`He said "Stop."`, "Then he left.", "(Really.)", "Yes?!"}},
		{"urls and versions", "See example.com/a.b for v1.2.3 details. Next.",
			[]string{"See example.com/a.b for v1.2.3 details.", "Next."}},
		{"speaker turns", "Alice: Hi there. How are you\nBob: fine\nthanks\n[00:01:02] Carol: ok\nSPEAKER_1: yes",
			[]string{"Alice: Hi there.", "How are you", "Bob: fine thanks", "[00:01:02] Carol: ok", "SPEAKER_1: yes"}},
		{"not speakers", "the plan: go\nat 10:30 we met\nhttp://x.y/z now",
			[]string{"the plan: go at 10:30 we met http://x.y/z now"}},
		{"blank lines", "Title\n\nBody text\nwraps here.\r\n\r\nEnd", []string{"Title", "Body text wraps here.", "End"}},
		{"cjk", "中文句子。另一个句子！结束？", []string{"中文句子。", "另一个句子！", "结束？"}},
		{"etc capital", "Apples, pears, etc. Then more.", []string{"Apples, pears, etc.", "Then more."}},
		{"etc lower", "Apples, pears, etc. and more.", []string{"Apples, pears, etc. and more."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := extractive.Sentences(tt.text)
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
				t.Errorf("Sentences(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestSummarizeLargeTranscript(t *testing.T) {
	t.Parallel()
	text := transcript(30000)
	got := extractive.Summarize(text, 200)
	if n := len(strings.Fields(got)); n == 0 || n > 200 {
		t.Fatalf("%d words", n)
	}
	if got != extractive.Summarize(text, 200) {
		t.Fatal("not deterministic")
	}
}

// transcript builds a deterministic synthetic meeting transcript of about
// words words.
func transcript(words int) string {
	speakers := []string{"Alice", "Bob", "Carol", "Dave"}
	topics := []string{
		"the quarterly budget review for the infrastructure team",
		"migrating the billing database to the new cluster",
		"hiring two engineers for the mobile application",
		"the security audit findings about expired certificates",
		"customer churn in the enterprise segment",
	}
	fillers := []string{"Yeah.", "Okay, sure.", "Right, right.", "Mm-hmm.", "I think so, yes."}
	var b strings.Builder
	n := 0
	for i := 0; n < words; i++ {
		fmt.Fprintf(&b, "%s: ", speakers[i%len(speakers)])
		var s string
		switch i % 3 {
		case 0:
			s = fmt.Sprintf("We should talk about %s, because item %d is still open. ", topics[i%len(topics)], i)
		case 1:
			s = fillers[i%len(fillers)] + " "
		default:
			s = fmt.Sprintf("I agree that %s needs an owner by week %d. Let us note it in the minutes. ", topics[(i/3)%len(topics)], i%52)
		}
		b.WriteString(s)
		b.WriteByte('\n')
		n += len(strings.Fields(s)) + 1
	}
	return b.String()
}

func BenchmarkSummarize(b *testing.B) {
	text := transcript(10000)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		extractive.Summarize(text, 200)
	}
}

func TestSummarizeSkipsRepeats(t *testing.T) {
	t.Parallel()
	const rep = "The billing database migration happens on Saturday night. "
	// The asides after the repeats make the text 75 words long, so that a
	// third of it (25) holds the repeated sentence twice (16) but not with
	// the next best distinct one (8+11): the summary must take that one.
	text := rep + "Backups of the billing database are taken before the migration. " +
		rep + "The migration of the billing database needs a maintenance window. " +
		rep + "Lunch was pizza. The weather was sunny and warm. A local bakery celebrated its tenth anniversary. " +
		"Parking near the stadium was full again. The coffee machine on floor three is broken."
	got := extractive.Summarize(text, 40)
	if n := strings.Count(got, "happens on Saturday night"); n != 1 {
		t.Errorf("repeated sentence appears %d times:\n%s", n, got)
	}
	if !strings.Contains(got, "Backups of the billing database") {
		t.Errorf("summary lacks the next distinct sentence:\n%s", got)
	}
}
