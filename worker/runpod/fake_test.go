package runpod

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

// testKey is the API key of every test client; tests assert it never leaks.
const testKey = "rpa_LEAKCHECK_4f2a9c7e1b"

// reply is one scripted HTTP answer of the fake RunPod.
type reply struct {
	code   int
	body   string
	header map[string]string
}

func ok(body string) reply { return reply{code: http.StatusOK, body: body} }

// code answers status code c with a small JSON error body naming an error code.
func code(c int) reply {
	return reply{code: c, body: fmt.Sprintf(`{"error":"fake_%d"}`, c)}
}

// statusBody is a /status document.
func statusBody(id, status, output string) string {
	if output == "" {
		return fmt.Sprintf(`{"id":%q,"status":%q}`, id, status)
	}
	return fmt.Sprintf(`{"id":%q,"status":%q,"delayTime":1234,"executionTime":567.5,"output":%s}`, id, status, output)
}

// recorded is one request the fake received.
type recorded struct {
	method, path, auth, contentType string
	body                            []byte
}

// fakeRunPod speaks RunPod's serverless wire format with scripted answers. Hooks are set
// before start and read-only afterwards.
type fakeRunPod struct {
	// run answers the n-th POST /run (1-based). Default: a new job "job-n" IN_QUEUE.
	run func(n int) reply
	// status answers the n-th GET /status of job id (1-based). Default: COMPLETED.
	status func(id string, n int) reply
	// cancel answers POST /cancel/{id}. Default: 200 CANCELLED.
	cancel func(id string) reply
	// health answers GET /health. Default: an idle endpoint.
	health func(n int) reply
	// statusHook, if set, runs before each /status answer.
	statusHook func(id string, n int)

	srv *httptest.Server

	mu      sync.Mutex
	reqs    []recorded
	runs    int
	healths int
	polls   map[string]int
	cancels []string
}

func (f *fakeRunPod) start(t *testing.T) *fakeRunPod {
	t.Helper()
	f.polls = map[string]int{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// url is the endpoint URL, with a trailing slash to exercise its trimming.
func (f *fakeRunPod) url() string { return f.srv.URL + "/v2/endpoint-x/" }

func (f *fakeRunPod) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body})
	path := strings.TrimPrefix(r.URL.Path, "/v2/endpoint-x")
	var rep reply
	var hook func()
	switch {
	case r.Method == http.MethodPost && path == "/run":
		f.runs++
		n := f.runs
		rep = ok(fmt.Sprintf(`{"id":"job-%d","status":"IN_QUEUE"}`, n))
		if f.run != nil {
			rep = f.run(n)
		}
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/status/"):
		id := strings.TrimPrefix(path, "/status/")
		f.polls[id]++
		n := f.polls[id]
		rep = ok(statusBody(id, StatusCompleted, `"ok"`))
		if f.status != nil {
			rep = f.status(id, n)
		}
		if f.statusHook != nil {
			hook = func() { f.statusHook(id, n) }
		}
	case r.Method == http.MethodPost && strings.HasPrefix(path, "/cancel/"):
		id := strings.TrimPrefix(path, "/cancel/")
		f.cancels = append(f.cancels, id)
		rep = ok(fmt.Sprintf(`{"id":%q,"status":"CANCELLED"}`, id))
		if f.cancel != nil {
			rep = f.cancel(id)
		}
	case r.Method == http.MethodGet && path == "/health":
		f.healths++
		rep = ok(`{"jobs":{"completed":10,"failed":1,"inProgress":2,"inQueue":3,"retried":4},"workers":{"idle":1,"running":2,"initializing":1,"ready":1,"throttled":0,"unhealthy":0}}`)
		if f.health != nil {
			rep = f.health(f.healths)
		}
	default:
		rep = reply{code: http.StatusNotFound, body: `{"error":"no route"}`}
	}
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.code)
	_, _ = io.WriteString(w, rep.body)
}

func (f *fakeRunPod) snapshot() (reqs []recorded, runs int, cancels []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...), f.runs, append([]string(nil), f.cancels...)
}

func (f *fakeRunPod) pollCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.polls {
		n += c
	}
	return n
}

// jobLog collects OnJob reports.
type jobLog struct {
	mu       sync.Mutex
	statuses []string
}

func (j *jobLog) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.statuses = append(j.statuses, s)
}

func (j *jobLog) get() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.statuses...)
}

// testConfig is a Config with small intervals for url.
func testConfig(t *testing.T, url string) Config {
	return Config{
		EndpointURL:  url,
		APIKey:       testKey,
		JobTimeout:   10 * time.Second,
		JobTTL:       2 * time.Minute,
		PollInitial:  2 * time.Millisecond,
		PollMax:      20 * time.Millisecond,
		MaxAttempts:  3,
		RetryInitial: time.Millisecond,
		RetryMax:     20 * time.Millisecond,
		Logger:       zaptest.NewLogger(t),
	}
}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	return httpapitest.NewClient(t, New, cfg)
}

// asError returns err as *Error or fails the test.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	return httpapitest.As[*Error](t, err)
}

// errClass names the one true behaviour of err for table tests (see
// httpapitest.ErrClass), "expired" for a temporary error IsExpired.
func errClass(err error) string {
	if class := httpapitest.ErrClass[*Error](err); class != "temporary" || !IsExpired(err) {
		return class
	}
	return "expired"
}
