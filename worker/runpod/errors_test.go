package runpod

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
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
		{opHealth, 404, classConfig, false},
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
		Body: excerpt(long, "", bodyExcerptBytes), Err: context.Canceled}
	msg := e.Error()
	for _, want := range []string{"runpod status", "job-7", "ABANDONED", "HTTP 503 Service Unavailable", "context canceled"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if len(e.Body) > bodyExcerptBytes+len("…") || strings.ContainsAny(e.Body, "\n\t") {
		t.Errorf("body excerpt %q is %d bytes or multi-line", e.Body, len(e.Body))
	}
	if !errors.Is(e, context.Canceled) {
		t.Error("Unwrap does not reach Err")
	}
	if got := excerpt("key=SECRET123 "+strings.Repeat("x", 300), "SECRET123", 20); strings.Contains(got, "SECRET") || !strings.HasPrefix(got, "key=[REDACTED]") {
		t.Errorf("excerpt = %q", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"99999999999999999999", 0, false},
		{"999999999", 24 * time.Hour, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"Thu, 02 Jan 2025 03:04:35 GMT", 30 * time.Second, true},
		{"Thursday, 02-Jan-25 03:04:15 GMT", 10 * time.Second, true},
		{"Thu, 02 Jan 2025 03:00:00 GMT", 0, true},
		{"Fri, 02 Jan 2026 03:04:05 GMT", 24 * time.Hour, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %t; want %v, %t", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "1", "120", "-5", "1e3", "Thu, 02 Jan 2025 03:04:35 GMT", "Mon Jan  2 15:04:05 2006", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if d < 0 || d > 24*time.Hour || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %v, %t", v, d, ok)
		}
	})
}

func TestCtxErrKeepsCause(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeoutCause(t.Context(), time.Nanosecond, ErrJobTimeout)
	defer cancel()
	<-ctx.Done()
	err := ctxErr(ctx)
	if !errors.Is(err, ErrJobTimeout) || !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "\n") {
		t.Errorf("ctxErr = %q", err)
	}
	plain, cancel2 := context.WithCancel(t.Context())
	cancel2()
	if err := ctxErr(plain); err != context.Canceled {
		t.Errorf("ctxErr = %v, want context.Canceled", err)
	}
	if ctxErr(t.Context()) != nil {
		t.Error("ctxErr of a live context is not nil")
	}
}
