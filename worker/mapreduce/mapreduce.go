// Package mapreduce summarizes a transcript of any length with a
// backend.Model whose input is bounded (flan-t5-xl: 2,048 tokens at best):
// it splits the text into chunks whose whole prompt fits the budget, has
// each chunk summarized (map, a few at once per transcript and a bounded
// number across the process), then merges the partial summaries level by
// level until one call holds them all (reduce). When one call fails the
// others stop waiting; their jobs are cancelled only when outcome.GivenUp
// says the transcript is given up for good.
package mapreduce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"text/template"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/semaphore"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/backend"
	"github.com/summarizer/summarizer/worker/chunk"
	"github.com/summarizer/summarizer/worker/internal/span"
	"github.com/summarizer/summarizer/worker/journal"
)

// Default prompts, flan-t5 style: the text first, then the instruction.
const (
	MapPromptDefault    = "{{.Text}}\n\nBriefly summarize that dialogue."
	ReducePromptDefault = "{{.Text}}\n\nThese are summaries of consecutive parts of one conversation. Combine them into one brief summary."
)

// DayOfSpeechTokens is what one transcript may cost with Config.MaxChunks
// auto: about a day of speech, 24 h at 150 words a minute (216,000 spoken
// words), at 3 tokens a spoken word as chunk.EstimateTokens counts a
// transcript with its speaker labels, punctuation and line ends (2.2 on
// long turns under first names, as in worker/chunk's meeting fixture and
// worker/transcript's goldens, to 3.0 on short turns under "Speaker N"
// labels). It bounds the transcript's tokens, which is what its map
// calls spend, so it is the same cap at any ChunkTokens.
const DayOfSpeechTokens = 216_000 * 3

// MaxChunksLimit is the most map calls one transcript may need, whatever
// MaxChunks says: its job journal holds the map prompts and their merges,
// which are fewer than the map prompts (a level of pairs merges n parts in
// n-1 calls), so half of journal.MaxEntries. A day of speech needs fewer
// at any ChunkTokens of 400 or more (1,884 at 400, 1,507 at 500, 461 at
// 1,500, on the transcript of short turns above).
const MaxChunksLimit = journal.MaxEntries / 2

// Prompts are the map prompt (one chunk of transcript) and the reduce prompt
// (partial summaries, one per line), Go templates with {{.Text}}.
type Prompts struct {
	Map, Reduce *template.Template
}

// ParsePrompts parses the two prompt templates; an empty text means the
// default. Each must use {{.Text}}.
func ParsePrompts(mapText, reduceText string) (Prompts, error) {
	var errs []error
	parse := func(name, text, def string) *template.Template {
		if strings.TrimSpace(text) == "" {
			text = def
		}
		t, err := template.New(name).Option("missingkey=error").Parse(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s prompt: %w", name, err))
			return nil
		}
		var a, b bytes.Buffer
		if err := t.Execute(&a, promptData{Text: "\x00a"}); err != nil {
			errs = append(errs, fmt.Errorf("%s prompt: %w", name, err))
			return nil
		}
		_ = t.Execute(&b, promptData{Text: "\x00b"})
		if a.String() == b.String() {
			errs = append(errs, fmt.Errorf("%s prompt: does not use {{.Text}}", name))
			return nil
		}
		return t
	}
	p := Prompts{Map: parse("map", mapText, MapPromptDefault), Reduce: parse("reduce", reduceText, ReducePromptDefault)}
	return p, errors.Join(errs...)
}

type promptData struct{ Text string }

func render(t *template.Template, text string) string {
	var b strings.Builder
	_ = t.Execute(&b, promptData{Text: text}) // validated by ParsePrompts
	return b.String()
}

// Config tunes a Pipeline.
type Config struct {
	// ChunkTokens is the model's input budget per call, prompt included
	// (default 1500), as counted by Count.
	ChunkTokens int
	// Count estimates the tokens of a text (default chunk.EstimateTokens,
	// which errs on the safe side).
	Count func(string) int
	// PerDocument is how many model calls of one transcript run at once
	// (default 4).
	PerDocument int
	// MaxChunks caps the map calls one transcript may need: a longer one
	// is a permanent too_large failure before any call, so GPU spend per
	// transcript is bounded. 0 is auto: a transcript of more than
	// DayOfSpeechTokens (as counted by Count) is too_large, whatever
	// ChunkTokens is, and a shorter one may need as many map calls as its
	// chunks (at most MaxChunksLimit, which no MaxChunks may exceed).
	MaxChunks int
	// InFlight bounds the model calls of all transcripts of this Pipeline
	// at once (one Pipeline serves a process), so one huge transcript
	// cannot starve the others; 0 means no bound.
	InFlight int
	Prompts  Prompts
	Logger   *zap.Logger
}

// Pipeline summarizes a transcript of any length with a Model: it splits the
// text into chunks that fit the model's input budget, summarizes the chunks
// concurrently (map), then merges the partial summaries, level by level,
// until one call holds them all (reduce).
type Pipeline struct {
	model    backend.Model
	cfg      Config
	inFlight *semaphore.Weighted // model calls of every transcript
}

// New returns a pipeline over m.
func New(m backend.Model, cfg Config) (*Pipeline, error) {
	if cfg.ChunkTokens == 0 {
		cfg.ChunkTokens = 1500
	}
	if cfg.Count == nil {
		cfg.Count = chunk.EstimateTokens
	}
	if cfg.PerDocument == 0 {
		cfg.PerDocument = 4
	}
	if cfg.MaxChunks < 0 || cfg.MaxChunks > MaxChunksLimit {
		return nil, fmt.Errorf("max chunks %d: want 0 (auto) to %d, the map calls a job journal can hold with their merges", cfg.MaxChunks, MaxChunksLimit)
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Prompts.Map == nil || cfg.Prompts.Reduce == nil {
		p, err := ParsePrompts("", "")
		if err != nil {
			return nil, err
		}
		cfg.Prompts = p
	}
	overhead := max(cfg.Count(render(cfg.Prompts.Map, "")), cfg.Count(render(cfg.Prompts.Reduce, "")))
	if cfg.ChunkTokens < overhead+64 {
		return nil, fmt.Errorf("chunk tokens %d: the prompts alone take %d; want at least %d", cfg.ChunkTokens, overhead, overhead+64)
	}
	inFlight := int64(cfg.InFlight)
	if inFlight <= 0 {
		inFlight = math.MaxInt64
	}
	return &Pipeline{model: m, cfg: cfg, inFlight: semaphore.NewWeighted(inFlight)}, nil
}

// Summarize runs map-reduce over doc.Text. Partial summaries keep the order
// of the transcript.
func (p *Pipeline) Summarize(ctx context.Context, doc backend.Document) (backend.Summary, error) {
	if err := p.withinSpend(doc.Text, -1); err != nil {
		return backend.Summary{}, err
	}
	chunks, err := p.split(doc.Text, p.cfg.Prompts.Map)
	if err != nil {
		return backend.Summary{}, err
	}
	if err := p.withinSpend(doc.Text, len(chunks)); err != nil {
		return backend.Summary{Chunks: len(chunks)}, err
	}
	sum := backend.Summary{Model: p.model.Name(), Chunks: len(chunks)}
	log := span.Log(ctx, p.cfg.Logger.WithLazy(zap.String("key", doc.Key)))
	start := time.Now()
	mctx, sp := span.Start(ctx, "map", span.Chunks.Int(len(chunks)))
	parts, ids, err := p.completeAll(mctx, p.cfg.Prompts.Map, chunks, doc.Journal, doc.Final)
	span.End(sp, err)
	sum.JobIDs = append(sum.JobIDs, ids...)
	if err != nil {
		return sum, err
	}
	log.Debug("map done", zap.Int("chunks", len(chunks)), zap.Duration("took", time.Since(start)))
	for level := 1; len(parts) > 1; level++ {
		groups := p.group(parts)
		// A group of one part goes on to the next level as it is: a model
		// call would only rephrase it.
		var merge []string
		var at []int
		next := make([]string, len(groups))
		for i, g := range groups {
			if len(g) == 1 {
				next[i] = g[0]
				continue
			}
			merge = append(merge, strings.Join(g, "\n"))
			at = append(at, i)
		}
		rctx, sp := span.Start(ctx, "reduce", span.Level.Int(level), span.Calls.Int(len(merge)))
		merged, ids, err := p.completeAll(rctx, p.cfg.Prompts.Reduce, merge, doc.Journal, doc.Final)
		span.End(sp, err)
		sum.JobIDs = append(sum.JobIDs, ids...)
		if err != nil {
			return sum, err
		}
		for k, i := range at {
			next[i] = merged[k]
		}
		parts = next
		log.Debug("reduce level done", zap.Int("level", level), zap.Int("calls", len(merge)), zap.Int("outputs", len(parts)))
	}
	sum.Text = parts[0]
	sum.JobIDs = unique(sum.JobIDs)
	return sum, nil
}

// withinSpend is the cap on what one transcript may cost, checked before
// any model call: with MaxChunks auto, its tokens (before it is split,
// chunks < 0) within DayOfSpeechTokens and its map calls within
// MaxChunksLimit; else its map calls within MaxChunks. The error says
// which cap it is over.
func (p *Pipeline) withinSpend(text string, chunks int) error {
	tooLarge := func(format string, a ...any) error {
		return outcome.Permanent(outcome.ReasonTooLarge, fmt.Errorf(format, a...))
	}
	switch {
	case p.cfg.MaxChunks > 0:
		if chunks > p.cfg.MaxChunks {
			return tooLarge("transcript needs %d chunks, over MAX_CHUNKS %d", chunks, p.cfg.MaxChunks)
		}
	case chunks < 0:
		if n := p.cfg.Count(text); n > DayOfSpeechTokens {
			return tooLarge("transcript of about %d tokens, over a day of speech (%d tokens, MAX_CHUNKS auto)", n, DayOfSpeechTokens)
		}
	case chunks > MaxChunksLimit:
		return tooLarge("transcript needs %d chunks, over the %d a job journal holds with their merges (MAX_CHUNKS auto)", chunks, MaxChunksLimit)
	}
	return nil
}

// unique drops repeated ids (identical prompts share one journaled job),
// keeping the first of each.
func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// split cuts text into chunks whose prompts fit the budget. The estimate of
// a prompt is not exactly the estimate of its parts added up, so a chunk
// whose prompt still does not fit makes the budget shrink and the split run
// again.
func (p *Pipeline) split(text string, t *template.Template) ([]string, error) {
	overhead := p.cfg.Count(render(t, ""))
	budget := p.cfg.ChunkTokens - overhead - 8
	for range 8 {
		chunks, err := chunk.Split(text, chunk.Config{Budget: budget, Count: p.cfg.Count})
		if err != nil {
			return nil, fmt.Errorf("split transcript: %w", err)
		}
		if len(chunks) == 0 {
			return nil, outcome.Permanent(outcome.ReasonBadFormat, errors.New("empty transcript"))
		}
		fits := true
		for _, c := range chunks {
			if p.cfg.Count(render(t, c)) > p.cfg.ChunkTokens {
				fits = false
				break
			}
		}
		if fits {
			return chunks, nil
		}
		budget = budget * 9 / 10
	}
	return nil, fmt.Errorf("cannot fit chunks into %d tokens with this prompt", p.cfg.ChunkTokens)
}

// group packs partial summaries, in order, into reduce inputs that fit the
// budget. Any two parts fit one input (a part too long to pair is cut to
// half the budget), so every group but maybe the last holds two or more and
// every level makes progress.
func (p *Pipeline) group(parts []string) [][]string {
	t := p.cfg.Prompts.Reduce
	fits := func(s string) bool { return p.cfg.Count(render(t, s)) <= p.cfg.ChunkTokens }
	half := (p.cfg.ChunkTokens - p.cfg.Count(render(t, ""))) / 2
	var groups [][]string
	var cur []string
	for _, part := range parts {
		part = strings.TrimSpace(part)
		if !fits(part + "\n" + part) {
			part = p.truncate(part, half-8)
		}
		if len(cur) > 0 && !fits(strings.Join(append(cur, part), "\n")) {
			groups = append(groups, cur)
			cur = nil
		}
		cur = append(cur, part)
	}
	return append(groups, cur)
}

func (p *Pipeline) truncate(s string, budget int) string {
	chunks, err := chunk.Split(s, chunk.Config{Budget: max(budget, 16), Count: p.cfg.Count, Overlap: -1})
	if err != nil || len(chunks) == 0 {
		return s
	}
	p.cfg.Logger.Warn("a partial summary exceeded half the input budget and was cut", zap.Int("tokens", p.cfg.Count(s)))
	return chunks[0]
}

// completeAll runs one model call per distinct input, at most PerDocument
// at once, and returns the answers in input order with every job id. When a call
// fails no new call starts, and the others stop waiting: their jobs run on,
// journaled, for the next delivery to pick up, unless the failure gives the
// transcript up for good (outcome.GivenUp: dead-lettered now; never a
// hold, which keeps the message even on its final delivery): then their
// jobs are cancelled (backend.ErrGiveUp).
//
// It is not an errgroup: errgroup's context is cancelled with the first
// error itself as its cause, while the other calls must learn one of two
// things from their context's cause, the transcript is given up for good
// (backend.ErrGiveUp: cancel your job) or a later delivery takes over
// (errSiblingFailed: leave your job running, journaled), decided once by
// outcome.GivenUp on that first error.
func (p *Pipeline) completeAll(ctx context.Context, t *template.Template, inputs []string, j journal.Journal, final bool) ([]string, []string, error) {
	out := make([]string, len(inputs))
	idsOf := make([][]string, len(inputs))
	gctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr != nil {
			return
		}
		firstErr = err
		if outcome.GivenUp(err, final) {
			cancel(backend.ErrGiveUp)
		} else {
			cancel(errSiblingFailed)
		}
	}
	perDocument := semaphore.NewWeighted(int64(p.cfg.PerDocument))
	// Identical inputs (a transcript that repeats itself) make one call:
	// their prompts share one journal key, and two calls would submit, and
	// pay for, two jobs of one prompt.
	first := make(map[string]int, len(inputs))
	for i, in := range inputs {
		if _, dup := first[in]; dup {
			continue
		}
		first[in] = i
		if perDocument.Acquire(gctx, 1) != nil {
			break // stopped
		}
		if gctx.Err() != nil {
			perDocument.Release(1) // stopped, though a slot came free at the same time
			break
		}
		call := func() {
			defer perDocument.Release(1)
			if err := p.inFlight.Acquire(gctx, 1); err != nil {
				fail(err)
				return
			}
			defer p.inFlight.Release(1)
			c, err := p.model.Complete(gctx, render(t, in), j)
			idsOf[i] = c.JobIDs
			switch {
			case err != nil:
				fail(err)
			case strings.TrimSpace(c.Text) == "":
				fail(fmt.Errorf("model returned an empty summary (jobs %v)", c.JobIDs))
			default:
				out[i] = strings.TrimSpace(c.Text)
			}
		}
		if len(inputs) == 1 {
			call() // no goroutine (and stack) for the usual one-chunk transcript
			break
		}
		wg.Go(call)
	}
	wg.Wait()
	for i, in := range inputs {
		if f := first[in]; f != i {
			out[i] = out[f]
		}
	}
	var ids []string
	for _, s := range idsOf {
		ids = append(ids, s...)
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = context.Cause(ctx)
	}
	return out, ids, firstErr
}

// errSiblingFailed stops the other calls of a transcript when one failed in
// a way a later delivery may overcome: their jobs run on, journaled.
var errSiblingFailed = errors.New("another part of the transcript failed")

// Abandon cancels jobs of a transcript given up for good, if the model has
// jobs to cancel.
func (p *Pipeline) Abandon(ctx context.Context, ids []string) {
	if a, ok := p.model.(backend.Abandoner); ok {
		a.Abandon(ctx, ids)
	}
}

// Chunks is how Summarize cuts text for the map step.
func (p *Pipeline) Chunks(text string) ([]string, error) { return p.split(text, p.cfg.Prompts.Map) }

// PromptTokens is the estimated size of the map prompt of one chunk.
func (p *Pipeline) PromptTokens(chunk string) int {
	return p.cfg.Count(render(p.cfg.Prompts.Map, chunk))
}
