package runpod

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op        string
		code      int
		wantClass class
		wantRetry bool
	}{
		{opRun, 429, classTransient, true},
		{opStatus, 429, classTransient, true},
		{opRun, 500, classTransient, true},
		{opRun, 502, classTransient, true},
		{opRun, 503, classTransient, true},
		{opRun, 504, classTransient, true},
		{opRun, 507, classTransient, true},
		{opRun, 408, classTransient, true},
		{opRun, 401, classConfig, false},
		{opStatus, 403, classConfig, false},
		{opRun, 404, classConfig, false},
		{opStatus, 404, classExpired, false},
		{opCancel, 404, classExpired, false},
		{"other", 404, classConfig, false},
		{opRun, 400, classPermanent, false},
		{opRun, 413, classPermanent, false},
		{opRun, 422, classPermanent, false},
		{opRun, 409, classTransient, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%d", tt.op, tt.code), func(t *testing.T) {
			t.Parallel()
			if got := classify(tt.op, tt.code); got != (rule{tt.wantClass, tt.wantRetry}) {
				t.Errorf("classify = %+v, want class %d retry %t", got, tt.wantClass, tt.wantRetry)
			}
		})
	}
}

func TestErrorBehaviour(t *testing.T) {
	t.Parallel()
	tests := []struct {
		class                                  class
		permanent, configFault, temporary, exp bool
	}{
		{classTransient, false, false, true, false},
		{classPermanent, true, false, false, false},
		{classConfig, false, true, false, false},
		{classExpired, false, false, true, true},
	}
	for _, tt := range tests {
		e := &Error{Op: "run", class: tt.class}
		wrapped := fmt.Errorf("chunk 3: %w", e)
		if e.Permanent() != tt.permanent || e.ConfigFault() != tt.configFault || e.Temporary() != tt.temporary || IsExpired(wrapped) != tt.exp {
			t.Errorf("class %d: permanent %t config %t temporary %t expired %t", tt.class, e.Permanent(), e.ConfigFault(), e.Temporary(), IsExpired(wrapped))
		}
	}
	if IsExpired(errors.New("plain")) || IsExpired(nil) {
		t.Error("IsExpired true for a non-*Error")
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 300) + "\n\tend"
	e := &Error{Op: "status", StatusCode: 503, JobID: "job-7", JobStatus: "ABANDONED",
		Body: httpapi.Excerpt(long, "", httpapi.BodyExcerptBytes), Err: context.Canceled}
	msg := e.Error()
	for _, want := range []string{"runpod status", "job-7", "ABANDONED", "HTTP 503 Service Unavailable", "context canceled"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if len(e.Body) > httpapi.BodyExcerptBytes+len("…") || strings.ContainsAny(e.Body, "\n\t") {
		t.Errorf("body excerpt %q is %d bytes or multi-line", e.Body, len(e.Body))
	}
	if !errors.Is(e, context.Canceled) {
		t.Error("Unwrap does not reach Err")
	}
	if got := httpapi.Excerpt("key=SECRET123 "+strings.Repeat("x", 300), "SECRET123", 20); strings.Contains(got, "SECRET") || !strings.HasPrefix(got, "key=[REDACTED]") {
		t.Errorf("excerpt = %q", got)
	}
}
