package queue

import (
	"math"
	"math/rand/v2"
	"time"
)

// backoff is a wait that grows with each attempt in a row: initial after
// the first, multiplied by factor after each further one, capped at max,
// then lengthened by a random share of up to jitter (0.25: up to 25%
// longer) so that failures that came together do not come back together.
// Every wait of the package that grows is one of the values below.
type backoff struct {
	initial, max time.Duration
	factor       float64
	jitter       float64
}

// after is the wait after attempt n in a row (1 for the first; less
// counts as 1).
func (b backoff) after(n int) time.Duration {
	d := float64(b.initial) * math.Pow(b.factor, float64(max(n, 1)-1))
	d = min(d, float64(b.max)) // also when the power overflowed to +Inf
	if b.jitter > 0 {
		d *= 1 + b.jitter*rand.Float64()
	}
	return time.Duration(d)
}

var (
	// holdRetry is the wait before a held message's handler runs again,
	// by the number of holds of that delivery: 1s doubling to 1m, each
	// ±20% (written as 0.8s doubling to 48s, plus up to 50%).
	holdRetry = backoff{initial: 800 * time.Millisecond, max: 48 * time.Second, factor: 2, jitter: 0.5}
	// holdPause is how long receiving pauses, by the number of holds since
	// the last success: 1s doubling to 1m.
	holdPause = backoff{initial: time.Second, max: time.Minute, factor: 2}
	// receiveRetry is the wait after a failed receive, by the number of
	// failures in a row: 1s doubling to 30s.
	receiveRetry = backoff{initial: time.Second, max: 30 * time.Second, factor: 2}
	// deleteRetry is the wait between two rounds of deletes that failed
	// while the consumer stops: a constant 200ms.
	deleteRetry = backoff{initial: 200 * time.Millisecond, max: 200 * time.Millisecond, factor: 1}
)

// retryBackoff is the visibility of a retried message by its receive
// count: first doubling to 15m, plus up to 25%.
func retryBackoff(first time.Duration) backoff {
	return backoff{initial: first, max: 15 * time.Minute, factor: 2, jitter: 0.25}
}
