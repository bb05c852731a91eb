package httpapi

import (
	"net/http"
	"time"
)

// MaxIdleConnsPerHost is how many idle connections a client built by
// NewClient keeps per host. net/http keeps 2 by default: a worker with tens
// of jobs polled at once would open a new connection for most polls.
const MaxIdleConnsPerHost = 256

// NewClient returns an HTTP client with timeout per request whose transport
// (http.DefaultTransport's settings otherwise) keeps MaxIdleConnsPerHost idle
// connections per host.
func NewClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * MaxIdleConnsPerHost
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	return &http.Client{Timeout: timeout, Transport: t}
}
