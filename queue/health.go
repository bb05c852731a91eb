package queue

import (
	"fmt"
	"sync"
	"time"
)

// faultState remembers configuration faults: while one is recent the
// consumer is not ready and pauses receiving, with a pause that doubles on
// every fault in a row (5s to 5m) and clears on the first success.
type faultState struct {
	mu      sync.Mutex
	last    error
	at      time.Time
	pauseOf time.Duration
}

const (
	faultPauseMin = 5 * time.Second
	faultPauseMax = 5 * time.Minute
	faultForget   = 10 * time.Minute
)

func (f *faultState) fault(err error) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last, f.at = err, time.Now()
	f.pauseOf = min(max(2*f.pauseOf, faultPauseMin), faultPauseMax)
	return f.pauseOf
}

func (f *faultState) ok() {
	f.mu.Lock()
	f.last, f.pauseOf = nil, 0
	f.mu.Unlock()
}

// pause is how long receiving should still wait.
func (f *faultState) pause() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last == nil {
		return 0
	}
	return time.Until(f.at.Add(f.pauseOf))
}

func (f *faultState) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last == nil || time.Since(f.at) > faultForget {
		return nil
	}
	return fmt.Errorf("configuration fault %s ago: %w", time.Since(f.at).Round(time.Second), f.last)
}
