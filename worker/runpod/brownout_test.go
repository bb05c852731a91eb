package runpod

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// brownout answers /status 503 (with a JSON error body) until it is ended, and
// records when each /status request arrived.
type brownout struct {
	end   atomic.Int64 // UnixNano when the brownout ends; 0: not yet decided
	until func(id string) reply

	mu    sync.Mutex
	polls []time.Time
}

// status is a fakeRunPod.status hook: 503 during the brownout, then
// after(id).
func (b *brownout) status(after func(id string) reply) func(id string, n int) reply {
	return func(id string, n int) reply {
		now := time.Now()
		b.mu.Lock()
		b.polls = append(b.polls, now)
		b.mu.Unlock()
		if end := b.end.Load(); end == 0 || now.UnixNano() < end {
			return code(503)
		}
		return after(id)
	}
}

// count is the number of /status requests that arrived in [from, to).
func (b *brownout) count(from, to time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, p := range b.polls {
		if !p.Before(from) && p.Before(to) {
			n++
		}
	}
	return n
}

// brownoutBound is the most /status requests a client with PollRate rate may
// send in a window of d that starts before the client was created: its poll
// gate is a token bucket holding at most one token (rate/10 below 10/s) and
// refilled at rate, so at most 1 + rate·d requests get a token. The margin
// of one more request covers the rounding of the bucket's float arithmetic.
// No timing slack is needed: a slow machine only sends fewer requests.
func brownoutBound(rate float64, d time.Duration) int {
	return 1 + int(rate*d.Seconds()) + 1
}

// In a 5xx brownout of every /status request, twenty jobs in flight send at
// most RUNPOD_POLL_RATE requests per second: a failed poll is not retried
// below the poll gate. When the brownout ends every job's result is used and
// none is cancelled.
func TestBrownoutKeepsPollRate(t *testing.T) {
	t.Parallel()
	const (
		jobs = 20
		rate = 5.0
		dur  = 3 * time.Second
	)
	b := &brownout{}
	f := (&fakeRunPod{status: b.status(func(id string) reply {
		return ok(statusBody(id, StatusCompleted, `{"text":"done `+id+`"}`))
	})}).start(t)
	start := time.Now()
	b.end.Store(start.Add(dur).UnixNano())
	cfg := testConfig(t, f.url())
	cfg.PollRate = rate
	cfg.PollInitial = 10 * time.Millisecond
	cfg.PollMax = 200 * time.Millisecond
	cfg.MaxAttempts = 5
	cfg.JobTimeout, cfg.JobTTL = 5*time.Minute, 5*time.Minute
	var jobLog jobLog
	cfg.OnJob = jobLog.add
	c := newTestClient(t, cfg)

	var wg sync.WaitGroup
	texts := make([]string, jobs)
	for i := range jobs {
		wg.Go(func() {
			res, ids, err := summarizeJob(t.Context(), c, "prompt")
			if err != nil {
				t.Errorf("job %d: %v", i, err)
				return
			}
			if res.Text != "done "+ids[0] {
				t.Errorf("job %d: text %q, want its own result", i, res.Text)
			}
			texts[i] = res.Text
		})
	}
	wg.Wait()
	got, bound := b.count(start, start.Add(dur)), brownoutBound(rate, dur)
	t.Logf("%d jobs, every /status 503 for %v at PollRate %v: %d /status requests in the brownout (%.1f/s), bound %d",
		jobs, dur, rate, got, float64(got)/dur.Seconds(), bound)
	if got > bound {
		t.Errorf("%d /status requests during a %v brownout at PollRate %v, want at most %d", got, dur, rate, bound)
	}
	_, runs, cancels := f.snapshot()
	if runs != jobs || len(cancels) != 0 {
		t.Errorf("%d jobs submitted, %d cancelled; want %d and none", runs, len(cancels), jobs)
	}
	if n := len(slices.Compact(slices.Sorted(slices.Values(texts)))); n != jobs {
		t.Errorf("%d distinct results for %d jobs", n, jobs)
	}
	if got := jobLog.get(); len(got) != jobs || slices.ContainsFunc(got, func(s string) bool { return s != StatusCompleted }) {
		t.Errorf("OnJob = %v, want %d COMPLETED", got, jobs)
	}
}

// The last look at the end of a job's budget (here its ttl: no poll ever
// saw it start) during a brownout is tried again, with backoff, until
// RunPod answers: a job that COMPLETED meanwhile is used, not cancelled and
// paid for again.
func TestLastLookOutlastsBrownout(t *testing.T) {
	t.Parallel()
	b := &brownout{}
	f := (&fakeRunPod{status: b.status(func(id string) reply {
		return ok(statusBody(id, StatusCompleted, `{"text":"done"}`))
	})}).start(t)
	cfg := testConfig(t, f.url())
	cfg.JobTimeout, cfg.JobTTL = 100*time.Millisecond, 300*time.Millisecond
	cfg.RetryInitial = 10 * time.Millisecond
	cfg.RetryMax = 100 * time.Millisecond
	var jobs jobLog
	cfg.OnJob = jobs.add
	c := newTestClient(t, cfg)
	id, err := c.Submit(t.Context(), "prompt")
	if err != nil {
		t.Fatal(err)
	}
	submitted := time.Now()
	// The brownout outlasts the job's ttl by a second.
	b.end.Store(submitted.Add(cfg.JobTTL + time.Second).UnixNano())
	res, err := c.WaitFrom(t.Context(), id, submitted)
	if err != nil || res.Text != "done" {
		t.Fatalf("WaitFrom = %+v, %v; want the completed job's result", res, err)
	}
	if _, _, cancels := f.snapshot(); len(cancels) != 0 {
		t.Errorf("cancels %v, want none: the job completed", cancels)
	}
	if got := jobs.get(); !slices.Equal(got, []string{StatusCompleted}) {
		t.Errorf("OnJob = %v, want [COMPLETED]", got)
	}
	if res.Polls < 2 {
		t.Errorf("Polls = %d, want the failed looks counted too", res.Polls)
	}
}

// When the caller stops waiting while the last look at JobTimeout is still
// failing, the job is not abandoned: its state was never seen, and the next
// delivery that holds its id looks again.
func TestLastLookStopsWithCallerWithoutAbandoning(t *testing.T) {
	t.Parallel()
	b := &brownout{} // never ends
	f := (&fakeRunPod{status: b.status(func(id string) reply { return ok(statusBody(id, StatusCompleted, `"x"`)) })}).start(t)
	cfg := testConfig(t, f.url())
	var jobs jobLog
	cfg.OnJob = jobs.add
	c := newTestClient(t, cfg)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		// Stop once the last look has failed a few times.
		for f.pollCount() < 5 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err := c.WaitFrom(ctx, "old-job", time.Now().Add(-time.Hour))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitFrom = %v, want the caller's context.Canceled", err)
	}
	if errors.Is(err, ErrJobTimeout) {
		t.Errorf("error %v says the job was given up", err)
	}
	e := asError(t, err)
	if e.JobStatus != "" || e.JobID != "old-job" || errClass(err) != "temporary" {
		t.Errorf("error %v: JobStatus %q, JobID %q, class %s; want no job status, old-job, temporary", err, e.JobStatus, e.JobID, errClass(err))
	}
	if _, _, cancels := f.snapshot(); len(cancels) != 0 {
		t.Errorf("cancels %v, want none: the job's state was never seen", cancels)
	}
	if got := jobs.get(); len(got) != 0 {
		t.Errorf("OnJob = %v, want nothing", got)
	}
}

// A failed poll's Retry-After (a 503's) is honoured, capped at RetryMax,
// before the job is polled again. Only a lower bound is asserted: a slow
// machine can only make the wait longer.
func TestStatusRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	f := (&fakeRunPod{status: func(id string, n int) reply {
		if n == 1 {
			return reply{code: 503, body: `{"error":"busy"}`, header: map[string]string{"Retry-After": "1"}}
		}
		return ok(statusBody(id, StatusCompleted, `"done"`))
	}}).start(t)
	cfg := testConfig(t, f.url())
	cfg.RetryMax = 5 * time.Second
	c := newTestClient(t, cfg)
	id, err := c.Submit(t.Context(), "prompt")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := c.Wait(t.Context(), id)
	if err != nil || res.Text != "done" || res.Polls != 2 {
		t.Fatalf("Wait = %+v, %v; want done after 2 polls", res, err)
	}
	if elapsed := time.Since(start); elapsed < 900*time.Millisecond {
		t.Errorf("polled again after %v, want Retry-After's 1 s", elapsed)
	}
}

// The last look at JobTimeout honours a Retry-After too, and a refusal that
// is not transient (401: our key) ends it without abandoning the job: its
// state was not seen.
func TestLastLookRetryAfterAndRefusal(t *testing.T) {
	t.Parallel()
	f := (&fakeRunPod{status: func(id string, n int) reply {
		if n == 1 {
			return reply{code: 503, body: `{"error":"busy"}`, header: map[string]string{"Retry-After": "1"}}
		}
		return code(401)
	}}).start(t)
	cfg := testConfig(t, f.url())
	cfg.RetryMax = 5 * time.Second
	var jobs jobLog
	cfg.OnJob = jobs.add
	c := newTestClient(t, cfg)
	start := time.Now()
	res, err := c.WaitFrom(t.Context(), "old-job", time.Now().Add(-time.Hour))
	if errClass(err) != "config" || res.Polls != 2 {
		t.Fatalf("WaitFrom = %+v, %v; want a config error after 2 looks", res, err)
	}
	if elapsed := time.Since(start); elapsed < 900*time.Millisecond {
		t.Errorf("looked again after %v, want Retry-After's 1 s", elapsed)
	}
	if _, _, cancels := f.snapshot(); len(cancels) != 0 {
		t.Errorf("cancels %v, want none", cancels)
	}
	if got := jobs.get(); len(got) != 0 {
		t.Errorf("OnJob = %v, want nothing", got)
	}
}
