package httpapi

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRetryDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		attempts             int
		initial, limit       time.Duration
		wantA                int
		wantInitial, wantMax time.Duration
	}{
		{0, 0, 0, MaxAttemptsDefault, RetryInitialDefault, RetryMaxDefault},
		{1, time.Second, 0, 1, time.Second, RetryMaxDefault},
		{3, time.Minute, 0, 3, time.Minute, time.Minute}, // the cap is at least the first wait
		{2, time.Millisecond, 5 * time.Millisecond, 2, time.Millisecond, 5 * time.Millisecond},
	}
	for _, tt := range tests {
		a, i, l := RetryDefaults(tt.attempts, tt.initial, tt.limit)
		if a != tt.wantA || i != tt.wantInitial || l != tt.wantMax {
			t.Errorf("RetryDefaults(%d, %v, %v) = %d, %v, %v", tt.attempts, tt.initial, tt.limit, a, i, l)
		}
	}
}

func TestCheckSettings(t *testing.T) {
	t.Parallel()
	if errs := CheckSettings("x", 0, 0, 0, Setting{"Timeout", time.Second}); len(errs) != 0 {
		t.Errorf("defaults: %v", errs)
	}
	errs := CheckSettings("x", -1, -time.Second, 0, Setting{"Timeout", -time.Millisecond})
	want := []string{"x: MaxAttempts -1 must not be negative", "x: Timeout -1ms must not be negative", "x: RetryInitial -1s must not be negative"}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %q", errs, want)
	}
	for i, w := range want {
		if errs[i].Error() != w {
			t.Errorf("error %d = %q, want %q", i, errs[i], w)
		}
	}
	errs = CheckSettings("x", 1, 2*time.Minute, time.Minute)
	if len(errs) != 1 || errs[0].Error() != "x: RetryInitial 2m0s exceeds RetryMax 1m0s" {
		t.Errorf("RetryInitial above RetryMax: %v", errs)
	}
}

func TestCheckEndpoint(t *testing.T) {
	t.Parallel()
	needsKey := func(host string) bool { return host == "api.example.com" }
	for _, tt := range []struct {
		raw, key string
		want     []string
	}{
		{"https://api.example.com/v1", "sk-1", nil},
		{"http://localhost:8000/v1", "", nil},
		{"https://API.example.com/v1", "", []string{"x: APIKey is required for api.example.com"}},
		{"", "has space", []string{"x: URL is required", "x: APIKey contains whitespace or control characters"}},
	} {
		u, errs := CheckEndpoint("x", "URL", tt.raw, tt.key, needsKey)
		if (u == nil) != (tt.raw == "") {
			t.Errorf("CheckEndpoint(%q) URL = %v", tt.raw, u)
		}
		got := errors.Join(errs...)
		if len(errs) != len(tt.want) {
			t.Errorf("CheckEndpoint(%q, %q) = %v, want %q", tt.raw, tt.key, got, tt.want)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(got.Error(), w) {
				t.Errorf("CheckEndpoint(%q) = %v, want %q", tt.raw, got, w)
			}
		}
		if got != nil && tt.key != "" && strings.Contains(got.Error(), tt.key) {
			t.Errorf("CheckEndpoint quotes the key: %v", got)
		}
	}
}
