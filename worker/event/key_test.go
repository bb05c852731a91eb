package event_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/event"
)

func TestDecodeKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, want string
	}{
		{"empty", "", ""},
		{"plain", "a/b/c.txt", "a/b/c.txt"},
		{"plus is space", "red+flower.jpg", "red flower.jpg"},
		{"several spaces", "a++b+", "a  b "},
		{"encoded plus", "1%2B1.txt", "1+1.txt"},
		{"encoded slash", "a%2Fb%2fc.txt", "a/b/c.txt"},
		{"brief example", "caf%C3%A9+notes%2Fday+1%2B2.txt", "café notes/day 1+2.txt"},
		{"two-byte UTF-8", "%C3%BC", "ü"},
		{"three-byte UTF-8", "%E2%82%AC", "€"},
		{"four-byte UTF-8", "%F0%9F%93%9D+notes", "📝 notes"},
		{"lower-case hex", "%c3%a9", "é"},
		{"percent sign", "50%25", "50%"},
		{"encoded space", "a%20b", "a b"},
		{"parentheses", "copy+%281%29.txt", "copy (1).txt"},
		{"equals and colon", "dt%3D2024-05-01%2F10%3A47%3A07.txt", "dt=2024-05-01/10:47:07.txt"},
		{"unencoded unicode passes through", "日本/ü.txt", "日本/ü.txt"},
		{"control character", "a%00b", "a\x00b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := event.DecodeKey(tt.raw)
			if err != nil {
				t.Fatalf("DecodeKey(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("DecodeKey(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestDecodeKeyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, wantErr string
	}{
		{"bad hex", "a%zz", `invalid URL escape "%zz"`},
		{"trailing percent", "a%", `invalid URL escape "%"`},
		{"one hex digit at end", "a%4", `invalid URL escape "%4"`},
		{"one hex digit", "%4g", `invalid URL escape "%4g"`},
		{"truncated UTF-8", "caf%C3", "not valid UTF-8"},
		{"bad continuation", "%C3%28", "not valid UTF-8"},
		{"overlong encoding", "%C0%AF", "not valid UTF-8"},
		{"surrogate", "%ED%A0%80", "not valid UTF-8"},
		{"raw invalid byte", "a\xffb", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := event.DecodeKey(tt.raw)
			if err == nil {
				t.Fatalf("DecodeKey(%q) = %q, want error", tt.raw, got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeKeyWrapsEscapeError(t *testing.T) {
	t.Parallel()
	_, err := event.DecodeKey("%zz")
	var ee url.EscapeError
	if !errors.As(err, &ee) {
		t.Fatalf("errors.As(%v, url.EscapeError) = false", err)
	}
}

func TestDecodeKeyErrorIsBrief(t *testing.T) {
	t.Parallel()
	_, err := event.DecodeKey(strings.Repeat("ü", 5000) + "%zz")
	if err == nil || len(err.Error()) > 120 {
		t.Fatalf("error %.200q, want a short error", err)
	}
}
