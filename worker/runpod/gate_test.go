package runpod

import (
	"context"
	"testing"
	"time"
)

// Polls waiting at the gate go out by their job's expected end, earliest
// first, whatever the order they arrived in.
func TestPollGateServesEarliestExpectedEndFirst(t *testing.T) {
	t.Parallel()
	g := newPollGate(1000)
	g.mu.Lock()
	g.tokens, g.rate = 0, 0.001 // no token comes by itself during the test
	g.lastCut = time.Now()      // nor does the rate grow
	g.running = true            // the test hands the tokens out itself, with step
	g.mu.Unlock()
	base := time.Now()
	order := make(chan int, 5)
	arrivals := []int{3, 1, 4, 0, 2} // expected end in seconds after base
	for _, sec := range arrivals {
		go func() {
			if err := g.wait(t.Context(), base.Add(time.Duration(sec)*time.Second)); err != nil {
				t.Error(err)
			}
			order <- sec
		}()
	}
	for deadline := time.Now().Add(time.Minute); ; {
		g.mu.Lock()
		n := len(g.queue)
		g.mu.Unlock()
		if n == len(arrivals) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d polls queued at the gate", n, len(arrivals))
		}
		time.Sleep(time.Millisecond)
	}
	for want := range len(arrivals) {
		g.mu.Lock()
		g.tokens = 1
		g.last = time.Now()
		g.mu.Unlock()
		if wait, done := g.step(time.Now()); wait != 0 || done {
			t.Fatalf("step = %v, %v: want a token handed out", wait, done)
		}
		if got := <-order; got != want {
			t.Fatalf("poll %d went out with expected end %ds, want %ds", want, got, want)
		}
	}
	if _, done := g.step(time.Now()); !done {
		t.Error("step with nothing waiting should stop the dispatcher")
	}
}

// A run of 429s halves the rate once per second at most, and holds every
// poll for the answer's Retry-After; a lone 429 among successes does not.
func TestPollGateBacksOff(t *testing.T) {
	t.Parallel()
	g := newPollGate(40)
	g.throttled(0)
	g.ok()
	g.throttled(0)
	if r := g.currentRate(); r != 40 {
		t.Errorf("rate after two lone 429s = %v, want 40", r)
	}
	g.throttled(0)
	if r := g.currentRate(); r != 20 {
		t.Errorf("rate after two 429s in a row = %v, want 20", r)
	}
	g.throttled(0) // the same burst: no second cut
	if r := g.currentRate(); r != 20 {
		t.Errorf("rate after a third 429 within a second = %v, want 20", r)
	}
	g.throttled(time.Hour)
	g.mu.Lock()
	blocked := time.Until(g.blocked)
	g.mu.Unlock()
	if blocked < 29*time.Second || blocked > 30*time.Second {
		t.Errorf("blocked for %v after Retry-After 1h, want the 30 s cap", blocked)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := g.wait(ctx, time.Now()); err == nil {
		t.Error("a poll went out while RunPod said to retry after 30 s")
	}
	g.mu.Lock()
	queued := len(g.queue)
	g.mu.Unlock()
	if queued != 0 {
		t.Errorf("%d tickets left in the queue after their context ended", queued)
	}
	for range 20 {
		g.mu.Lock()
		g.lastCut = time.Now().Add(-2 * time.Second)
		g.mu.Unlock()
		g.throttled(0)
	}
	if r := g.currentRate(); r != gateMinRate {
		t.Errorf("rate after many 429s = %v, want the floor %v", r, gateMinRate)
	}
}
