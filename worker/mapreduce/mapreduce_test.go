package mapreduce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/backend"
	"github.com/summarizer/summarizer/worker/chunk"
	"github.com/summarizer/summarizer/worker/journal"
	"github.com/summarizer/summarizer/worker/transcript/transcripttest"
)

// recordingModel answers every prompt with its first words and records
// what it saw; it stands for a model, not for RunPod's wire format (that is
// tested against the emulator in cmd/summarizer).
type recordingModel struct {
	mu      sync.Mutex
	prompts []string
	inFly   atomic.Int32
	peak    atomic.Int32
}

func (m *recordingModel) Name() string { return "recording" }

func (m *recordingModel) Complete(ctx context.Context, prompt string, _ journal.Journal) (backend.Completion, error) {
	n := m.inFly.Add(1)
	defer m.inFly.Add(-1)
	for p := m.peak.Load(); n > p && !m.peak.CompareAndSwap(p, n); p = m.peak.Load() {
	}
	m.mu.Lock()
	m.prompts = append(m.prompts, prompt)
	id := len(m.prompts)
	m.mu.Unlock()
	words := strings.Fields(prompt)
	return backend.Completion{Text: fmt.Sprintf("part%d %s", id, strings.Join(words[:min(30, len(words))], " ")), JobIDs: []string{fmt.Sprint("job-", id)}}, nil
}

func longTranscript(words int) string {
	var b strings.Builder
	speakers := []string{"Alice", "Bob", "Carol"}
	for i := 0; b.Len() < words*7; i++ {
		fmt.Fprintf(&b, "%s: Item w%d is about budget line %d, and we agreed to revisit it on day %d. ", speakers[i%3], i, i*7, i%30)
		if i%4 == 3 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// A long transcript: every prompt fits the budget, every part of the
// transcript reaches a map prompt, and the reduce levels end in one call.
func TestPipelineMapReduce(t *testing.T) {
	t.Parallel()
	m := &recordingModel{}
	p, err := New(m, Config{ChunkTokens: 500, PerDocument: 3, InFlight: 2, MaxChunks: 1000})
	if err != nil {
		t.Fatal(err)
	}
	text := longTranscript(30000)
	sum, err := p.Summarize(t.Context(), backend.Document{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Chunks < 20 {
		t.Errorf("%d chunks for 30,000 words at 500 tokens", sum.Chunks)
	}
	var mapPrompts, reducePrompts []string
	for _, pr := range m.prompts {
		if got := chunk.EstimateTokens(pr); got > 500 {
			t.Errorf("prompt of %d tokens over the 500 budget", got)
		}
		if strings.HasSuffix(pr, "Briefly summarize that dialogue.") {
			mapPrompts = append(mapPrompts, pr)
		} else {
			reducePrompts = append(reducePrompts, pr)
		}
	}
	if len(mapPrompts) != sum.Chunks || len(reducePrompts) == 0 {
		t.Errorf("%d map and %d reduce prompts for %d chunks", len(mapPrompts), len(reducePrompts), sum.Chunks)
	}
	joined := strings.Join(mapPrompts, " ")
	for i := 0; strings.Contains(text, fmt.Sprintf(" w%d ", i)); i += 37 {
		if !strings.Contains(joined, fmt.Sprintf(" w%d ", i)) {
			t.Errorf("item w%d of the transcript reached no chunk", i)
		}
	}
	if len(sum.JobIDs) != len(m.prompts) {
		t.Errorf("%d job ids for %d calls", len(sum.JobIDs), len(m.prompts))
	}
	last := m.prompts[len(m.prompts)-1]
	if !strings.Contains(last, "Combine them") || !strings.Contains(sum.Text, fmt.Sprintf("part%d", len(m.prompts))) {
		t.Errorf("the final summary is not the answer to one last reduce call: %q", sum.Text)
	}
	if peak := m.peak.Load(); peak > 2 {
		t.Errorf("%d calls at once with a process limit of 2", peak)
	}
}

// Partial summaries reach the reduce step in transcript order.
func TestPipelineKeepsOrder(t *testing.T) {
	t.Parallel()
	m := &recordingModel{}
	p, err := New(m, Config{ChunkTokens: 300, PerDocument: 8})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Summarize(t.Context(), backend.Document{Text: longTranscript(3000)}); err != nil {
		t.Fatal(err)
	}
	// Each map answer starts "partN Item wK": in a reduce prompt the item
	// numbers K must increase.
	for _, pr := range m.prompts {
		if !strings.Contains(pr, "Combine them") || strings.Count(pr, "part") < 2 {
			continue
		}
		prev := -1
		for _, line := range strings.Split(pr, "\n") {
			var id, k int
			if _, err := fmt.Sscanf(line, "part%d Alice: Item w%d", &id, &k); err != nil {
				if _, err := fmt.Sscanf(line, "part%d Bob: Item w%d", &id, &k); err != nil {
					if _, err := fmt.Sscanf(line, "part%d Carol: Item w%d", &id, &k); err != nil {
						continue
					}
				}
			}
			if k <= prev {
				t.Errorf("partial summaries out of order in a reduce prompt: w%d after w%d", k, prev)
			}
			prev = k
		}
	}
}

func TestPipelineShortTextIsOneCall(t *testing.T) {
	t.Parallel()
	m := &recordingModel{}
	p, err := New(m, Config{})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := p.Summarize(t.Context(), backend.Document{Text: "Alice: short meeting.\nBob: indeed."})
	if err != nil || sum.Chunks != 1 || len(m.prompts) != 1 {
		t.Errorf("short text: %+v, %v, %d calls", sum, err, len(m.prompts))
	}
}

func TestParsePrompts(t *testing.T) {
	t.Parallel()
	if _, err := ParsePrompts("Summarize: {{.Text}}", ""); err != nil {
		t.Errorf("custom map prompt: %v", err)
	}
	for _, bad := range []string{"no placeholder", "{{.Nope}}", "{{.Text"} {
		if _, err := ParsePrompts(bad, ""); err == nil {
			t.Errorf("ParsePrompts(%q): no error", bad)
		}
	}
	if _, err := New(&recordingModel{}, Config{ChunkTokens: 20}); err == nil {
		t.Error("a budget smaller than the prompt was accepted")
	}
}

// A transcript that needs more than MaxChunks map calls is too_large before
// any model call: GPU spend per transcript is capped.
func TestMaxChunksCapsSpend(t *testing.T) {
	t.Parallel()
	m := &recordingModel{}
	p, err := New(m, Config{ChunkTokens: 300, MaxChunks: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Summarize(t.Context(), backend.Document{Text: longTranscript(5000)})
	if r, ok := outcome.IsPermanent(err); !ok || r != outcome.ReasonTooLarge {
		t.Fatalf("err = %v, want too_large", err)
	}
	if n := len(m.prompts); n != 0 {
		t.Errorf("%d model calls before the cap was found", n)
	}
}

// failingModel fails the call whose prompt holds fail with err, and
// blocks every other call until its context ends, recording the cause.
type failingModel struct {
	fail    string
	err     error
	mu      sync.Mutex
	causes  []error
	started chan struct{}
}

func (m *failingModel) Name() string { return "failing" }

func (m *failingModel) Complete(ctx context.Context, prompt string, _ journal.Journal) (backend.Completion, error) {
	if strings.Contains(prompt, m.fail) {
		for range 3 { // the three others are waiting
			<-m.started
		}
		return backend.Completion{}, m.err
	}
	m.started <- struct{}{}
	<-ctx.Done()
	m.mu.Lock()
	m.causes = append(m.causes, context.Cause(ctx))
	m.mu.Unlock()
	return backend.Completion{}, ctx.Err()
}

// When one call fails, the others stop waiting, and their context's cause
// says whether the transcript is given up for good (backend.ErrGiveUp:
// cancel the job) or a later delivery takes over (leave the job running):
// outcome.GivenUp decides once, on the first failure. The failure
// returned is that first one.
func TestFailureStopsSiblingsWithItsCause(t *testing.T) {
	t.Parallel()
	transient := errors.New("job FAILED")
	tests := []struct {
		name   string
		err    error
		final  bool
		giveUp bool
	}{
		{"permanent", outcome.Permanent(outcome.ReasonBackendRejected, errors.New("400")), false, true},
		{"transient", transient, false, false},
		{"transient on the final delivery", transient, true, true},
		{"hold on the final delivery", outcome.Hold(outcome.CauseThrottled, errors.New("429")), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := &failingModel{fail: "marker-fail", err: tt.err, started: make(chan struct{})}
			p, err := New(m, Config{PerDocument: 4})
			if err != nil {
				t.Fatal(err)
			}
			inputs := []string{"part one", "part two", "marker-fail", "part four"}
			_, _, err = p.completeAll(t.Context(), p.cfg.Prompts.Map, inputs, journal.None{}, tt.final)
			if !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want the first failure %v", err, tt.err)
			}
			if len(m.causes) != 3 {
				t.Fatalf("%d calls stopped, want 3", len(m.causes))
			}
			for _, c := range m.causes {
				if got := errors.Is(c, backend.ErrGiveUp); got != tt.giveUp {
					t.Errorf("cause %v: given up %v, want %v", c, got, tt.giveUp)
				}
				if !tt.giveUp && !errors.Is(c, errSiblingFailed) {
					t.Errorf("cause %v, want errSiblingFailed", c)
				}
			}
		})
	}
}

// MaxChunks auto caps a transcript's tokens at a day of speech, whatever
// the budget: a 4-hour meeting (35,500 words) at CHUNK_TOKENS=500 needs
// over 200 map calls and is summarized; two days are too_large before any
// model call. A MaxChunks set is a cap on map calls as set.
func TestMaxChunksAuto(t *testing.T) {
	t.Parallel()
	meeting, twoDays := transcripttest.Diarized(35_500), transcripttest.Diarized(2*216_000)
	tests := []struct {
		name      string
		text      string
		maxChunks int
		minChunks int    // of a summary
		tooLarge  string // in the too_large error
	}{
		{"4-hour meeting, auto", meeting, 0, 201, ""},
		{"two days, auto", twoDays, 0, 0, "over a day of speech"},
		{"4-hour meeting, MAX_CHUNKS=10", meeting, 10, 0, "over MAX_CHUNKS 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := &recordingModel{}
			p, err := New(m, Config{ChunkTokens: 500, PerDocument: 16, MaxChunks: tt.maxChunks})
			if err != nil {
				t.Fatal(err)
			}
			sum, err := p.Summarize(t.Context(), backend.Document{Text: tt.text})
			if tt.tooLarge != "" {
				if r, _ := outcome.IsPermanent(err); r != outcome.ReasonTooLarge || !strings.Contains(err.Error(), tt.tooLarge) {
					t.Fatalf("err = %v, want too_large %q", err, tt.tooLarge)
				}
				if n := len(m.prompts); n != 0 {
					t.Errorf("%d model calls before the cap was found", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sum.Chunks < tt.minChunks || sum.Text == "" {
				t.Errorf("%d chunks, summary %q; want at least %d chunks", sum.Chunks, sum.Text, tt.minChunks)
			}
		})
	}
	if _, err := New(&recordingModel{}, Config{MaxChunks: MaxChunksLimit + 1}); err == nil {
		t.Error("a MaxChunks over what a job journal holds was accepted")
	}
}

// A day of speech passes MaxChunks auto at CHUNK_TOKENS=400, within what a
// job journal holds.
func TestDayOfSpeechFitsAuto(t *testing.T) {
	t.Parallel()
	p, err := New(&recordingModel{}, Config{ChunkTokens: 400})
	if err != nil {
		t.Fatal(err)
	}
	day := transcripttest.Diarized(216_000)
	chunks, err := p.Chunks(day)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.withinSpend(day, -1); err != nil {
		t.Error(err)
	}
	if err := p.withinSpend(day, len(chunks)); err != nil {
		t.Error(err)
	}
}

// A transcript that repeats itself (the same paragraph over and over: a
// looping recording, a hostile upload) makes one model call per distinct
// chunk: identical prompts share one journal key, and two calls for one key
// would submit, and pay for, two jobs.
func TestIdenticalChunksShareOneCall(t *testing.T) {
	t.Parallel()
	m := &recordingModel{}
	p, err := New(m, Config{ChunkTokens: 300, PerDocument: 8})
	if err != nil {
		t.Fatal(err)
	}
	para := "Alice: The quarterly numbers are in and the budget holds for the rest of the year, so hiring can go ahead.\n\n"
	text := strings.Repeat(para, 60)
	chunks, err := p.Chunks(text)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for _, c := range chunks {
		distinct[c] = true
	}
	if len(distinct) >= len(chunks) {
		t.Fatalf("%d chunks, %d distinct: the transcript does not repeat itself", len(chunks), len(distinct))
	}
	sum, err := p.Summarize(t.Context(), backend.Document{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	maps := 0
	seen := map[string]int{}
	for _, pr := range m.prompts {
		if !strings.Contains(pr, "Combine them") {
			maps++
		}
		seen[pr]++
	}
	if maps != len(distinct) {
		t.Errorf("%d map calls for %d chunks of which %d distinct, want one per distinct chunk", maps, len(chunks), len(distinct))
	}
	for pr, n := range seen {
		if n > 1 {
			t.Errorf("prompt of %d bytes sent %d times", len(pr), n)
		}
	}
	if sum.Chunks != len(chunks) {
		t.Errorf("summary says %d chunks, want %d", sum.Chunks, len(chunks))
	}
}
