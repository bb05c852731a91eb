package queue

import (
	"testing"
	"time"
)

// The long poll never outlasts the shutdown timeout, so the poll under way
// at a shutdown is never abandoned.
func TestPollWait(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ wait, shutdown, want time.Duration }{
		{20 * time.Second, 25 * time.Second, 20 * time.Second},
		{20 * time.Second, 5 * time.Second, 5 * time.Second},
		{20 * time.Second, 2500 * time.Millisecond, 2 * time.Second},
		{20 * time.Second, 500 * time.Millisecond, time.Second},
		{time.Second, 25 * time.Second, time.Second},
	} {
		c := Config{WaitTime: tt.wait, ShutdownTimeout: tt.shutdown}
		if got := c.pollWait(); got != tt.want {
			t.Errorf("WaitTime %s, ShutdownTimeout %s: poll %s, want %s", tt.wait, tt.shutdown, got, tt.want)
		}
	}
}
