// Package limit bounds work in flight: the records in the summarize stage
// of a worker, the model calls of one transcript and of the whole process.
package limit

import "context"

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
