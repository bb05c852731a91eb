package httpapi

import (
	"net/http"
	"strconv"
)

// StatusLine names an HTTP status code for an error message: "HTTP 503 Service
// Unavailable", or "HTTP 599" for a code without a standard text.
func StatusLine(code int) string {
	if t := http.StatusText(code); t != "" {
		return "HTTP " + strconv.Itoa(code) + " " + t
	}
	return "HTTP " + strconv.Itoa(code)
}
