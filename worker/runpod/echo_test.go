package runpod

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

// echoPaths are the ways a RunPod endpoint (RunPod's validation, a proxy, a worker)
// can send its input back in an error, each answering with echo, the prompt and the
// Authorization header as it would quote them.
var echoPaths = []struct {
	name string
	// run answers /run; nil accepts the job.
	run func(echo string) reply
	// status answers /status; nil completes the job.
	status func(echo string) reply
	// cancel answers /cancel; nil cancels.
	cancel func(echo string) reply
	// jobTimeout, if set, replaces the client's.
	jobTimeout time.Duration
	ttl        time.Duration
}{
	{name: "run 400 pydantic detail list", run: func(echo string) reply {
		return reply{code: 400, body: `{"detail":[{"type":"string_too_long","loc":["body","input","text"],"msg":"String should have at most 10 characters","input":` + quote(echo) + `}]}`}
	}},
	{name: "run 422 pydantic text", run: func(echo string) reply {
		return reply{code: 422, body: `{"detail":` + quote("1 validation error for Input\ntext\n  String should have at most 10 characters [type=string_too_long, input_value='"+echo+"', input_type=str]") + `}`}
	}},
	{name: "run 400 error string", run: func(echo string) reply { return reply{code: 400, body: `{"error":` + quote("bad input: "+echo) + `}`} }},
	{name: "run 500 plain text, retried", run: func(echo string) reply { return reply{code: 500, body: "Internal error while handling " + echo} }},
	{name: "run 200 garbled", run: func(echo string) reply { return reply{code: 200, body: "<html>" + echo} }},
	{name: "status FAILED runpod-python error", status: func(echo string) reply {
		doc, _ := json.Marshal(map[string]string{"error_type": "<class 'ValueError'>", "error_message": "cannot summarize " + echo,
			"error_traceback": "Traceback (most recent call last):\n  handler(" + echo + ")\nValueError"})
		return ok(`{"id":"job-1","status":"FAILED","error":` + quote(string(doc)) + `}`)
	}},
	{name: "status FAILED plain error", status: func(echo string) reply {
		return ok(`{"id":"job-1","status":"FAILED","error":` + quote(echo) + `}`)
	}},
	{name: "status TIMED_OUT error object", status: func(echo string) reply {
		return ok(`{"id":"job-1","status":"TIMED_OUT","error":{"message":` + quote(echo) + `,"code":"worker_timeout"}}`)
	}},
	{name: "status COMPLETED with an error output", status: func(echo string) reply {
		return ok(`{"id":"job-1","status":"COMPLETED","output":{"error":` + quote(echo) + `}}`)
	}},
	{name: "status COMPLETED with the prompt as keys", status: func(echo string) reply {
		return ok(`{"id":"job-1","status":"COMPLETED","output":{` + quote(echo) + `:1,` + quote("x "+echo) + `:2}}`)
	}},
	{name: "status 403", status: func(echo string) reply { return reply{code: 403, body: `{"error":` + quote("denied "+echo) + `}`} }},
	{name: "status 404", status: func(echo string) reply { return reply{code: 404, body: "no job for " + echo} }},
	{name: "status garbled until the caller stops", status: func(echo string) reply { return ok("{" + echo) }},
	{name: "status unknown until the caller stops", status: func(echo string) reply {
		return ok(`{"id":"job-1","status":` + quote(echo) + `}`)
	}},
	{name: "status 503 past the job's ttl; cancel 500", jobTimeout: 20 * time.Millisecond, ttl: 50 * time.Millisecond,
		status: func(echo string) reply {
			return reply{code: 503, body: `{"error":` + quote(echo) + `}`}
		},
		cancel: func(echo string) reply { return reply{code: 500, body: echo} }},
	{name: "running past JobTimeout; cancel 400", jobTimeout: 50 * time.Millisecond,
		status: func(echo string) reply { return ok(`{"id":"job-1","status":"IN_PROGRESS"}`) },
		cancel: func(echo string) reply { return reply{code: 400, body: `{"error":` + quote(echo) + `}`} }},
}

// quote is s as a JSON string.
var quote = httpapitest.JSONString

// FuzzErrorsNeverQuoteThePrompt: whatever a RunPod endpoint echoes of its input into
// an error (a validation error's input_value, a worker's error message or traceback,
// a garbled or non-2xx body, an output's keys), no error the client returns, and no
// log line it writes, holds a run of httpapitest.RunWords words of the prompt, or the
// API key. Only codes and our own words reach them.
func FuzzErrorsNeverQuoteThePrompt(f *testing.F) {
	httpapitest.FuzzEcho(f, len(echoPaths), func(t *testing.T, path int, prompt string) {
		p := echoPaths[path]
		var mu sync.Mutex
		var seen string // the prompt as the server received it, with the key
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			if strings.HasSuffix(r.URL.Path, "/run") {
				var req struct {
					Input struct {
						Text string `json:"text"`
					} `json:"input"`
				}
				_ = json.Unmarshal(body, &req)
				seen = req.Input.Text + " " + r.Header.Get("Authorization")
			}
			echo := seen
			mu.Unlock()
			rep := ok(`{"id":"job-1","status":"IN_QUEUE"}`)
			switch path := r.URL.Path; {
			case strings.HasSuffix(path, "/run") && p.run != nil:
				rep = p.run(echo)
			case strings.Contains(path, "/status/"):
				rep = ok(statusBody("job-1", StatusCompleted, `"ok"`))
				if p.status != nil {
					rep = p.status(echo)
				}
			case strings.Contains(path, "/cancel/"):
				rep = ok(`{"id":"job-1","status":"CANCELLED"}`)
				if p.cancel != nil {
					rep = p.cancel(echo)
				}
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rep.code)
			_, _ = io.WriteString(w, rep.body)
		}))
		defer srv.Close()
		var logs httpapitest.LockedBuffer
		cfg := testConfig(t, srv.URL+"/v2/echo")
		cfg.Logger = httpapitest.JSONLogger(&logs)
		if p.jobTimeout > 0 {
			cfg.JobTimeout = p.jobTimeout
		}
		if p.ttl > 0 {
			cfg.JobTTL = p.ttl
		}
		c := newTestClient(t, cfg)
		// A wait that RunPod's answers never end is stopped by the caller.
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		_, _, err := summarizeJob(ctx, c, prompt)
		mu.Lock()
		defer mu.Unlock()
		if seen == "" {
			t.Fatalf("%s: the server saw no prompt", p.name)
		}
		httpapitest.CheckEchoed(t, p.name, err, &logs, prompt, testKey)
	})
}
