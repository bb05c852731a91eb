package queue

import (
	"testing"
	"time"
)

// Each wait of the package keeps the numbers it had before it became a
// backoff value: the range of the n-th wait, over many draws.
func TestBackoffs(t *testing.T) {
	t.Parallel()
	const s = time.Second
	tests := []struct {
		name   string
		b      backoff
		n      int
		lo, hi time.Duration
	}{
		{"hold retry, first", holdRetry, 1, 800 * time.Millisecond, 1200 * time.Millisecond},
		{"hold retry, third", holdRetry, 3, 3200 * time.Millisecond, 4800 * time.Millisecond},
		{"hold retry, capped", holdRetry, 7, 48 * s, 72 * s},
		{"hold retry, far", holdRetry, 1 << 20, 48 * s, 72 * s},
		{"hold pause, first", holdPause, 1, s, s},
		{"hold pause, sixth", holdPause, 6, 32 * s, 32 * s},
		{"hold pause, capped", holdPause, 7, time.Minute, time.Minute},
		{"receive retry, first", receiveRetry, 1, s, s},
		{"receive retry, fifth", receiveRetry, 5, 16 * s, 16 * s},
		{"receive retry, capped", receiveRetry, 6, 30 * s, 30 * s},
		{"delete retry", deleteRetry, 9, 200 * time.Millisecond, 200 * time.Millisecond},
		{"retry, receive 0", retryBackoff(time.Minute), 0, time.Minute, 75 * s},
		{"retry, receive 1", retryBackoff(time.Minute), 1, time.Minute, 75 * s},
		{"retry, receive 4", retryBackoff(time.Minute), 4, 8 * time.Minute, 10 * time.Minute},
		{"retry, capped", retryBackoff(time.Minute), 5, 15 * time.Minute, 18*time.Minute + 45*s},
		{"retry, huge count", retryBackoff(time.Second), 1 << 30, 15 * time.Minute, 18*time.Minute + 45*s},
	}
	for _, tt := range tests {
		for range 200 {
			if got := tt.b.after(tt.n); got < tt.lo || got > tt.hi {
				t.Errorf("%s: after(%d) = %s, want within [%s, %s]", tt.name, tt.n, got, tt.lo, tt.hi)
				break
			}
		}
	}
	if d := DefaultBackoff(1); d < RetryBackoffDefault || d > RetryBackoffDefault*5/4 {
		t.Errorf("DefaultBackoff(1) = %s", d)
	}
}
