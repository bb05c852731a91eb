package httpapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

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
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %v, %t; want %v, %t", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "1", "120", "-5", "1e3", "Thu, 02 Jan 2025 03:04:35 GMT", "Mon Jan  2 15:04:05 2006", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v, now)
		if d < 0 || d > 24*time.Hour || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %v, %t", v, d, ok)
		}
	})
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for attempt := 1; attempt <= 70; attempt++ {
		ceiling := min(time.Second, 100*time.Millisecond<<min(attempt-1, 20))
		for range 50 {
			if d := Backoff(attempt, 100*time.Millisecond, time.Second); d < 0 || d >= ceiling {
				t.Fatalf("attempt %d: backoff %v outside [0, %v)", attempt, d, ceiling)
			}
		}
	}
	if d := Backoff(1, 0, time.Millisecond); d < 0 || d >= time.Millisecond {
		t.Errorf("zero initial gave %v, want below the limit", d)
	}
	if d := Backoff(3, time.Second, 0); d != 0 {
		t.Errorf("zero limit gave %v", d)
	}
	if d := Backoff(2, time.Duration(1)<<62, time.Hour); d < 0 || d >= time.Hour {
		t.Errorf("overflowing ceiling gave %v, want below the limit", d)
	}
}

func TestSleep(t *testing.T) {
	t.Parallel()
	if !Sleep(t.Context(), time.Millisecond) {
		t.Error("Sleep on a live context did not wait it out")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	if Sleep(ctx, time.Hour) || time.Since(start) > time.Minute {
		t.Error("Sleep outlasted its context")
	}
}

var errJobTimeout = errors.New("job timeout exceeded")

func TestCtxErrKeepsCause(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeoutCause(t.Context(), time.Nanosecond, errJobTimeout)
	defer cancel()
	<-ctx.Done()
	err := CtxErr(ctx)
	if !errors.Is(err, errJobTimeout) || !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "\n") {
		t.Errorf("CtxErr = %q", err)
	}
	plain, cancel2 := context.WithCancel(t.Context())
	cancel2()
	if err := CtxErr(plain); err != context.Canceled {
		t.Errorf("CtxErr = %v, want context.Canceled", err)
	}
	if CtxErr(t.Context()) != nil {
		t.Error("CtxErr of a live context is not nil")
	}
}

func TestCtxDoneErr(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := CtxDoneErr(ctx, nil); err != context.Canceled {
		t.Errorf("CtxDoneErr without a last error = %v, want context.Canceled", err)
	}
	last := errors.New("HTTP 503")
	err := CtxDoneErr(ctx, last)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, last) || err.Error() != "context canceled (last attempt: HTTP 503)" {
		t.Errorf("CtxDoneErr = %q", err)
	}
}
