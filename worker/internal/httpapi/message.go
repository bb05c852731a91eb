package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BodyExcerptBytes bounds the response text an error quotes.
const BodyExcerptBytes = 200

// Excerpt returns at most n bytes of s as one line of valid UTF-8, with secret replaced
// by Redacted; a cut text ends in "…". The secret is replaced before truncation so that
// no prefix of it survives.
func Excerpt(s, secret string, n int) string {
	if secret != "" {
		s = strings.ReplaceAll(s, secret, Redacted)
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// StatusLine names an HTTP status code for an error message: "HTTP 503 Service
// Unavailable", or "HTTP 599" for a code without a standard text.
func StatusLine(code int) string {
	if t := http.StatusText(code); t != "" {
		return "HTTP " + strconv.Itoa(code) + " " + t
	}
	return "HTTP " + strconv.Itoa(code)
}
