package queue

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
)

// Defaults of Config.
const (
	ConcurrencyDefault       = 16
	VisibilityTimeoutDefault = 60 * time.Second
	WaitTimeDefault          = 20 * time.Second
	BatchWaitDefault         = 100 * time.Millisecond
	ShutdownTimeoutDefault   = 25 * time.Second
	MaxReceivesDefault       = 5
	DeleteFlushDefault       = time.Second

	// MaxVisibility is the longest visibility SQS allows for one receipt,
	// counted from the receive.
	MaxVisibility = 12 * time.Hour
	// maxBatch is SQS's limit on entries per batch call and messages per receive.
	maxBatch = 10
)

// Config tunes a Consumer. The zero value of every field is its default.
type Config struct {
	// DLQURL is where permanent failures go. Empty: the queue's RedrivePolicy
	// is read once when Run starts; Run fails if there is neither.
	DLQURL string
	// Concurrency is the number of messages handled at once (default 16).
	Concurrency int
	// VisibilityTimeout is asked for at receive and at each extension
	// (default 60s, whole seconds, at least 2s).
	VisibilityTimeout time.Duration
	// WaitTime is the long-poll wait of each receive (default 20s, at most
	// 20s), shortened to ShutdownTimeout (whole seconds, at least 1s) if
	// that is shorter: the receive under way when a shutdown begins then
	// ends within the shutdown timeout, and is never abandoned to swallow
	// the messages that arrive, or are released, after it.
	WaitTime time.Duration
	// BatchWait is the most a busy consumer waits between receives so that
	// each brings several messages (default 100ms; 0 keeps the default, a
	// negative value never waits): more waits fewer SQS requests per message
	// and adds up to that much latency.
	BatchWait time.Duration
	// ShutdownTimeout is how long work in flight, and the long poll under
	// way, may go on after the receive context is cancelled (default 25s).
	// Then the work context is cancelled with cause ErrShutdown and
	// unfinished messages are released (visibility 0) for another consumer
	// to take over; a poll still under way is abandoned.
	ShutdownTimeout time.Duration
	// MaxReceives is the receive count at which a transient failure is treated
	// as permanent (default 5).
	MaxReceives int
	// DeleteFlush is the longest a finished message waits for its batched
	// delete (default 1s; up to AdmissionGather while Admission keeps the
	// consumer below Concurrency and messages are at work); a batch of 10 is
	// flushed at once.
	DeleteFlush time.Duration
	// Backoff gives the visibility of a retried message from its receive
	// count (default DefaultBackoff: 1m doubling, capped at 15m, plus up to
	// 25% jitter).
	Backoff func(receiveCount int) time.Duration
	// VisibilityCeiling is how long a message may stay in flight before its
	// work is cancelled and the message released (default and maximum:
	// MaxVisibility, SQS's 12 h limit per receipt).
	VisibilityCeiling time.Duration
	// Admission, if set, paces receiving below Concurrency by what the
	// handlers' downstream can start soon: the consumer holds at most
	// min(Concurrency, Admission.Limit()) messages. nil: Concurrency alone.
	Admission Admission
	// AdmissionGather is the most a consumer that Admission keeps below
	// Concurrency, and that holds messages already, waits for room for a
	// few more before it receives (0: it receives as soon as there is room
	// for one). Fewer, fuller receives cost fewer SQS requests; when what
	// the handlers feed has a queue of its own (RunPod's, kept at
	// RUNPOD_QUEUE_DELAY), waiting a fraction of that queue costs nothing.
	// While messages are at work, its deletes wait as long for a fuller
	// batch.
	AdmissionGather time.Duration
	// Logger receives the consumer's logs; nil discards them.
	Logger *zap.Logger
	// Metrics records the consumer's counters; nil records nothing.
	Metrics *Metrics
	// TracerProvider makes one span per delivery of a message, the root of
	// that delivery's trace (see the package documentation); the handler's
	// context carries it. nil traces nothing, at no cost.
	TracerProvider trace.TracerProvider
}

// Validate reports every problem of the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("concurrency %d: must be positive", c.Concurrency))
	}
	if c.VisibilityTimeout != 0 && (c.VisibilityTimeout < 2*time.Second || c.VisibilityTimeout > MaxVisibility) {
		errs = append(errs, fmt.Errorf("visibility timeout %s: must be between 2s and 12h", c.VisibilityTimeout))
	}
	if c.VisibilityTimeout%time.Second != 0 {
		errs = append(errs, fmt.Errorf("visibility timeout %s: must be whole seconds", c.VisibilityTimeout))
	}
	if c.BatchWait > 5*time.Second {
		errs = append(errs, fmt.Errorf("batch wait %s: at most 5s", c.BatchWait))
	}
	if c.WaitTime < 0 || c.WaitTime > 20*time.Second {
		errs = append(errs, fmt.Errorf("wait time %s: must be between 0 and 20s", c.WaitTime))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("shutdown timeout %s: must not be negative", c.ShutdownTimeout))
	}
	if c.MaxReceives < 0 {
		errs = append(errs, fmt.Errorf("max receives %d: must be positive", c.MaxReceives))
	}
	if c.VisibilityCeiling < 0 || c.VisibilityCeiling > MaxVisibility {
		errs = append(errs, fmt.Errorf("visibility ceiling %s: must be between 0 and 12h", c.VisibilityCeiling))
	}
	if c.AdmissionGather < 0 || c.AdmissionGather > time.Minute {
		errs = append(errs, fmt.Errorf("admission gather %s: must be between 0 and 1m", c.AdmissionGather))
	}
	if c.DeleteFlush < 0 {
		errs = append(errs, fmt.Errorf("delete flush %s: must not be negative", c.DeleteFlush))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = ConcurrencyDefault
	}
	if c.VisibilityTimeout == 0 {
		c.VisibilityTimeout = VisibilityTimeoutDefault
	}
	if c.WaitTime == 0 {
		c.WaitTime = WaitTimeDefault
	}
	if c.BatchWait == 0 {
		c.BatchWait = BatchWaitDefault
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = ShutdownTimeoutDefault
	}
	if c.MaxReceives == 0 {
		c.MaxReceives = MaxReceivesDefault
	}
	if c.DeleteFlush == 0 {
		c.DeleteFlush = DeleteFlushDefault
	}
	if c.VisibilityCeiling == 0 {
		c.VisibilityCeiling = MaxVisibility
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	if c.TracerProvider == nil {
		c.TracerProvider = noop.NewTracerProvider()
	}
	return c
}

// pollWait is the long-poll wait of each receive (see Config.WaitTime).
func (c Config) pollWait() time.Duration {
	return min(c.WaitTime, max(c.ShutdownTimeout.Truncate(time.Second), time.Second))
}

// DefaultBackoff is 1 minute doubling with each receive, capped at 15
// minutes, plus up to 25% jitter so that a burst of failures does not come
// back at once. With the default MaxReceives of 5, a message that keeps
// failing is tried over at least 15 minutes (1+2+4+8) before it is
// dead-lettered: a failure that looks like the message's own but is in
// fact an outage of that length (a broken model version failing every job)
// does not empty the queue into the DLQ. Outages that are recognised as
// such are held instead (Hold) and spend no receive at all.
func DefaultBackoff(receiveCount int) time.Duration {
	return ExponentialBackoff(RetryBackoffDefault)(receiveCount)
}

// RetryBackoffDefault is the first backoff of DefaultBackoff.
const RetryBackoffDefault = time.Minute

// ExponentialBackoff is a Backoff of first after the first receive,
// doubling with each receive, capped at 15 minutes, plus up to 25% jitter.
func ExponentialBackoff(first time.Duration) func(receiveCount int) time.Duration {
	return retryBackoff(first).after
}
