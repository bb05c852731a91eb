package httpapi

import (
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw      string
		wantHost string // of the returned URL; "" for none
		want     []string
	}{
		{"https://api.runpod.ai/v2/abc", "api.runpod.ai", nil},
		{"http://localhost:8080/v1/", "localhost:8080", nil},
		{"", "", []string{"x: URL is required"}},
		{"http://[::1", "", []string{"x: URL is not a URL"}},
		{"/v2/abc", "", []string{`x: URL "/v2/abc" must be an absolute http or https URL`, `x: URL "/v2/abc" has no host`}},
		{"ftp://h/x", "h", []string{`x: URL "ftp://h/x" must be an absolute http or https URL`}},
		{"https://h/v1?a=1", "h", []string{`x: URL "https://h/v1?a=1" must not have a query or fragment`}},
		{"https://h/v1#f", "h", []string{"must not have a query or fragment"}},
		{"ftp://user:pw@h/x?q", "h", []string{`"ftp://user:xxxxx@h/x?q" must be an absolute`, "must not have a query"}},
	}
	for _, tt := range tests {
		u, errs := CheckURL("x: URL", tt.raw)
		host := ""
		if u != nil {
			host = u.Host
		}
		if host != tt.wantHost || len(errs) != len(tt.want) {
			t.Errorf("CheckURL(%q) = host %q, %v; want host %q, %d errors", tt.raw, host, errs, tt.wantHost, len(tt.want))
			continue
		}
		for i, err := range errs {
			if !strings.Contains(err.Error(), tt.want[i]) || strings.Contains(err.Error(), ":pw@") {
				t.Errorf("CheckURL(%q) error %d = %q, want %q without the password", tt.raw, i, err, tt.want[i])
			}
		}
	}
}

func TestCheckKey(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"", "sk-abc_123", "rpa_LEAK"} {
		if err := CheckKey("x: APIKey", key); err != nil {
			t.Errorf("CheckKey(%q) = %v", key, err)
		}
	}
	for _, key := range []string{"has space", "tab\t", "nl\n", "del\x7f", "\x00"} {
		err := CheckKey("x: APIKey", key)
		if err == nil || err.Error() != "x: APIKey contains whitespace or control characters" || strings.Contains(err.Error(), key) {
			t.Errorf("CheckKey(%q) = %v", key, err)
		}
	}
}
