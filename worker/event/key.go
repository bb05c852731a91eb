package event

import (
	"errors"
	"fmt"
	"net/url"
	"unicode/utf8"
)

// DecodeKey decodes an object key as S3 event notifications carry it,
// URL-encoded the way HTML forms are: '+' is a space and %XX an escaped byte
// ("%2B" a plus, "%2F" a slash, "%C3%A9" an é). Characters left unescaped,
// such as the '/' real S3 leaves alone, stand for themselves. An invalid
// escape ("%zz", a trailing "%") or a result that is not valid UTF-8 is an
// error. EventBridge keys are not encoded and must not go through DecodeKey.
func DecodeKey(raw string) (string, error) {
	key, err := url.QueryUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("object key %s: %w", clip(raw), err)
	}
	if !utf8.ValidString(key) {
		return "", fmt.Errorf("object key %s: %w", clip(raw), errNotUTF8)
	}
	return key, nil
}

var errNotUTF8 = errors.New("not valid UTF-8 once decoded")
