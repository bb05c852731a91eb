package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// lockedBuffer is a concurrency-safe zap sink.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Sync() error { return nil }

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

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
	cases["network error"] = func(w http.ResponseWriter, r *http.Request) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			_ = conn.Close()
		}
	}
	cases["timeout"] = func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

	var logs lockedBuffer
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), &logs, zapcore.DebugLevel))
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			sawKey := false
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				sawKey = sawKey || auth(r) == "Bearer "+testKey
				mu.Unlock()
				// Read the request to its end, so that the server notices the client
				// hanging up and ends r's context (the "timeout" case waits for it).
				_, _ = io.Copy(io.Discard, r.Body)
				h(w, r)
			}))
			defer srv.Close()
			cfg := testConfig(t, srv.URL+"/v1")
			cfg.Timeout = 300 * time.Millisecond // the "timeout" case
			cfg.Logger = logger.With(zap.String("case", name), zap.Any("config", cfg))
			_, err := newTestClient(t, cfg).Complete(t.Context(), "prompt")
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range []string{err.Error(), fmt.Sprintf("%v %+v %#v %s %q", err, err, err, err, err)} {
				if strings.Contains(s, testKey) {
					t.Errorf("error leaks the key: %s", s)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if !sawKey {
				t.Error("server never saw the Authorization header")
			}
		})
	}
	t.Cleanup(func() {
		if out := logs.String(); strings.Contains(out, testKey) {
			t.Errorf("log output leaks the key:\n%s", out)
		} else if !strings.Contains(out, "retrying openai request") {
			t.Errorf("log output has no retry lines:\n%s", out)
		}
	})
}

func TestConfigAndClientRedactKey(t *testing.T) {
	t.Parallel()
	cfg := Config{BaseURL: "https://user:pw@api.openai.com/v1", APIKey: testKey, Model: "gpt-4o-mini"}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range []any{cfg, &cfg, c, *c} {
		out = append(out, fmt.Sprintf("%v|%+v|%#v|%s|%q", v, v, v, v, v))
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(js))
	var logs lockedBuffer
	zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), &logs, zapcore.DebugLevel)).
		Info("config", zap.Any("config", cfg), zap.Stringer("client", c), zap.Any("client_any", c))
	out = append(out, logs.String())
	var slogBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&slogBuf, nil)).Info("config", "config", cfg)
	out = append(out, slogBuf.String())
	for _, s := range out {
		if strings.Contains(s, testKey) || strings.Contains(s, ":pw@") {
			t.Errorf("output leaks a secret: %s", s)
		}
	}
	if !strings.Contains(out[0], "api.openai.com/v1") || !strings.Contains(out[0], redactedKey) {
		t.Errorf("String() = %s, want base URL and redaction marker", out[0])
	}
}
