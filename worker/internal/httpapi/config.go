package httpapi

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults of the retry settings every client's Config has (MaxAttempts,
// RetryInitial, RetryMax); each client exports them under its own names.
const (
	MaxAttemptsDefault  = 5
	RetryInitialDefault = 500 * time.Millisecond
	RetryMaxDefault     = 30 * time.Second
)

// RetryDefaults returns a client's retry settings with zero values replaced by the
// defaults: MaxAttemptsDefault, RetryInitialDefault, and for limit RetryMaxDefault or
// initial if that is larger.
func RetryDefaults(maxAttempts int, initial, limit time.Duration) (int, time.Duration, time.Duration) {
	if maxAttempts == 0 {
		maxAttempts = MaxAttemptsDefault
	}
	if initial == 0 {
		initial = RetryInitialDefault
	}
	if limit == 0 {
		limit = max(RetryMaxDefault, initial)
	}
	return maxAttempts, initial, limit
}

// Setting is a named duration of a client's Config, for CheckSettings.
type Setting struct {
	Name  string
	Value time.Duration
}

// CheckSettings returns one error per problem of a client's retry settings and
// durations, each message starting with prefix (e.g. "runpod"): a negative
// MaxAttempts, a negative RetryInitial, RetryMax or other duration, and a RetryInitial
// above RetryMax once both have their defaults.
func CheckSettings(prefix string, maxAttempts int, initial, limit time.Duration, durations ...Setting) []error {
	var errs []error
	if maxAttempts < 0 {
		errs = append(errs, fmt.Errorf("%s: MaxAttempts %d must not be negative", prefix, maxAttempts))
	}
	durations = append(durations, Setting{"RetryInitial", initial}, Setting{"RetryMax", limit})
	for _, d := range durations {
		if d.Value < 0 {
			errs = append(errs, fmt.Errorf("%s: %s %v must not be negative", prefix, d.Name, d.Value))
		}
	}
	if _, i, l := RetryDefaults(0, initial, limit); initial >= 0 && limit >= 0 && i > l {
		errs = append(errs, fmt.Errorf("%s: RetryInitial %v exceeds RetryMax %v", prefix, i, l))
	}
	return errs
}

// CheckEndpoint validates a client's base URL raw (named prefix+": "+field, e.g.
// "runpod: EndpointURL", see CheckURL) and its API key (CheckKey), which
// keyRequired(host) says must not be empty for the URL's host (lower case). It returns
// the parsed URL (nil if raw is empty or does not parse), for checks of the client's
// own, and one error per problem; no message quotes the key.
func CheckEndpoint(prefix, field, raw, key string, keyRequired func(host string) bool) (*url.URL, []error) {
	u, errs := CheckURL(prefix+": "+field, raw)
	if err := CheckKey(prefix+": APIKey", key); err != nil {
		errs = append(errs, err)
	}
	if u != nil && key == "" {
		if host := strings.ToLower(u.Hostname()); keyRequired(host) {
			errs = append(errs, fmt.Errorf("%s: APIKey is required for %s", prefix, host))
		}
	}
	return u, errs
}
