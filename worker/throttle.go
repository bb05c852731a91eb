package worker

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/summarizer/summarizer/worker/openai"
	"github.com/summarizer/summarizer/worker/runpod"
)

// Throttle is process-wide backpressure toward a backend that answers 429
// after its client's own retries: every caller waits out a pause that
// doubles with each throttled call (1 s to 1 min) and clears on the first
// success. A throttled message is held, its lease extended, rather than
// released: released, it would come back and count one more receive toward
// the DLQ for a fault that is not its own. A nil *Throttle never waits.
type Throttle struct {
	mu    sync.Mutex
	until time.Time
	pause time.Duration
}

const (
	throttlePauseMin = time.Second
	throttlePauseMax = time.Minute
)

// Wait blocks until the current pause is over.
func (t *Throttle) Wait(ctx context.Context) error {
	if t == nil {
		return ctx.Err()
	}
	t.mu.Lock()
	d := time.Until(t.until)
	t.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Hit records a throttled call and returns the pause every caller now waits.
func (t *Throttle) Hit() time.Duration {
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pause = min(max(2*t.pause, throttlePauseMin), throttlePauseMax)
	d := time.Duration(float64(t.pause) * (0.75 + 0.5*rand.Float64()))
	if u := time.Now().Add(d); u.After(t.until) {
		t.until = u
	}
	return d
}

// OK records a call that was not throttled.
func (t *Throttle) OK() {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.pause = 0
	t.mu.Unlock()
}

// isThrottled reports whether err is the backend's rate limit (HTTP 429)
// that outlasted the client's own retries.
func isThrottled(err error) bool {
	var re *runpod.Error
	if errors.As(err, &re) {
		return re.StatusCode == http.StatusTooManyRequests
	}
	var oe *openai.Error
	if errors.As(err, &oe) {
		return oe.StatusCode == http.StatusTooManyRequests && !oe.ConfigFault()
	}
	return false
}
