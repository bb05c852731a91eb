package runpod

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// pollGate paces the /status requests of one Client, which serves the
// whole process: RunPod limits /status per endpoint (2,000 per 10 s, shared
// by every replica), and a burst of 429s costs more than it saves.
//
// It is a token bucket whose rate follows AIMD: two 429s on /status in a
// row (a lone 429 among successes is noise, a run of them is the limit)
// halve it, at most once per second however many polls were in flight, and
// stop every poll for the answer's Retry-After; each quiet second adds back
// a thirtieth of the cap. Polls waiting for a token are served by their
// job's expected end, earliest first: the job most likely to be finished
// gets the next poll.
type pollGate struct {
	max float64 // the cap, polls per second

	mu      sync.Mutex
	rate    float64
	tokens  float64
	last    time.Time // of the last refill
	lastCut time.Time // of the last decrease
	blocked time.Time // no poll before this (Retry-After)
	streak  int       // 429s in a row
	queue   ticketHeap
	running bool
}

const (
	gateMinRate = 1.0             // polls/s: the floor of the decrease
	gateQuiet   = 2 * time.Second // no increase this soon after a decrease
	gateStreak  = 2               // 429s in a row that mean "over the limit"
)

func newPollGate(maxRate float64) *pollGate {
	return &pollGate{max: maxRate, rate: maxRate, tokens: 1, last: time.Now()}
}

type ticket struct {
	prio  time.Time // the job's expected end
	ready chan struct{}
	index int // in the heap; -1 once granted or withdrawn
}

// wait blocks until the poll of a job expected to end at prio may go.
func (g *pollGate) wait(ctx context.Context, prio time.Time) error {
	g.mu.Lock()
	now := time.Now()
	g.refill(now)
	if len(g.queue) == 0 && g.tokens >= 1 && !now.Before(g.blocked) {
		g.tokens--
		g.mu.Unlock()
		return nil
	}
	t := &ticket{prio: prio, ready: make(chan struct{})}
	heap.Push(&g.queue, t)
	if !g.running {
		g.running = true
		go g.dispatch()
	}
	g.mu.Unlock()
	select {
	case <-t.ready:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		if t.index >= 0 {
			heap.Remove(&g.queue, t.index)
		}
		g.mu.Unlock()
		return ctx.Err()
	}
}

// dispatch hands out tokens to waiting polls while there are any.
func (g *pollGate) dispatch() {
	for {
		wait, done := g.step(time.Now())
		if done {
			return
		}
		if wait > 0 {
			time.Sleep(wait)
		}
	}
}

// step grants one token to the first waiting poll if it can, and otherwise
// says how long to wait; done is true (and the dispatcher stops) once no
// poll waits.
func (g *pollGate) step(now time.Time) (wait time.Duration, done bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		g.running = false
		return 0, true
	}
	g.refill(now)
	if b := g.blocked.Sub(now); b > 0 {
		return b, false
	}
	if g.tokens < 1 {
		return max(time.Duration((1-g.tokens)/g.rate*float64(time.Second)), time.Millisecond), false
	}
	g.tokens--
	close(heap.Pop(&g.queue).(*ticket).ready)
	return 0, false
}

// refill adds the tokens earned since the last refill and, long enough after
// the last decrease, raises the rate additively. The caller holds g.mu.
func (g *pollGate) refill(now time.Time) {
	dt := now.Sub(g.last).Seconds()
	if dt <= 0 {
		return
	}
	g.last = now
	if g.rate < g.max && now.Sub(g.lastCut) > gateQuiet {
		g.rate = min(g.max, g.rate+g.max/30*dt)
	}
	burst := max(1, g.rate/10)
	g.tokens = min(burst, g.tokens+g.rate*dt)
}

// ok records a /status answer other than 429.
func (g *pollGate) ok() {
	g.mu.Lock()
	g.streak = 0
	g.mu.Unlock()
}

// throttled records a 429 on /status. From the second in a row on, no poll
// goes before retryAfter (the answer's Retry-After, capped at 30 s) has
// passed, and the rate halves, once per second at most (the polls already in
// flight answer 429 too).
func (g *pollGate) throttled(retryAfter time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	g.refill(now)
	g.streak++
	if g.streak < gateStreak {
		return
	}
	if u := now.Add(min(retryAfter, 30*time.Second)); u.After(g.blocked) {
		g.blocked = u
	}
	if now.Sub(g.lastCut) < time.Second {
		return
	}
	g.lastCut = now
	g.rate = max(gateMinRate, g.rate/2)
	g.tokens = min(g.tokens, 0)
}

// currentRate is the rate now, polls per second.
func (g *pollGate) currentRate() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refill(time.Now())
	return g.rate
}

// ticketHeap orders waiting polls by their job's expected end.
type ticketHeap []*ticket

func (h ticketHeap) Len() int           { return len(h) }
func (h ticketHeap) Less(a, b int) bool { return h[a].prio.Before(h[b].prio) }
func (h ticketHeap) Swap(a, b int) {
	h[a], h[b] = h[b], h[a]
	h[a].index, h[b].index = a, b
}
func (h *ticketHeap) Push(x any) {
	t := x.(*ticket)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *ticketHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
