package httpapi

import (
	"testing"
)

func TestStatusLine(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]string{503: "HTTP 503 Service Unavailable", 429: "HTTP 429 Too Many Requests", 200: "HTTP 200 OK", 599: "HTTP 599"} {
		if got := StatusLine(code); got != want {
			t.Errorf("StatusLine(%d) = %q, want %q", code, got, want)
		}
	}
}
