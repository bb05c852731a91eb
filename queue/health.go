package queue

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/summarizer/summarizer/queue/outcome"
)

// holdState remembers the holds of recent handlers: while one is recent the
// consumer pauses receiving, with a pause that doubles on every hold in a
// row (holdPauseMin to holdPauseMax) and clears on the first success. A
// configuration fault or an outage also makes the consumer not ready until a
// success (throttling does not: the work goes on, slower).
type holdState struct {
	mu      sync.Mutex
	until   time.Time
	pauseOf time.Duration
	// fault is the last hold that makes the consumer not ready (a
	// configuration fault or an outage: no message can be done now).
	fault   error
	faultAt time.Time
}

const (
	holdPauseMin = time.Second
	holdPauseMax = time.Minute
	// faultForget is how long a configuration fault or an outage keeps the
	// consumer not ready without being seen again (held messages are retried
	// well within it, so a fault that persists is seen again).
	faultForget = 10 * time.Minute
)

// held records a hold and returns how long receiving now pauses.
func (h *holdState) held(cause outcome.Cause, err error) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	// pauseOf never shrinks between two successes (ok resets until too),
	// so this never moves until earlier.
	h.pauseOf = min(max(2*h.pauseOf, holdPauseMin), holdPauseMax)
	h.until = time.Now().Add(h.pauseOf)
	if cause == outcome.CauseConfig || cause == outcome.CauseOutage {
		h.fault, h.faultAt = err, time.Now()
	}
	return h.pauseOf
}

// ok records a handler that succeeded: the causes of holds are gone.
func (h *holdState) ok() {
	h.mu.Lock()
	h.until, h.pauseOf, h.fault = time.Time{}, 0, nil
	h.mu.Unlock()
}

// pause is how long receiving should still wait.
func (h *holdState) pause() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Until(h.until)
}

func (h *holdState) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fault == nil || time.Since(h.faultAt) > faultForget {
		return nil
	}
	return fmt.Errorf("messages held %s ago: %w", time.Since(h.faultAt).Round(time.Second), h.fault)
}

// holdBackoff is the wait before a held message's handler runs again: 1s
// doubling with each hold of that message, capped at holdPauseMax, ±20%.
func holdBackoff(holds int) time.Duration {
	d := min(time.Second<<min(max(holds-1, 0), 10), holdPauseMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
