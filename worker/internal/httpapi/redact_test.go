package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestMaskKey(t *testing.T) {
	t.Parallel()
	if got := MaskKey(""); got != "" {
		t.Errorf(`MaskKey("") = %q, want ""`, got)
	}
	if got := MaskKey("sk-secret"); got != Redacted {
		t.Errorf("MaskKey(key) = %q, want %q", got, Redacted)
	}
}

// secretHolder prints only its redacted String, as the clients' Config and Client do.
type secretHolder struct{ key string }

func (s secretHolder) String() string { return "holder{key:" + MaskKey(s.key) + "}" }

func (s secretHolder) Format(f fmt.State, verb rune) { FormatString(f, verb, s.String()) }

func TestFormatString(t *testing.T) {
	t.Parallel()
	h := secretHolder{key: "sk-secret"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%10v"} {
		for _, v := range []any{h, &h} {
			if got := fmt.Sprintf(verb, v); got != "holder{key:[REDACTED]}" {
				t.Errorf("Sprintf(%s) = %q", verb, got)
			}
		}
	}
	if got := fmt.Sprintf("%q", h); got != `"holder{key:[REDACTED]}"` {
		t.Errorf("Sprintf(%%q) = %s", got)
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                                "",
		"https://api.runpod.ai/v2/abc":    "https://api.runpod.ai/v2/abc",
		"https://user:pw@api.openai.com/": "https://user:xxxxx@api.openai.com/",
		"https://user@h/v1":               "https://user@h/v1",
		"http://[::1":                     "http://[::1",
		"http://u:pw@[::1":                "[invalid URL]",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

var errSentinel = errors.New("sentinel")

func TestRedactErr(t *testing.T) {
	t.Parallel()
	const key = "sk-LEAK"
	plain := errors.New("no key here")
	if RedactErr(nil, key) != nil || RedactErr(plain, key) != plain || RedactErr(plain, "") != plain {
		t.Error("RedactErr changed an error without the key")
	}
	withKey := fmt.Errorf("bad key %s", key)
	if err := RedactErr(withKey, ""); err != withKey {
		t.Errorf("RedactErr with no secret = %v, want the error unchanged", err)
	}
	err := RedactErr(withKey, key, errSentinel)
	if err.Error() != "bad key [REDACTED]" || errors.Is(err, errSentinel) {
		t.Errorf("RedactErr = %q, want the key replaced and no sentinel", err)
	}
	for _, sentinel := range []error{errSentinel, context.Canceled, context.DeadlineExceeded} {
		err := RedactErr(errors.Join(sentinel, errors.New("key "+key)), key, errSentinel, context.Canceled, context.DeadlineExceeded)
		if !errors.Is(err, sentinel) || strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), Redacted) {
			t.Errorf("RedactErr = %v, want %v without the key", err, sentinel)
		}
	}
	// A sentinel not listed is not kept: the caller decides which ones matter.
	if err := RedactErr(errors.Join(context.Canceled, withKey), key, errSentinel); errors.Is(err, context.Canceled) {
		t.Errorf("RedactErr = %v kept an unlisted sentinel", err)
	}
}
