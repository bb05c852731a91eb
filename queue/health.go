package queue

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// holdState remembers the holds of recent handlers: while one is recent the
// consumer pauses receiving, with a pause that doubles on every hold in a
// row (holdPauseMin to holdPauseMax) and clears on the first success. A
// configuration fault also makes the consumer not ready until a success.
type holdState struct {
	mu       sync.Mutex
	until    time.Time
	pauseOf  time.Duration
	config   error
	configAt time.Time
}

const (
	holdPauseMin = time.Second
	holdPauseMax = time.Minute
	// configForget is how long a configuration fault keeps the consumer not
	// ready without being seen again (held messages are retried well within
	// it, so a fault that persists is seen again).
	configForget = 10 * time.Minute
)

// held records a hold and returns how long receiving now pauses.
func (h *holdState) held(cause string, err error) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pauseOf = min(max(2*h.pauseOf, holdPauseMin), holdPauseMax)
	if u := time.Now().Add(h.pauseOf); u.After(h.until) {
		h.until = u
	}
	if cause == HoldConfig {
		h.config, h.configAt = err, time.Now()
	}
	return h.pauseOf
}

// ok records a handler that succeeded: the causes of holds are gone.
func (h *holdState) ok() {
	h.mu.Lock()
	h.until, h.pauseOf, h.config = time.Time{}, 0, nil
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
	if h.config == nil || time.Since(h.configAt) > configForget {
		return nil
	}
	return fmt.Errorf("configuration fault %s ago: %w", time.Since(h.configAt).Round(time.Second), h.config)
}

// holdBackoff is the wait before a held message's handler runs again: 1s
// doubling with each hold of that message, capped at holdPauseMax, ±20%.
func holdBackoff(holds int) time.Duration {
	d := min(time.Second<<min(max(holds-1, 0), 10), holdPauseMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
