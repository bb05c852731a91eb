package httpapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Redacted is printed instead of a non-empty API key, and replaces the key in any text
// quoted from an answer.
const Redacted = "[REDACTED]"

// MaskKey is what a String method prints for key: Redacted, or "" if no key is set.
func MaskKey(key string) string {
	if key == "" {
		return ""
	}
	return Redacted
}

// FormatString implements fmt.Formatter for a type holding a secret: every verb (%v,
// %+v, %#v, %s, %q, ...) prints s, the type's redacted String, quoted for %q.
func FormatString(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s)
		return
	}
	_, _ = f.Write([]byte(s))
}

// RedactURL hides a password in the URL's user info, if any. An unparsable URL with an
// "@" (which might hold one) is replaced as a whole.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") {
			return "[invalid URL]"
		}
		return s
	}
	if u.User == nil {
		return s
	}
	return u.Redacted()
}

// RedactErr returns err, or, if its message quotes secret, an error with the secret
// replaced by Redacted that still matches (errors.Is) the first of sentinels that err
// matched. The secret is never stored in an error, so no fmt verb can reveal it.
func RedactErr(err error, secret string, sentinels ...error) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	msg := strings.ReplaceAll(err.Error(), secret, Redacted)
	for _, sentinel := range sentinels {
		if errors.Is(err, sentinel) {
			return fmt.Errorf("%w (%s)", sentinel, msg)
		}
	}
	return errors.New(msg)
}
