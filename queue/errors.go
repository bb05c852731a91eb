package queue

import (
	"errors"
	"fmt"
)

// ErrSkip marks a message that needs no work. A handler returns an error
// wrapping it (fmt.Errorf("%w: test event", queue.ErrSkip)); the message is
// deleted and counted as skipped.
var ErrSkip = errors.New("skip")

// ErrSuperseded marks a message whose work is obsolete: what it asks for was
// replaced by something newer that a later message does (an object
// overwritten after its event). A handler returns an error wrapping it; the
// message is deleted and counted as superseded.
var ErrSuperseded = errors.New("superseded")

// ErrShutdown is the cause of the work context's cancellation when in-flight
// work outlived Config.ShutdownTimeout.
var ErrShutdown = errors.New("queue: shutdown timeout")

// ErrVisibilityCeiling is the cause of a handler's cancellation when its
// message has been in flight so long that SQS's 12 h visibility ceiling
// would be reached before the next extension; the message is released.
var ErrVisibilityCeiling = errors.New("queue: visibility ceiling (12h) reached")

// ErrLeaseLost is the cause of a handler's cancellation when the consumer no
// longer owns its message: the lease ran out before it could be extended (a
// frozen process, an SQS outage longer than the lease) or SQS reported the
// receipt gone. Another consumer may be working on the message: the handler
// must write nothing more for it, and the consumer neither deletes, releases
// nor dead-letters it.
var ErrLeaseLost = errors.New("queue: lease lost")

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

// Causes of a hold, the label of summarizer_held_messages.
const (
	// HoldConfig: the deployment is at fault (credentials, access denied, a
	// missing endpoint). The consumer reports itself not ready meanwhile.
	HoldConfig = "config"
	// HoldThrottled: a backend rate-limits us.
	HoldThrottled = "throttled"
	// HoldOutage: a backend every message needs is down or unreachable.
	HoldOutage = "outage"
)

// HoldError is a failure that is not the message's fault: see Hold.
type HoldError struct {
	Cause string // HoldConfig, HoldThrottled or HoldOutage
	Err   error
}

// Hold marks err as "not yet, and not this message's fault": the consumer
// keeps the message (its lease goes on being extended, its receive count
// does not grow, it is never dead-lettered), pauses receiving with a
// backoff, and calls the handler again with the same message after a
// backoff of its own. Once a handler succeeds, receiving resumes at once.
// cause is HoldConfig, HoldThrottled or HoldOutage; HoldConfig and
// HoldOutage also make Ready fail until a handler succeeds.
func Hold(cause string, err error) error { return &HoldError{Cause: cause, Err: err} }

func (e *HoldError) Error() string {
	if e.Err == nil {
		return "held: " + e.Cause
	}
	return "held (" + e.Cause + "): " + e.Err.Error()
}

func (e *HoldError) Unwrap() error { return e.Err }

// ConfigFault is Hold(HoldConfig, err).
func ConfigFault(err error) error { return Hold(HoldConfig, err) }

// IsConfigFault reports whether err is a hold caused by the configuration.
func IsConfigFault(err error) bool {
	var h *HoldError
	return errors.As(err, &h) && h.Cause == HoldConfig
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
	OutcomeSuperseded   Outcome = "superseded"
	OutcomeDeadLettered Outcome = "dead_lettered"
	OutcomeRetried      Outcome = "retried"
	OutcomeReleased     Outcome = "released"
	// OutcomeLeaseLost: the consumer lost the message before it could store
	// an outcome; the message's next owner decides. Not a label of
	// summarizer_messages_total (summarizer_leases_lost_total counts these),
	// only of the delivery's span.
	OutcomeLeaseLost Outcome = "lease_lost"
)
