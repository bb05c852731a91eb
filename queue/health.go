package queue

import (
	"fmt"
	"sync"
	"time"

	"github.com/summarizer/summarizer/queue/outcome"
)

// holdState remembers the holds of recent handlers: while one is recent the
// consumer pauses receiving, with a pause that grows with every hold in a
// row (holdPause) and clears on the first success. A
// configuration fault or an outage also makes the consumer not ready until a
// success (throttling does not: the work goes on, slower).
type holdState struct {
	mu    sync.Mutex
	until time.Time
	// inARow counts holds since the last success.
	inARow int
	// fault is the last hold that makes the consumer not ready (a
	// configuration fault or an outage: no message can be done now).
	fault   error
	faultAt time.Time
}

const (
	// faultForget is how long a configuration fault or an outage keeps the
	// consumer not ready without being seen again (held messages are retried
	// well within it, so a fault that persists is seen again).
	faultForget = 10 * time.Minute
)

// held records a hold and returns how long receiving now pauses.
func (h *holdState) held(cause outcome.Cause, err error) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	// The pause never shrinks between two successes (ok resets until too),
	// so this never moves until earlier.
	h.inARow++
	pause := holdPause.after(h.inARow)
	h.until = time.Now().Add(pause)
	h.noteFault(cause, err)
	return pause
}

// inPlace records a hold in place: a handler that waits on, its message
// held by cause. It makes the consumer not ready for a configuration fault
// or an outage, but pauses no receive: what the handler waits on paces
// receiving itself (Config.Admission), and a pause would outlast the
// cause, holding the backlog back for up to a minute after it is gone.
func (h *holdState) inPlace(cause outcome.Cause, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.noteFault(cause, err)
}

// noteFault remembers a hold that makes the consumer not ready. The caller
// holds h.mu.
func (h *holdState) noteFault(cause outcome.Cause, err error) {
	if cause == outcome.CauseConfig || cause == outcome.CauseOutage {
		h.fault, h.faultAt = err, time.Now()
	}
}

// ok records a handler that succeeded: the causes of holds are gone.
func (h *holdState) ok() {
	h.mu.Lock()
	h.until, h.inARow, h.fault = time.Time{}, 0, nil
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
