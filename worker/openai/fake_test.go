package openai

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

// testKey is the API key of every test client; tests assert it never leaks.
const testKey = "sk-LEAKCHECK-9d1e6b2a7f"

// reply is one scripted HTTP answer of the fake API.
type reply struct {
	code   int
	body   string
	header map[string]string
	// hang, if set, makes the handler wait for the request's context to end.
	hang bool
}

func ok(body string) reply { return reply{code: http.StatusOK, body: body} }

// completion is a chat.completion document with content (a JSON value) and finish.
func completion(content, finish string) string {
	return `{"id":"chatcmpl-123","object":"chat.completion","created":1730000000,"model":"served-model",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":` + content + `},"logprobs":null,"finish_reason":"` + finish + `"}],` +
		`"usage":{"prompt_tokens":57,"completion_tokens":12,"total_tokens":69}}`
}

// apiErr answers status c with OpenAI's error document.
func apiErr(c int, message, typ, code string) reply {
	codeJSON := "null"
	if code != "" {
		codeJSON = fmt.Sprintf("%q", code)
	}
	return reply{code: c, body: fmt.Sprintf(`{"error":{"message":%q,"type":%q,"param":null,"code":%s}}`, message, typ, codeJSON)}
}

// recorded is one request the fake received.
type recorded struct {
	method, path, auth, contentType string
	body                            []byte
}

// fakeAPI speaks the chat-completions wire format with scripted answers: the n-th
// request (1-based) gets replies[min(n, len)-1], so the last reply repeats.
type fakeAPI struct {
	replies []reply

	srv  *httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func (f *fakeAPI) start(t *testing.T) *fakeAPI {
	t.Helper()
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// url is the base URL, with a trailing slash to exercise its trimming.
func (f *fakeAPI) url() string { return f.srv.URL + "/v1/" }

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body})
	n := len(f.reqs)
	rep := ok(completion(`"ok"`, "stop"))
	if len(f.replies) > 0 {
		rep = f.replies[min(n, len(f.replies))-1]
	}
	f.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	if rep.hang {
		<-r.Context().Done()
		return
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", fmt.Sprintf("req_%d", n))
	w.WriteHeader(rep.code)
	_, _ = io.WriteString(w, rep.body)
}

func (f *fakeAPI) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// testConfig is a Config with small intervals for url.
func testConfig(t *testing.T, url string) Config {
	return Config{
		BaseURL:      url,
		APIKey:       testKey,
		Model:        "test-model",
		Timeout:      10 * time.Second,
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

// errClass names the one true behaviour of err for table tests.
func errClass(err error) string { return httpapitest.ErrClass[*Error](err) }
