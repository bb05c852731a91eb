package worker

import (
	"context"
	"math"

	"golang.org/x/sync/semaphore"
)

// memory admits object bytes into memory: at most its capacity at once,
// all records together (MaxInflightBytes). Requests are served in the
// order asked: semaphore.Weighted is FIFO, so a large object is not
// starved by a stream of small ones, and a waiter whose context ends
// leaves nothing behind.
type memory struct {
	sem *semaphore.Weighted
	max int64
}

// newMemory admits at most capacity bytes at once; 0 is no bound.
func newMemory(capacity int64) *memory {
	if capacity <= 0 {
		capacity = math.MaxInt64
	}
	return &memory{sem: semaphore.NewWeighted(capacity), max: capacity}
}

// clamp bounds a request by the capacity: a request larger than all of it
// waits for all of it (an object at MaxObjectBytes is never refused for
// want of room, only made to wait for an empty worker).
func (m *memory) clamp(n int64) int64 { return min(max(n, 1), m.max) }

// acquire waits until n bytes are free, or for ctx.
func (m *memory) acquire(ctx context.Context, n int64) (*held, error) {
	n = m.clamp(n)
	if err := m.sem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	return &held{m: m, n: n}, nil
}

// held is what one record holds of a memory. A nil *held holds nothing and
// makes room for everything (a backend that reads the object itself, the
// one-shot summarize command). It is used by one goroutine at a time.
type held struct {
	m *memory
	n int64
}

// grow makes the hold n bytes without waiting: it takes the difference if
// it is free now and nobody waits before it. A record never waits for more
// while it holds some: records waiting to grow while holding could hold
// everything between them and wait for ever. It gives up what it holds
// and asks again instead (see fetchObject).
func (h *held) grow(n int64) bool {
	if h == nil {
		return true
	}
	n = h.m.clamp(n)
	if n <= h.n {
		return true
	}
	if !h.m.sem.TryAcquire(n - h.n) {
		return false
	}
	h.n = n
	return true
}

// shrink gives back what the hold has over n bytes.
func (h *held) shrink(n int64) {
	if h == nil {
		return
	}
	n = h.m.clamp(n)
	if n < h.n {
		h.m.sem.Release(h.n - n)
		h.n = n
	}
}

// reacquire gives back all the hold has, then waits, in line with every
// other request, until n bytes are free.
func (h *held) reacquire(ctx context.Context, n int64) error {
	if h == nil {
		return nil
	}
	h.m.sem.Release(h.n)
	h.n = 0
	n = h.m.clamp(n)
	if err := h.m.sem.Acquire(ctx, n); err != nil {
		return err
	}
	h.n = n
	return nil
}

// release gives everything back; the hold is empty afterwards, and a
// second release does nothing.
func (h *held) release() {
	if h == nil {
		return
	}
	if h.n > 0 {
		h.m.sem.Release(h.n)
		h.n = 0
	}
}

// size is what the hold holds now.
func (h *held) size() int64 {
	if h == nil {
		return 0
	}
	return h.n
}
