package httpapi

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestExcerpt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, s, secret string
		n               int
		want            string
	}{
		{"short", "ok", "", 10, "ok"},
		{"one line", " a\n\tb \r\n c\x00d ", "", 100, "a b c d"},
		{"invalid UTF-8", "a\xffb", "", 10, "a\uFFFDb"},
		{"exact length", "abcde", "", 5, "abcde"},
		{"cut", "abcdef", "", 5, "abcde…"},
		{"cut on a rune start", "aé", "", 2, "a…"},
		{"secret", "key=SECRET123 tail", "SECRET123", 100, "key=[REDACTED] tail"},
		{"secret replaced before the cut", "key=SECRET123" + strings.Repeat("x", 300), "SECRET123", 8, "key=[RED…"},
		{"empty secret", "a SECRET b", "", 100, "a SECRET b"},
	}
	for _, tt := range tests {
		if got := Excerpt(tt.s, tt.secret, tt.n); got != tt.want {
			t.Errorf("%s: Excerpt(%q, %q, %d) = %q, want %q", tt.name, tt.s, tt.secret, tt.n, got, tt.want)
		}
	}
	long := strings.Repeat("é", 300) + "\n\tend"
	if got := Excerpt(long, "", BodyExcerptBytes); len(got) > BodyExcerptBytes+len("…") || strings.ContainsAny(got, "\n\t") || !utf8.ValidString(got) {
		t.Errorf("body excerpt %q is %d bytes, multi-line or invalid", got, len(got))
	}
	if got := Excerpt("key=SECRET123 "+strings.Repeat("x", 300), "SECRET123", 20); strings.Contains(got, "SECRET") || !strings.HasPrefix(got, "key=[REDACTED]") {
		t.Errorf("excerpt = %q", got)
	}
}

// FuzzExcerpt: whatever the text, an excerpt is one bounded line of valid UTF-8 without
// the secret (for secrets shaped like API keys, which the marker cannot spell).
func FuzzExcerpt(f *testing.F) {
	for _, s := range []string{"", "plain", " a\n\tb ", "a\xffb", strings.Repeat("é", 300), "key=sk-abc123 more", "sk-abc12sk-abc123"} {
		f.Add(s, "sk-abc123", 20)
	}
	f.Fuzz(func(t *testing.T, s, secret string, n int) {
		if n < 0 || n > 1<<12 {
			return
		}
		got := Excerpt(s, secret, n)
		if len(got) > n+len("…") || !utf8.ValidString(got) || strings.ContainsFunc(got, unicode.IsControl) ||
			got != strings.TrimSpace(got) || strings.Contains(got, "  ") {
			t.Fatalf("Excerpt(%q, %q, %d) = %q", s, secret, n, got)
		}
		keyLike := secret != "" && !strings.ContainsFunc(secret, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		})
		if keyLike && strings.Contains(got, secret) {
			t.Fatalf("Excerpt(%q, %q, %d) = %q leaks the secret", s, secret, n, got)
		}
	})
}

func TestStatusLine(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]string{503: "HTTP 503 Service Unavailable", 429: "HTTP 429 Too Many Requests", 200: "HTTP 200 OK", 599: "HTTP 599"} {
		if got := StatusLine(code); got != want {
			t.Errorf("StatusLine(%d) = %q, want %q", code, got, want)
		}
	}
}
