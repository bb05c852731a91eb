package openai

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

// echoPaths are the ways a chat API (a validator, a proxy, the model) can send its
// input back in an error, each answering with echo, the prompt and the Authorization
// header as it would quote them; header is the request id header they send.
var echoPaths = []struct {
	name   string
	answer func(echo string) reply
}{
	{"400 message quoting the input", func(echo string) reply {
		return reply{code: 400, body: `{"error":{"message":` + quote("Invalid prompt: "+echo) + `,"type":"invalid_request_error","param":"messages","code":null}}`}
	}},
	{"400 code and type quoting the input", func(echo string) reply {
		return reply{code: 400, body: `{"error":{"message":"bad","type":` + quote(echo) + `,"code":` + quote(echo) + `}}`}
	}},
	{"422 pydantic detail", func(echo string) reply {
		return reply{code: 422, body: `{"detail":[{"type":"string_too_long","loc":["body","messages",0,"content"],"msg":"too long","input":` + quote(echo) + `}]}`}
	}},
	{"400 Ollama string", func(echo string) reply { return reply{code: 400, body: `{"error":` + quote("cannot read "+echo) + `}`} }},
	{"500 plain text, retried", func(echo string) reply { return reply{code: 500, body: "upstream failed on " + echo} }},
	{"200 error object", func(echo string) reply {
		return ok(`{"error":{"message":` + quote(echo) + `,"type":"BadRequestError","code":400}}`)
	}},
	{"200 vLLM top-level error", func(echo string) reply {
		return ok(`{"object":"error","message":` + quote("This model's maximum context length is 4096 tokens: "+echo) + `,"type":"BadRequestError","code":400}`)
	}},
	{"200 refusal quoting the input", func(echo string) reply {
		return ok(`{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":` + quote("I will not summarize "+echo) + `},"finish_reason":"stop"}]}`)
	}},
	{"200 garbled", func(echo string) reply { return ok("<html>" + echo) }},
	{"200 empty content, finish_reason quoting the input", func(echo string) reply { return ok(completion(`""`, strings.ReplaceAll(echo, "\"", ""))) }},
	{"request id quoting the input", func(echo string) reply {
		return reply{code: 503, body: `{}`, header: map[string]string{"X-Request-Id": strings.Join(strings.Fields(echo), " ")}}
	}},
}

// quote is s as a JSON string.
var quote = httpapitest.JSONString

// FuzzErrorsNeverQuoteThePrompt: whatever a chat API echoes of its input into an
// error (a validation message, an error code or type, a refusal, a garbled or non-2xx
// body, a header), no error Complete returns, and no log line it writes, holds a run of
// httpapitest.RunWords words of the prompt, or the API key. Only codes and our own
// words reach them.
func FuzzErrorsNeverQuoteThePrompt(f *testing.F) {
	httpapitest.FuzzEcho(f, len(echoPaths), func(t *testing.T, path int, prompt string) {
		p := echoPaths[path]
		var seen atomic.Bool
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			var req chatRequest
			_ = json.Unmarshal(body, &req)
			echo := r.Header.Get("Authorization")
			for _, m := range req.Messages {
				echo += " " + m.Content
				if m.Content == prompt {
					seen.Store(true)
				}
			}
			rep := p.answer(echo)
			for k, v := range rep.header {
				// A header cannot carry a newline or other controls.
				w.Header().Set(k, strings.Map(func(r rune) rune {
					if r < ' ' || r == 0x7f {
						return ' '
					}
					return r
				}, v))
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rep.code)
			_, _ = io.WriteString(w, rep.body)
		}))
		defer srv.Close()
		var logs httpapitest.LockedBuffer
		cfg := testConfig(t, srv.URL+"/v1")
		cfg.Logger = httpapitest.JSONLogger(&logs)
		c := newTestClient(t, cfg)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, err := c.Complete(ctx, prompt)
		if !seen.Load() {
			t.Fatalf("%s: the server never saw the prompt", p.name)
		}
		httpapitest.CheckEchoed(t, p.name, err, &logs, prompt, testKey)
	})
}
