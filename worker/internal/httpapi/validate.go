package httpapi

import (
	"fmt"
	"net/url"
	"strings"
)

// CheckURL validates raw, a client's base URL, named name in the messages (e.g.
// "runpod: EndpointURL"): it is required and must be an absolute http or https URL
// with a host and without query or fragment. It returns the parsed URL (nil if raw is
// empty or does not parse), for checks of the client's own, and one error per problem.
// Messages quote the URL with its password redacted, and an unparsable one not at all.
func CheckURL(name, raw string) (*url.URL, []error) {
	if raw == "" {
		return nil, []error{fmt.Errorf("%s is required", name)}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, []error{fmt.Errorf("%s is not a URL", name)}
	}
	var errs []error
	if u.Scheme != "http" && u.Scheme != "https" {
		errs = append(errs, fmt.Errorf("%s %q must be an absolute http or https URL", name, u.Redacted()))
	}
	if u.Host == "" {
		errs = append(errs, fmt.Errorf("%s %q has no host", name, u.Redacted()))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("%s %q must not have a query or fragment", name, u.Redacted()))
	}
	return u, errs
}

// CheckKey reports an API key holding whitespace or control characters, which cannot
// be sent in an Authorization header, named name in the message (e.g. "openai: APIKey");
// nil if the key is fine. The message never quotes the key.
func CheckKey(name, key string) error {
	if strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%s contains whitespace or control characters", name)
	}
	return nil
}
