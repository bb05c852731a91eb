package runpod

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/summarizer/summarizer/queue/outcome"
)

// health builds a /health answer.
func health(inQueue, inProgress, running, idle, initializing, unhealthy, throttled, completed int) Health {
	var h Health
	h.Jobs.InQueue, h.Jobs.InProgress, h.Jobs.Completed = inQueue, inProgress, completed
	h.Workers.Running, h.Workers.Idle, h.Workers.Initializing = running, idle, initializing
	h.Workers.Unhealthy, h.Workers.Throttled = unhealthy, throttled
	return h
}

func testWindow(t *testing.T, queueDelay time.Duration) *Window {
	t.Helper()
	cfg := testConfig(t, "http://127.0.0.1:1/v2/x")
	cfg.QueueDelay = queueDelay
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.Window()
}

// The window from /health: the endpoint's slots, what a job takes, and the
// replica's share of the endpoint's jobs.
func TestWindowUpdate(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		name        string
		exec        time.Duration // 0: unknown
		limit       int           // before
		outstanding int
		h           Health
		want        int
		stalled     bool
	}{
		{name: "idle endpoint, job time unknown: its free slots", limit: 1, h: health(0, 0, 0, 4, 0, 0, 0, 0), want: 4},
		{name: "idle endpoint, 2 s jobs: its free slots", exec: 2 * time.Second, limit: 1, h: health(0, 0, 0, 4, 0, 0, 0, 0), want: 4},
		{name: "at target: 4 slots × (1+10/2) = 24 jobs, a third of them ours", exec: 2 * time.Second, limit: 9, outstanding: 8,
			h: health(20, 4, 4, 0, 0, 0, 0, 7), want: 9},
		{name: "twice the target: half as many, plus one", exec: 2 * time.Second, limit: 9, outstanding: 8,
			h: health(44, 4, 4, 0, 0, 0, 0, 7), want: 5},
		{name: "room: at most doubling per look", exec: 2 * time.Second, limit: 1, outstanding: 1,
			h: health(0, 1, 1, 3, 0, 0, 0, 7), want: 3},
		{name: "booting workers count as slots", exec: 2 * time.Second, limit: 4, outstanding: 2,
			h: health(2, 0, 0, 0, 2, 0, 0, 0), want: 9},
		{name: "a vLLM worker takes 30 jobs at once", exec: 10 * time.Second, limit: 40, outstanding: 35,
			h: health(5, 30, 1, 0, 0, 0, 0, 3), want: 61},
		{name: "scaled to zero, nothing queued: one job wakes it", exec: 2 * time.Second, limit: 6, h: health(0, 0, 0, 0, 0, 0, 0, 0), want: 1},
		{name: "workers crash-loop: stalled, nothing new", exec: 2 * time.Second, limit: 6, outstanding: 2,
			h: health(5, 0, 0, 0, 1, 3, 0, 0), want: 0, stalled: true},
		{name: "host throttled: stalled", limit: 6, outstanding: 2, h: health(5, 0, 0, 0, 0, 0, 2, 0), want: 0, stalled: true},
		{name: "some workers unhealthy, others run: drains", exec: 2 * time.Second, limit: 6, outstanding: 6,
			h: health(6, 2, 2, 0, 0, 2, 0, 0), want: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := testWindow(t, 10*time.Second)
			w.mu.Lock()
			defer w.mu.Unlock()
			if tt.exec > 0 {
				w.exec.observe(tt.exec)
			}
			w.limit, w.outstanding = tt.limit, tt.outstanding
			w.update(tt.h, now)
			if w.limit != tt.want || (w.stalled != nil) != tt.stalled {
				t.Errorf("limit %d, stalled %v; want %d, %v", w.limit, w.stalled, tt.want, tt.stalled)
			}
		})
	}
}

// A queue with no worker running, idle or starting, and nothing finishing,
// stalls after StallAfter: RunPod lowered the endpoint's max workers, or the
// account ran dry.
func TestWindowStallsWhenQueueDoesNotMove(t *testing.T) {
	t.Parallel()
	w := testWindow(t, 10*time.Second)
	w.mu.Lock()
	defer w.mu.Unlock()
	t0 := time.Now()
	stuck := health(3, 0, 0, 0, 0, 0, 0, 5)
	w.update(stuck, t0)
	w.update(stuck, t0.Add(w.stallAfter/2))
	if w.stalled != nil {
		t.Fatalf("stalled after %v: %v", w.stallAfter/2, w.stalled)
	}
	w.update(stuck, t0.Add(w.stallAfter))
	if w.stalled == nil || w.limit != 0 {
		t.Fatalf("not stalled after %v with the queue unmoved (limit %d)", w.stallAfter, w.limit)
	}
	if strings.Contains(w.stalled.Error(), "\n") {
		t.Errorf("stall reason %q spans lines", w.stalled)
	}
	w.update(health(2, 1, 1, 0, 0, 0, 0, 6), t0.Add(w.stallAfter+time.Second))
	if w.stalled != nil || w.limit < 1 {
		t.Errorf("still stalled (%v, limit %d) once a worker runs", w.stalled, w.limit)
	}
}

// Waiting callers are served by the fewest jobs of their group first: a
// long transcript's map jobs do not starve short transcripts.
func TestWindowFairAmongGroups(t *testing.T) {
	t.Parallel()
	w := testWindow(t, 10*time.Second)
	w.mu.Lock()
	w.limit = 2
	w.mu.Unlock()
	ctx := t.Context()
	var held []func()
	for range 2 {
		release, err := w.Acquire(ctx, "long")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, release)
	}
	var (
		mu    sync.Mutex
		order []string
		wg    sync.WaitGroup
	)
	for i, g := range []string{"long", "short-1", "long", "short-2"} {
		wg.Go(func() {
			release, err := w.Acquire(ctx, g)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, g)
			mu.Unlock()
			release()
		})
		waitUntil(t, fmt.Sprintf("waiter %d queued", i), func() bool { return w.Stats().Waiting == i+1 })
	}
	held[0]()
	wg.Wait()
	held[1]()
	got := strings.Join(order, ",")
	if !strings.HasPrefix(got, "short-1,short-2,") {
		t.Errorf("served %s, want both short transcripts before the long one's next jobs", got)
	}
	if s := w.Stats(); s.Outstanding != 0 || s.Waiting != 0 {
		t.Errorf("after all released: %+v", s)
	}
}

// recordingHolder records holds in place.
type recordingHolder struct {
	mu     sync.Mutex
	causes []outcome.Cause
	ended  int
}

func (h *recordingHolder) HoldInPlace(cause outcome.Cause, err error) func() {
	h.mu.Lock()
	h.causes = append(h.causes, cause)
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		h.ended++
		h.mu.Unlock()
	}
}

func (h *recordingHolder) get() ([]outcome.Cause, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]outcome.Cause(nil), h.causes...), h.ended
}

// The window asks /health while it has work, stalls while the endpoint's
// workers crash-loop (a caller waiting for room is held in place as an
// outage, nothing is admitted), and opens again when they recover.
func TestWindowStallAndRecovery(t *testing.T) {
	t.Parallel()
	var crash atomic.Bool
	crash.Store(true)
	f := (&fakeRunPod{health: func(n int) reply {
		if crash.Load() {
			return ok(`{"jobs":{"inQueue":4,"inProgress":0},"workers":{"initializing":1,"unhealthy":2}}`)
		}
		return ok(`{"jobs":{"inQueue":0,"inProgress":1},"workers":{"running":1,"idle":2}}`)
	}}).start(t)
	cfg := testConfig(t, f.url())
	cfg.QueueDelay, cfg.HealthEvery = 10*time.Second, 5*time.Millisecond
	c := newTestClient(t, cfg)
	t.Cleanup(c.Close)
	w := c.Window()

	first, err := w.Acquire(t.Context(), "a") // the starting window: one job
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the stall seen", func() bool { return w.Stalled() != nil && w.Limit() == 0 })
	var h recordingHolder
	ctx := outcome.WithHolder(t.Context(), &h)
	got := make(chan error, 1)
	go func() {
		release, err := w.Acquire(ctx, "b")
		if err == nil {
			release()
		}
		got <- err
	}()
	waitUntil(t, "the waiting caller held in place", func() bool { causes, _ := h.get(); return len(causes) == 1 })
	if causes, _ := h.get(); causes[0] != outcome.CauseOutage {
		t.Errorf("held as %v, want outage", causes)
	}
	recovered := w.Recovered() // jobs queued through the stall poll again at once when it closes
	select {
	case <-recovered:
		t.Fatal("Recovered closed while the endpoint is stalled")
	default:
	}
	crash.Store(false)
	if err := <-got; err != nil {
		t.Fatalf("Acquire after recovery: %v", err)
	}
	select {
	case <-recovered:
	default:
		t.Error("Recovered not closed once the endpoint drains again")
	}
	if _, ended := h.get(); ended != 1 {
		t.Errorf("hold ended %d times, want once", ended)
	}
	if w.Stalled() != nil || w.Limit() < 1 {
		t.Errorf("after recovery: stalled %v, limit %d", w.Stalled(), w.Limit())
	}
	first()
}

// A caller that stops waiting gives its place up; a nil window admits all.
func TestWindowAcquireCancelled(t *testing.T) {
	t.Parallel()
	w := testWindow(t, time.Second)
	w.mu.Lock()
	w.limit = 1
	w.mu.Unlock()
	release, err := w.Acquire(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := w.Acquire(ctx, 2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire on a full window = %v, want the caller's deadline", err)
	}
	release()
	if s := w.Stats(); s.Outstanding != 0 || s.Waiting != 0 {
		t.Errorf("stats %+v, want nothing held or waiting", s)
	}
	var none *Window
	if r, err := none.Acquire(t.Context(), 1); err != nil || none.Limit() < 1<<30 {
		t.Errorf("nil window: %v, limit %d", err, none.Limit())
	} else {
		r()
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
