package openai

import (
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
// everywhere it can (bodies, error fields, headers), and asserts the key is in no error
// string and no log line.
func TestAPIKeyNeverLeaks(t *testing.T) {
	t.Parallel()
	// auth is what a careless proxy might send back: the whole header, or the bare key.
	auth := func(r *http.Request) string { return r.Header.Get("Authorization") }
	key := func(r *http.Request) string { return strings.TrimPrefix(auth(r), "Bearer ") }
	jsonString := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	type handler = func(w http.ResponseWriter, r *http.Request)
	cases := map[string]handler{}
	for _, code := range []int{200, 400, 401, 403, 404, 413, 422, 429, 500, 503} {
		cases[fmt.Sprintf("%d error document", code)] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0")
			w.Header().Set("X-Request-Id", "req-"+key(r))
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"error":{"message":%s,"type":%s,"code":%s}}`,
				jsonString("Incorrect API key provided: "+key(r)+" ("+auth(r)+")"), jsonString(key(r)), jsonString("x"+key(r)))
		}
		cases[fmt.Sprintf("%d plain body", code)] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(code)
			fmt.Fprint(w, "<html>denied for "+auth(r)+"</html>")
		}
	}
	cases["string error"] = func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"error":%s}`, jsonString("bad key "+key(r)))
	}
	cases["vLLM error"] = func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"object":"error","message":%s,"type":"BadRequestError","code":400}`, jsonString(auth(r)))
	}
	cases["refusal quoting the key"] = func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"choices":[{"message":{"content":null,"refusal":%s},"finish_reason":"stop"}]}`, jsonString("no, "+key(r)))
	}
	cases["empty content with the key as finish reason"] = func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, completion(`""`, key(r)))
	}
	cases["garbled 200"] = func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "{"+auth(r)) }
	cases["network error"] = httpapitest.HangUp
	cases["timeout"] = func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

	var logs httpapitest.LockedBuffer
	logger := httpapitest.JSONLogger(&logs)
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// KeyServer reads each request to its end, so it notices the client hanging
			// up and ends r's context (the "timeout" case waits for it).
			srv, sawKey := httpapitest.KeyServer(t, testKey, h)
			cfg := testConfig(t, srv.URL+"/v1")
			cfg.Timeout = 300 * time.Millisecond // the "timeout" case
			cfg.Logger = logger.With(zap.String("case", name), zap.Any("config", cfg))
			_, err := newTestClient(t, cfg).Complete(t.Context(), "prompt")
			httpapitest.CheckErrNoKey(t, err, testKey)
			if !sawKey() {
				t.Error("server never saw the Authorization header")
			}
		})
	}
	httpapitest.CheckLogsAtEnd(t, &logs, testKey, "retrying openai request")
}

func TestConfigAndClientRedactKey(t *testing.T) {
	t.Parallel()
	cfg := Config{BaseURL: "https://user:pw@api.openai.com/v1", APIKey: testKey, Model: "gpt-4o-mini"}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := httpapitest.CheckRedacted(t, []string{testKey, ":pw@"}, cfg, c, cfg, &cfg, c, *c)
	if !strings.Contains(out[0], "api.openai.com/v1") || !strings.Contains(out[0], httpapi.Redacted) {
		t.Errorf("String() = %s, want base URL and redaction marker", out[0])
	}
}
