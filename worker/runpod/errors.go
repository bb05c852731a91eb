package runpod

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

// ErrJobTimeout is the cause of a job abandoned because Config.JobTimeout passed. The
// *Error returned also wraps context.DeadlineExceeded.
var ErrJobTimeout = errors.New("runpod: job timeout exceeded")

// ErrNoOutput is wrapped by ExtractOutput's errors: the output was null, empty after
// cleaning, or of a shape no known worker produces.
var ErrNoOutput = errors.New("no usable output")

// class is what the caller should do with an error.
type class int

const (
	// classTransient: try again later (the client already retried what it could).
	classTransient class = iota
	// classPermanent: the backend rejected the input; trying again cannot help.
	classPermanent
	// classConfig: credentials or endpoint are wrong; an operator must act.
	classConfig
	// classExpired: RunPod no longer knows the job (404 on /status); resubmit.
	classExpired
)

// Operations, used in Error.Op.
const (
	opRun    = "run"
	opStatus = "status"
	opCancel = "cancel"
)

// rule is one row of the classification table.
type rule struct {
	class class
	retry bool // retried inside the client, with backoff (never on /status: see Client.do)
}

// statusRules is the one table mapping HTTP status codes to classes. A code missing here
// falls back to: other 5xx → transient and retried; other 4xx → transient, not retried.
// 404 is resolved per operation by notFoundRules.
var statusRules = map[int]rule{
	http.StatusBadRequest:            {classPermanent, false}, // 400: input rejected
	http.StatusUnauthorized:          {classConfig, false},    // 401: bad key
	http.StatusForbidden:             {classConfig, false},    // 403: key lacks access
	http.StatusRequestTimeout:        {classTransient, true},  // 408
	http.StatusRequestEntityTooLarge: {classPermanent, false}, // 413: payload over 10 MB
	http.StatusUnprocessableEntity:   {classPermanent, false}, // 422: input rejected
	http.StatusTooManyRequests:       {classTransient, true},  // 429: rate limited
	http.StatusInternalServerError:   {classTransient, true},  // 500
	http.StatusBadGateway:            {classTransient, true},  // 502
	http.StatusServiceUnavailable:    {classTransient, true},  // 503
	http.StatusGatewayTimeout:        {classTransient, true},  // 504
}

// notFoundRules resolves 404 by operation: the endpoint is missing for /run, the job
// is gone (expired, or never existed) for /status and /cancel.
var notFoundRules = map[string]rule{
	opRun:    {classConfig, false},
	opStatus: {classExpired, false},
	opCancel: {classExpired, false},
}

// classify returns the rule for an HTTP status code answered to op.
func classify(op string, code int) rule {
	if code == http.StatusNotFound {
		if r, ok := notFoundRules[op]; ok {
			return r
		}
		return rule{classConfig, false}
	}
	if r, ok := statusRules[code]; ok {
		return r
	}
	if code >= 500 {
		return rule{classTransient, true}
	}
	return rule{classTransient, false}
}

// Error is the error type of every failure this package returns. Check it with
// errors.As and its Permanent, ConfigFault and Temporary methods; exactly one of them
// is true.
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
	// Body is at most ~200 bytes of the response body (API key replaced).
	Body string
	// Err is the underlying cause: a network error, a context error, ErrJobTimeout,
	// RunPod's error text, ErrNoOutput.
	Err error

	class      class
	retryAfter time.Duration // the answer's Retry-After, 0 if none
}

// Error describes the failure with op, status code, job id and a body excerpt; never the
// API key.
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
	if e.Body != "" {
		b.WriteString(": ")
		b.WriteString(strconv.Quote(e.Body))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Permanent reports that RunPod rejected the input (400, 413, 422, or a prompt over
// MaxPayloadBytes): retrying the same input cannot succeed, so the caller dead-letters
// the work item (reason backend_rejected).
func (e *Error) Permanent() bool { return e.class == classPermanent }

// ConfigFault reports a configuration error (401, 403, or an endpoint that does not
// exist): the work item is fine and should be retried later, while the caller reports
// itself not ready until an operator fixes the settings.
func (e *Error) ConfigFault() bool { return e.class == classConfig }

// Temporary reports everything else: throttling and 5xx after the client's own retries,
// network errors, jobs that FAILED, TIMED_OUT, expired or were abandoned, unusable
// output. The caller tries the work item again later.
func (e *Error) Temporary() bool { return !e.Permanent() && !e.ConfigFault() }

// Class is the error's outcome class (httpapi.Class). A job that ended
// badly (FAILED, TIMED_OUT, COMPLETED without usable output, expired,
// abandoned at JOB_TIMEOUT) is the message's own transient failure.
func (e *Error) Class() outcome.Class {
	if e.JobStatus != "" || e.Expired() {
		return outcome.Class{Kind: outcome.Retried}
	}
	return httpapi.Class(e.Permanent(), e.ConfigFault(), e.StatusCode, e.Err)
}

// Expired reports that RunPod no longer knows the job (404 on /status or /cancel):
// results of /run jobs are kept 30 minutes.
func (e *Error) Expired() bool { return e.class == classExpired }

// IsExpired reports whether err is (or wraps) an *Error for a job RunPod no longer knows.
func IsExpired(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Expired()
}

// redactErr returns err, or, if its message quotes secret, an error with the secret
// replaced that still matches ErrNoOutput when err did.
func redactErr(err error, secret string) error { return httpapi.RedactErr(err, secret, ErrNoOutput) }
