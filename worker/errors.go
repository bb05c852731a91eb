package worker

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/aws/smithy-go"

	"github.com/summarizer/summarizer/worker/openai"
	"github.com/summarizer/summarizer/worker/runpod"
)

// Reason is the short code of a permanent failure.
type Reason string

// Reasons of permanent failures, as set on dead-lettered messages.
const (
	ReasonBadMessage       Reason = "bad_message"
	ReasonBucketNotAllowed Reason = "bucket_not_allowed"
	ReasonNotFound         Reason = "not_found"
	ReasonTooLarge         Reason = "too_large"
	ReasonBadFormat        Reason = "bad_format"
	ReasonBackendRejected  Reason = "backend_rejected"
)

// PermanentError is a failure that can never succeed, whatever the retries.
type PermanentError struct {
	Reason Reason
	Err    error
}

// Permanent marks err as permanent with reason.
func Permanent(reason Reason, err error) error { return &PermanentError{Reason: reason, Err: err} }

func (e *PermanentError) Error() string { return string(e.Reason) + ": " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// PermanentReason returns the reason of a permanent error. Besides
// PermanentError, an error with a `Permanent() bool` method that returns true
// (a backend refusing the input) is permanent with ReasonBackendRejected.
func PermanentReason(err error) (Reason, bool) {
	var pe *PermanentError
	if errors.As(err, &pe) {
		return pe.Reason, true
	}
	var p interface{ Permanent() bool }
	if errors.As(err, &p) && p.Permanent() {
		return ReasonBackendRejected, true
	}
	return "", false
}

// IsConfigFault reports whether err comes from the deployment rather than
// the message: a backend that refuses our credentials (an error with a
// `ConfigFault() bool` method returning true) or AWS access denied. Such a
// message must be retried, never dead-lettered.
func IsConfigFault(err error) bool {
	var cf interface{ ConfigFault() bool }
	if errors.As(err, &cf) && cf.ConfigFault() {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "AllAccessDisabled", "AccountProblem":
			return true
		}
	}
	return false
}

// Causes of a hold, as HoldCause reports them.
const (
	HoldConfig    = "config"    // credentials, access, a missing endpoint
	HoldThrottled = "throttled" // a backend rate-limits us
	HoldOutage    = "outage"    // a backend every message needs is down or unreachable
)

// HoldCause reports whether err is not the message's fault but a condition
// every message would hit now, and which: a configuration fault (HoldConfig),
// throttling that outlasted the client's own retries (HoldThrottled: RunPod
// or the OpenAI-compatible API answering 429, S3 SlowDown), or an outage
// (HoldOutage: 5xx or no answer at all from RunPod, the chat API or S3).
// Such a message is held rather than retried: it must not spend a receive,
// let alone reach the DLQ. A job that FAILED or TIMED_OUT, unusable output,
// a body cut off mid-read are the message's own transient failures.
func HoldCause(err error) (string, bool) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "", false
	}
	if IsConfigFault(err) {
		return HoldConfig, true
	}
	var re *runpod.Error
	if errors.As(err, &re) {
		if re.JobStatus != "" || re.Permanent() {
			return "", false
		}
		return statusHold(re.StatusCode, true)
	}
	var oe *openai.Error
	if errors.As(err, &oe) {
		if oe.Permanent() {
			return "", false
		}
		return statusHold(oe.StatusCode, true)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests":
			return HoldThrottled, true
		case "InternalError", "ServiceUnavailable", "InternalFailure":
			return HoldOutage, true
		}
	}
	var he interface{ HTTPStatusCode() int }
	if errors.As(err, &he) && he.HTTPStatusCode() != 0 {
		return statusHold(he.HTTPStatusCode(), false)
	}
	// No answer at all: the endpoint is unreachable (refused, reset, DNS,
	// timeouts).
	var ne net.Error
	var oe2 *net.OpError
	var dns *net.DNSError
	if errors.As(err, &oe2) || errors.As(err, &dns) || (errors.As(err, &ne) && ne.Timeout()) {
		return HoldOutage, true
	}
	return "", false
}

// statusHold maps an HTTP status of a failed call to a hold cause. A status
// of 0 (no answer) is an outage for a backend client, whose errors carry
// the status of the answer they got.
func statusHold(code int, noAnswerIsOutage bool) (string, bool) {
	switch {
	case code == http.StatusTooManyRequests:
		return HoldThrottled, true
	case code >= 500:
		return HoldOutage, true
	case code == 0 && noAnswerIsOutage:
		return HoldOutage, true
	}
	return "", false
}
