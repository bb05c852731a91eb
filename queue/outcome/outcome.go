// Package outcome is the one vocabulary of how a queue message ends: done,
// skipped, superseded, held (with a cause), retried, or dead-lettered (with
// a reason). The queue consumer stores the outcome; the worker, its backend
// clients and the S3 calls classify their errors into it, once, where the
// error happens. Nothing above a client re-reads a status code.
//
// Three ways back to the queue are never mixed up: a permanent failure
// (dead-lettered now), a retry (this attempt failed: backoff, spends an
// attempt) and a hold ("not yet", not the message's fault: keeps the lease,
// spends no attempt).
//
// Decide is the one rule that turns an error and "is this the message's last
// delivery?" into an outcome; GivenUp, built on it, is the one answer to "is
// this transcript given up for good?" that both the queue (dead letter) and
// the worker (cancel running jobs, delete the journal) ask.
//
// The package knows nothing of SQS, S3 or RunPod.
package outcome

import (
	"context"
	"errors"
)

// Kind is how a message ends, as counted in summarizer_messages_total.
type Kind uint8

// The kinds of outcome.
const (
	// Done: the work is done (or was already); the message is deleted.
	Done Kind = iota
	// Skipped: the message is not work; it is deleted.
	Skipped
	// Superseded: newer work replaces this message's; it is deleted.
	Superseded
	// Held: not the message's fault (Cause): the message keeps its lease,
	// spends no attempt and is never dead-lettered.
	Held
	// Retried: a transient failure of this message: it comes back after a
	// backoff and spends an attempt.
	Retried
	// DeadLettered: the message can never succeed (Reason): it goes to the
	// dead-letter queue.
	DeadLettered
	// Released: the work was stopped from outside (shutdown, the
	// visibility ceiling) before any verdict; the message is handed back
	// untouched for another delivery.
	Released
	// LeaseLost: the consumer lost the message before it could store an
	// outcome; the message's next owner decides. Counted by
	// summarizer_leases_lost_total, not summarizer_messages_total.
	LeaseLost
)

var kindNames = [...]string{"done", "skipped", "superseded", "held", "retried", "dead_lettered", "released", "lease_lost"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Reason is the short code of a dead letter (the summarizer.reason attribute).
type Reason string

// The reasons of DESIGN.md.
const (
	ReasonBadMessage       Reason = "bad_message"
	ReasonBucketNotAllowed Reason = "bucket_not_allowed"
	ReasonNotFound         Reason = "not_found"
	ReasonAccessDenied     Reason = "access_denied"
	ReasonTooLarge         Reason = "too_large"
	ReasonBadFormat        Reason = "bad_format"
	ReasonBackendRejected  Reason = "backend_rejected"
	ReasonRetriesExhausted Reason = "retries_exhausted"
)

// Reasons are every Reason, in the order of DESIGN.md.
var Reasons = []Reason{ReasonBadMessage, ReasonBucketNotAllowed, ReasonNotFound, ReasonAccessDenied,
	ReasonTooLarge, ReasonBadFormat, ReasonBackendRejected, ReasonRetriesExhausted}

// Cause is why a message is held (the label of summarizer_held_messages).
type Cause string

// The causes of a hold.
const (
	// CauseConfig: the deployment is at fault (credentials, access, a
	// missing endpoint); the consumer reports itself not ready meanwhile.
	CauseConfig Cause = "config"
	// CauseThrottled: a backend rate-limits us.
	CauseThrottled Cause = "throttled"
	// CauseOutage: a backend every message needs is down or unreachable.
	CauseOutage Cause = "outage"
)

// Class is what an error means for its message.
type Class struct {
	Kind   Kind
	Reason Reason // for DeadLettered
	Cause  Cause  // for Held
}

// Classed is an error that knows its class. Backend clients' errors
// implement it from their one table of answer codes; Permanent, Hold, Skip
// and Supersede return such errors. The outermost Classed error of a chain
// decides.
type Classed interface {
	error
	Class() Class
}

// Error is an error with a class.
type Error struct {
	C   Class
	Err error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.C.Kind.String()
	}
	return e.Err.Error()
}

// Unwrap returns the error classified.
func (e *Error) Unwrap() error { return e.Err }

// Class returns the error's class.
func (e *Error) Class() Class { return e.C }

// Permanent marks err as a failure that can never succeed: the message is
// dead-lettered with reason.
func Permanent(reason Reason, err error) error {
	return &Error{C: Class{Kind: DeadLettered, Reason: reason}, Err: err}
}

// Hold marks err as "not yet, and not this message's fault" (see Held).
func Hold(cause Cause, err error) error { return &Error{C: Class{Kind: Held, Cause: cause}, Err: err} }

// Transient marks err as a transient failure of this message (Retried),
// whatever it wraps.
func Transient(err error) error { return &Error{C: Class{Kind: Retried}, Err: err} }

// Skip says why a message is not work.
func Skip(why string) error { return &Error{C: Class{Kind: Skipped}, Err: errors.New(why)} }

// Supersede says why a message's work is obsolete.
func Supersede(why string) error { return &Error{C: Class{Kind: Superseded}, Err: errors.New(why)} }

// Of classifies err, whatever the delivery: nil is Done; the outermost
// Classed error of the chain decides; a context's cancellation or deadline
// that nothing classified is Released (stopped before a verdict); anything else is Retried.
func Of(err error) Class {
	if err == nil {
		return Class{Kind: Done}
	}
	var c Classed
	if errors.As(err, &c) {
		return c.Class()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Class{Kind: Released}
	}
	return Class{Kind: Retried}
}

// Decide is the one rule that ends a delivery: the class of err, except that
// a transient failure on the message's final delivery (its attempts are
// spent) dead-letters it with ReasonRetriesExhausted. A hold never does.
func Decide(err error, final bool) Class {
	c := Of(err)
	if c.Kind == Retried && final {
		return Class{Kind: DeadLettered, Reason: ReasonRetriesExhausted}
	}
	return c
}

// GivenUp reports whether err on a delivery (final: its last attempt) gives
// the message's work up for good: it is dead-lettered or superseded. Then,
// and only then, backend jobs still running for it are cancelled. A hold, a
// stop from outside or a retry never gives up.
func GivenUp(err error, final bool) bool {
	switch Decide(err, final).Kind {
	case DeadLettered, Superseded:
		return true
	}
	return false
}

// IsHeld reports whether err holds its message, and why.
func IsHeld(err error) (Cause, bool) {
	c := Of(err)
	return c.Cause, c.Kind == Held
}

// IsPermanent reports whether err dead-letters its message at once, and why.
func IsPermanent(err error) (Reason, bool) {
	c := Of(err)
	return c.Reason, c.Kind == DeadLettered
}

// A Holder is told about holds that happen while a handler keeps working:
// the message waits on a cause that is not its own (a RunPod endpoint
// whose workers do not drain its queue) without returning from its
// handler, so its work resumes the moment the cause goes away. The queue
// consumer puts one in each handler's context (WithHolder); the code that
// sees the cause calls HoldInPlace.
type Holder interface {
	// HoldInPlace records that the message is held by cause and returns
	// the function that ends the hold. end may be called more than once.
	HoldInPlace(cause Cause, err error) (end func())
}

type holderKey struct{}

// WithHolder returns ctx carrying h, for HoldInPlace.
func WithHolder(ctx context.Context, h Holder) context.Context {
	return context.WithValue(ctx, holderKey{}, h)
}

// HoldInPlace tells the Holder in ctx, if any, that the work of ctx's
// message is held by cause (err says how) while it goes on waiting, and
// returns the function that ends that hold. The message is counted as held
// (summarizer_held_messages{cause}) and, for a configuration fault or an
// outage, its consumer reports itself not ready, as for a handler that
// returned Hold(cause, err); receiving is not paused (what the handler
// waits on paces it), and the handler's own outcome is still decided by
// what it returns. Without a Holder in ctx it records nothing.
func HoldInPlace(ctx context.Context, cause Cause, err error) (end func()) {
	if h, ok := ctx.Value(holderKey{}).(Holder); ok && h != nil {
		return h.HoldInPlace(cause, err)
	}
	return func() {}
}
