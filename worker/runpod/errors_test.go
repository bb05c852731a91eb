package runpod

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op   string
		code int
		want httpapi.Rule
	}{
		{opRun, 429, httpapi.RuleRetried},
		{opStatus, 429, httpapi.RuleRetried},
		{opRun, 500, httpapi.RuleRetried},
		{opRun, 502, httpapi.RuleRetried},
		{opRun, 503, httpapi.RuleRetried},
		{opRun, 504, httpapi.RuleRetried},
		{opRun, 507, httpapi.RuleRetried},
		{opRun, 408, httpapi.RuleRetried},
		{opRun, 401, httpapi.RuleConfig},
		{opStatus, 403, httpapi.RuleConfig},
		{opRun, 404, httpapi.RuleConfig},
		{opStatus, 404, httpapi.RuleGone},
		{opCancel, 404, httpapi.RuleGone},
		{"other", 404, httpapi.RuleConfig},
		{opRun, 400, httpapi.RulePermanent},
		{opRun, 413, httpapi.RulePermanent},
		{opRun, 422, httpapi.RulePermanent},
		{opRun, 409, httpapi.RuleTransient},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%d", tt.op, tt.code), func(t *testing.T) {
			t.Parallel()
			if got := classify(tt.op, tt.code); got != tt.want {
				t.Errorf("classify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// Class maps every kind of error into the outcome vocabulary, through any
// wrapping; a job that ended badly is the message's transient failure
// whatever the HTTP answer was.
func TestErrorClass(t *testing.T) {
	t.Parallel()
	retried := outcome.Class{Kind: outcome.Retried}
	tests := []struct {
		name    string
		err     *Error
		want    outcome.Class
		expired bool
	}{
		{"input rejected", &Error{Op: opRun, StatusCode: 400, kind: httpapi.Permanent},
			outcome.Class{Kind: outcome.DeadLettered, Reason: outcome.ReasonBackendRejected}, false},
		{"key refused", &Error{Op: opRun, StatusCode: 401, kind: httpapi.Config},
			outcome.Class{Kind: outcome.Held, Cause: outcome.CauseConfig}, false},
		{"throttled", &Error{Op: opRun, StatusCode: 429}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseThrottled}, false},
		{"5xx", &Error{Op: opRun, StatusCode: 503}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}, false},
		{"no answer", &Error{Op: opRun, Err: errors.New("connection refused")}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}, false},
		{"caller stopped", &Error{Op: opStatus, JobID: "j", Err: context.Canceled}, outcome.Class{Kind: outcome.Released}, false},
		{"other 4xx", &Error{Op: opRun, StatusCode: 409}, retried, false},
		{"expired", &Error{Op: opStatus, StatusCode: 404, kind: httpapi.Gone}, retried, true},
		{"job failed", &Error{Op: opStatus, JobStatus: StatusFailed}, retried, false},
		{"abandoned at JOB_TIMEOUT", &Error{Op: opStatus, JobStatus: StatusAbandoned, Err: context.DeadlineExceeded}, retried, false},
	}
	for _, tt := range tests {
		wrapped := fmt.Errorf("chunk 3: %w", tt.err)
		if got := outcome.Of(wrapped); got != tt.want {
			t.Errorf("%s: class %+v, want %+v", tt.name, got, tt.want)
		}
		if IsExpired(wrapped) != tt.expired {
			t.Errorf("%s: IsExpired = %t, want %t", tt.name, !tt.expired, tt.expired)
		}
	}
	if IsExpired(errors.New("plain")) || IsExpired(nil) {
		t.Error("IsExpired true for a non-*Error")
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	e := &Error{Op: "status", StatusCode: 503, JobID: "job-7", JobStatus: "ABANDONED", Code: "ServiceUnavailable", Err: context.Canceled}
	if got, want := e.Error(), "runpod status job job-7 ABANDONED: HTTP 503 Service Unavailable: ServiceUnavailable: context canceled"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if !errors.Is(e, context.Canceled) {
		t.Error("Unwrap does not reach Err")
	}
	if got, want := (&Error{Op: "status", JobID: "job-8", JobStatus: StatusFailed, Code: "torch.OutOfMemoryError"}).Error(),
		"runpod status job job-8 FAILED: torch.OutOfMemoryError"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}
