package runpod

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/summarizer/summarizer/worker/internal/httpapi"
	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

// TestAPIKeyNeverLeaks runs every error path against a server that echoes the key back
// everywhere it can, and asserts the key is in no error string and no log line.
func TestAPIKeyNeverLeaks(t *testing.T) {
	t.Parallel()
	const key = testKey
	echo := func(r *http.Request) string {
		// What a careless proxy or worker might send back: the whole header.
		return r.Header.Get("Authorization")
	}
	paths := []struct {
		name string
		// handler answers every request of this path's server.
		handler func(w http.ResponseWriter, r *http.Request)
		call    func(ctx context.Context, c *Client) error
	}{}
	add := func(name string, call func(ctx context.Context, c *Client) error, h func(w http.ResponseWriter, r *http.Request)) {
		paths = append(paths, struct {
			name    string
			handler func(w http.ResponseWriter, r *http.Request)
			call    func(ctx context.Context, c *Client) error
		}{name, h, call})
	}
	// A failing /status is polled on until JobTimeout: a second is enough to
	// see every error path.
	summarize := func(ctx context.Context, c *Client) error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, _, err := summarizeJob(ctx, c, "prompt")
		return err
	}
	statusCode := func(code int) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"error":"denied for `+echo(r)+`"}`, code)
		}
	}
	for _, code := range []int{400, 401, 403, 404, 413, 422, 429, 500, 503} {
		add(fmt.Sprintf("run %d", code), summarize, statusCode(code))
		add(fmt.Sprintf("cancel %d", code), func(ctx context.Context, c *Client) error { return c.Cancel(ctx, "job-1") }, statusCode(code))
		add(fmt.Sprintf("wait %d", code), func(ctx context.Context, c *Client) error {
			ctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			_, err := c.Wait(ctx, "job-1")
			return err
		}, statusCode(code))
	}
	job := func(status func(r *http.Request) string) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			switch {
			case strings.HasSuffix(r.URL.Path, "/run"):
				_, _ = fmt.Fprint(w, `{"id":"job-1","status":"IN_QUEUE"}`)
			case strings.Contains(r.URL.Path, "/status/"):
				_, _ = fmt.Fprint(w, status(r))
			default:
				http.Error(w, "cancel refused: "+echo(r), http.StatusInternalServerError)
			}
		}
	}
	add("job failed with the key in its error", summarize, job(func(r *http.Request) string {
		e, _ := json.Marshal("worker env: RUNPOD_API_KEY=" + key + " " + echo(r))
		return `{"id":"job-1","status":"FAILED","error":` + string(e) + `}`
	}))
	add("output shaped with the key", summarize, job(func(r *http.Request) string {
		return `{"id":"job-1","status":"COMPLETED","output":{"` + key + `":"` + echo(r) + `"}}`
	}))
	add("garbled status with the key", summarize, job(func(r *http.Request) string { return "<html>" + echo(r) }))
	add("status with the key in an unknown state, then cancelled", func(ctx context.Context, c *Client) error {
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, _, err := summarizeJob(ctx, c, "prompt")
		return err
	}, job(func(r *http.Request) string { return `{"id":"job-1","status":"` + key + `"}` }))
	add("network error", summarize, httpapitest.HangUp)

	var logs httpapitest.LockedBuffer
	logger := httpapitest.JSONLogger(&logs)

	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			srv, sawKey := httpapitest.KeyServer(t, key, p.handler)
			cfg := testConfig(t, srv.URL+"/v2/x")
			cfg.Logger = logger.With(zap.String("case", p.name), zap.Any("config", cfg))
			c := newTestClient(t, cfg)
			httpapitest.CheckErrNoKey(t, p.call(t.Context(), c), key)
			if !sawKey() {
				t.Error("server never saw the Authorization header")
			}
		})
	}
	httpapitest.CheckLogsAtEnd(t, &logs, key, "job_id")
}

func TestConfigAndClientRedactKey(t *testing.T) {
	t.Parallel()
	cfg := Config{EndpointURL: "https://user:pw@api.runpod.ai/v2/abc", APIKey: testKey}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := httpapitest.CheckRedacted(t, []string{testKey, ":pw@"}, cfg, c, cfg, &cfg, c, *c)
	if !strings.Contains(out[0], "api.runpod.ai/v2/abc") || !strings.Contains(out[0], httpapi.Redacted) {
		t.Errorf("String() = %s, want endpoint and redaction marker", out[0])
	}
}
