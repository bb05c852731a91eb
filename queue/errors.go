package queue

import (
	"errors"
	"fmt"
)

// ErrSkip marks a message that needs no work. A handler returns an error
// wrapping it (fmt.Errorf("%w: test event", queue.ErrSkip)); the message is
// deleted and counted as skipped.
var ErrSkip = errors.New("skip")

// ErrShutdown is the cause of the work context's cancellation when in-flight
// work outlived Config.ShutdownTimeout.
var ErrShutdown = errors.New("queue: shutdown timeout")

// ErrVisibilityCeiling is the cause of a handler's cancellation when its
// message has been in flight so long that SQS's 12 h visibility ceiling
// would be reached before the next extension; the message is released.
var ErrVisibilityCeiling = errors.New("queue: visibility ceiling (12h) reached")

// Reason codes the consumer itself sets on dead-lettered messages.
const (
	ReasonRetriesExhausted = "retries_exhausted"
	ReasonBadMessage       = "bad_message"
)

// PermanentError is a failure that can never succeed: the message goes to the
// dead-letter queue with Reason in the summarizer.reason attribute.
type PermanentError struct {
	Reason string
	Err    error
}

// Permanent marks err as a permanent failure with a short reason code.
func Permanent(reason string, err error) error {
	return &PermanentError{Reason: reason, Err: err}
}

func (e *PermanentError) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return e.Err.Error()
}

func (e *PermanentError) Unwrap() error { return e.Err }

// configFault marks an error caused by the deployment, not the message.
type configFault struct{ err error }

// ConfigFault marks err as a configuration fault (bad credentials, access
// denied, a missing endpoint): the message is retried and never
// dead-lettered, the consumer reports itself not ready and pauses receiving
// for a while so that the fault does not burn receive counts.
func ConfigFault(err error) error { return &configFault{err: err} }

func (e *configFault) Error() string { return "configuration fault: " + e.err.Error() }
func (e *configFault) Unwrap() error { return e.err }

// IsConfigFault reports whether err was marked with ConfigFault.
func IsConfigFault(err error) bool {
	var cf *configFault
	return errors.As(err, &cf)
}

// panicError is a handler panic turned into an error, with its stack.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("handler panic: %v", e.value) }

// Outcome is how a message ended.
type Outcome string

// The outcomes of a message, as counted in summarizer_messages_total.
const (
	OutcomeDone         Outcome = "done"
	OutcomeSkipped      Outcome = "skipped"
	OutcomeDeadLettered Outcome = "dead_lettered"
	OutcomeRetried      Outcome = "retried"
	OutcomeReleased     Outcome = "released"
)
