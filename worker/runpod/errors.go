package runpod

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

// ErrJobTimeout is the cause of a job abandoned because it ran longer than
// Config.JobTimeout (RunPod did not end it at its executionTimeout).
var ErrJobTimeout = errors.New("runpod: job timeout exceeded")

// ErrJobTTL is the cause of a job abandoned because it was still unstarted when its
// Config.JobTTL passed (RunPod did not expire it): it waited out its ttl in RunPod's
// queue.
var ErrJobTTL = errors.New("runpod: job waited out its ttl in the queue")

// ErrNoOutput is wrapped by ExtractOutput's errors: the output was null, empty after
// cleaning, or of a shape no known worker produces.
var ErrNoOutput = errors.New("no usable output")

// Operations, used in Error.Op.
const (
	opRun    = "run"
	opStatus = "status"
	opCancel = "cancel"
	opHealth = "health"
)

// statusRules is the one table mapping HTTP status codes to kinds. A code missing here
// falls back to: other 5xx → transient and retried; other 4xx → transient, not retried
// (httpapi.StatusRule). 404 is resolved per operation by notFoundRules. Retry never
// applies to /status: see Client.do.
var statusRules = map[int]httpapi.Rule{
	http.StatusBadRequest:            httpapi.RulePermanent, // 400: input rejected
	http.StatusUnauthorized:          httpapi.RuleConfig,    // 401: bad key
	http.StatusForbidden:             httpapi.RuleConfig,    // 403: key lacks access
	http.StatusRequestTimeout:        httpapi.RuleRetried,   // 408
	http.StatusRequestEntityTooLarge: httpapi.RulePermanent, // 413: payload over 10 MB
	http.StatusUnprocessableEntity:   httpapi.RulePermanent, // 422: input rejected
	http.StatusTooManyRequests:       httpapi.RuleRetried,   // 429: rate limited
	http.StatusInternalServerError:   httpapi.RuleRetried,   // 500
	http.StatusBadGateway:            httpapi.RuleRetried,   // 502
	http.StatusServiceUnavailable:    httpapi.RuleRetried,   // 503
	http.StatusGatewayTimeout:        httpapi.RuleRetried,   // 504
}

// notFoundRules resolves 404 by operation: the endpoint is missing for /run, the job
// is gone (expired, or never existed) for /status and /cancel.
var notFoundRules = map[string]httpapi.Rule{
	opRun:    httpapi.RuleConfig,
	opHealth: httpapi.RuleConfig,
	opStatus: httpapi.RuleGone,
	opCancel: httpapi.RuleGone,
}

// classify returns the rule for an HTTP status code answered to op.
func classify(op string, code int) httpapi.Rule {
	if code == http.StatusNotFound {
		if r, ok := notFoundRules[op]; ok {
			return r
		}
		return httpapi.RuleConfig
	}
	return httpapi.StatusRule(statusRules, code)
}

// Error is the error type of every failure this package returns. Its Class says what
// it means for the work item (outcome.Of reads it through any wrapping); IsExpired
// tells a job RunPod forgot.
type Error struct {
	// Op is the failed operation: "run", "status" or "cancel".
	Op string
	// StatusCode is the HTTP status of RunPod's answer, 0 if there was none (network
	// error, job-level failure, context done).
	StatusCode int
	// JobID is the RunPod job concerned, if any.
	JobID string
	// JobStatus is the job's final state when the job itself failed: FAILED, CANCELLED,
	// TIMED_OUT, COMPLETED (with unusable output), EXPIRED or ABANDONED.
	JobStatus string
	// Code is the error code or type RunPod's answer named, if it named one as a single
	// token (httpapi.Code): the "error" or "code" of a non-2xx answer, a validation
	// error's type, the error_type of a FAILED job. RunPod's free text (messages,
	// tracebacks, bodies) is never kept: a worker's or a validator's words may quote
	// the prompt.
	Code string
	// Err is the underlying cause: a network error, a context error, ErrJobTimeout,
	// ErrNoOutput; nil for a job that ended FAILED, CANCELLED or TIMED_OUT.
	Err error

	kind       httpapi.Kind  // the verdict of statusRules, or of the client
	retryAfter time.Duration // the answer's Retry-After, 0 if none
	waitedOut  bool          // the job waited out its ttl in RunPod's queue (WaitedOut)
}

// Error describes the failure with op, job id and status, HTTP status and error code:
// our own words and codes, never RunPod's free text nor the API key.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("runpod ")
	b.WriteString(e.Op)
	if e.JobID != "" {
		b.WriteString(" job ")
		b.WriteString(e.JobID)
	}
	if e.JobStatus != "" {
		b.WriteString(" ")
		b.WriteString(e.JobStatus)
	}
	if e.StatusCode != 0 {
		b.WriteString(": ")
		b.WriteString(httpapi.StatusLine(e.StatusCode))
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Class is the error's outcome class (httpapi.Class of its kind): the input rejected
// (400, 413, 422, a prompt over MaxPayloadBytes) is dead-lettered; our key or endpoint
// refused (401, 403, 404 on /run, a template that fails to render) holds the work;
// throttling and 5xx after the client's own retries, and network errors, hold it as an
// outage; a caller that stopped waiting releases it. A job that ended badly (FAILED,
// TIMED_OUT, COMPLETED without usable output, expired, abandoned at JOB_TIMEOUT) is
// the message's own transient failure; a job that waited out its ttl in RunPod's queue
// (WaitedOut) holds the message as an outage: the endpoint did not drain its queue.
func (e *Error) Class() outcome.Class {
	if e.waitedOut {
		// Not the message's fault: the endpoint did not drain its queue.
		return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}
	}
	if e.JobStatus != "" {
		return outcome.Class{Kind: outcome.Retried}
	}
	return httpapi.Class(e.kind, e.StatusCode, e.Err)
}

// Expired reports that RunPod no longer knows the job (404 on /status or /cancel):
// results of /run jobs are kept 30 minutes.
func (e *Error) Expired() bool { return e.kind == httpapi.Gone }

// WaitedOut reports that the job never ran: it waited in RunPod's queue until its
// Config.JobTTL passed, and RunPod forgot it (404), reported it TIMED_OUT without
// execution, or it was abandoned unstarted at its ttl. It cost nothing; a new job for
// the same prompt is no retry of a failure of the message's (see Class).
func (e *Error) WaitedOut() bool { return e.waitedOut }

// IsWaitedOut reports whether err is (or wraps) an *Error of a job that waited out its
// ttl in RunPod's queue (see Error.WaitedOut).
func IsWaitedOut(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.waitedOut
}

// IsExpired reports whether err is (or wraps) an *Error for a job RunPod no longer knows.
func IsExpired(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Expired()
}

// redactErr returns err, or, if its message quotes secret, an error with the secret
// replaced that still matches ErrNoOutput when err did.
func redactErr(err error, secret string) error { return httpapi.RedactErr(err, secret, ErrNoOutput) }
