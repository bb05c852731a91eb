// Package limit bounds work in flight: the records in the summarize stage
// of a worker, the model calls of one transcript and of the whole process.
package limit

import (
	"container/list"
	"context"
	"sync"
)

// Limiter allows a number of holders at once. A nil *Limiter bounds nothing.
type Limiter struct{ slots chan struct{} }

// New allows n holders at once (at least 1).
func New(n int) *Limiter { return &Limiter{slots: make(chan struct{}, max(n, 1))} }

// Acquire waits for a slot, or for ctx; release gives the slot back.
func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Bytes admits work by its size: at most a capacity of bytes at once, in
// the order asked (a large object is not starved by a stream of small
// ones). A nil *Bytes admits everything.
type Bytes struct {
	mu      sync.Mutex
	free    int64
	max     int64
	waiters list.List // of *bytesWaiter, in arrival order
}

type bytesWaiter struct {
	n     int64
	ready chan struct{}
}

// NewBytes admits at most capacity bytes at once.
func NewBytes(capacity int64) *Bytes { return &Bytes{free: capacity, max: capacity} }

// Acquire waits until n bytes (at most the capacity: a larger request waits
// for all of it) are free, or for ctx; release gives them back.
func (b *Bytes) Acquire(ctx context.Context, n int64) (release func(), err error) {
	if b == nil {
		return func() {}, nil
	}
	n = min(max(n, 1), b.max)
	b.mu.Lock()
	if b.waiters.Len() == 0 && b.free >= n {
		b.free -= n
		b.mu.Unlock()
		return b.releaser(n), nil
	}
	w := &bytesWaiter{n: n, ready: make(chan struct{})}
	e := b.waiters.PushBack(w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return b.releaser(n), nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready: // admitted meanwhile: give the bytes back
			b.free += n
		default:
			b.waiters.Remove(e)
		}
		b.admit()
		b.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (b *Bytes) releaser(n int64) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.free += n
			b.admit()
			b.mu.Unlock()
		})
	}
}

// admit wakes waiters in order while the first one fits. The caller holds b.mu.
func (b *Bytes) admit() {
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*bytesWaiter)
		if b.free < w.n {
			return
		}
		b.free -= w.n
		b.waiters.Remove(e)
		close(w.ready)
	}
}
