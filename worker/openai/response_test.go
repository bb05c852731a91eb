package openai

import (
	"errors"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

// responseCases are 200 answers of real servers and proxies; they are both a table test
// and the seed corpus of FuzzParseResponse. wantClass is "ok", "permanent", "config",
// "temporary" or "retried" (temporary and retried inside the client).
var responseCases = []struct {
	name      string
	body      string
	want      Result
	wantClass string
}{
	{name: "openai", body: completion(`"A summary."`, "stop"), wantClass: "ok",
		want: Result{Text: "A summary.", Model: "served-model", PromptTokens: 57, CompletionTokens: 12, FinishReason: "stop", ID: "chatcmpl-123"}},
	{name: "special tokens", body: completion(`"<pad> Llama says hi.<|eot_id|>"`, "stop"), wantClass: "ok",
		want: Result{Text: "Llama says hi.", Model: "served-model", PromptTokens: 57, CompletionTokens: 12, FinishReason: "stop", ID: "chatcmpl-123"}},
	{name: "qwen end and eos", body: completion(`"Qwen says hi.<|im_end|></s>"`, "length"), wantClass: "ok",
		want: Result{Text: "Qwen says hi.", Model: "served-model", PromptTokens: 57, CompletionTokens: 12, FinishReason: "length", ID: "chatcmpl-123"}},
	{name: "nested tokens", body: completion(`"<<pad>/s>x<</s>pad>"`, "stop"), wantClass: "ok",
		want: Result{Text: "x", Model: "served-model", PromptTokens: 57, CompletionTokens: 12, FinishReason: "stop", ID: "chatcmpl-123"}},
	{name: "ollama minimal", body: `{"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"llama3.2","system_fingerprint":"fp_ollama",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"Short."},"finish_reason":"stop"}],"usage":{"prompt_tokens":26,"completion_tokens":3,"total_tokens":29}}`,
		wantClass: "ok", want: Result{Text: "Short.", Model: "llama3.2", PromptTokens: 26, CompletionTokens: 3, FinishReason: "stop", ID: "chatcmpl-9"}},
	{name: "no usage, null finish", body: `{"choices":[{"message":{"content":"bare"},"finish_reason":null}]}`, wantClass: "ok", want: Result{Text: "bare"}},
	{name: "odd usage ignored", body: `{"id":7,"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":"many","completion_tokens":-3}}`,
		wantClass: "ok", want: Result{Text: "x", ID: "7"}},
	{name: "content parts", body: `{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"image_url"},{"type":"text","text":"b"}]}}]}`,
		wantClass: "ok", want: Result{Text: "ab"}},
	{name: "legacy text choice", body: `{"object":"text_completion","choices":[{"text":" legacy ","finish_reason":"stop"}]}`, wantClass: "ok",
		want: Result{Text: "legacy", FinishReason: "stop"}},
	{name: "first choice empty, second used", body: `{"choices":[{"message":{"content":""},"finish_reason":"stop"},{"message":{"content":"two"},"finish_reason":"length"}]}`,
		wantClass: "ok", want: Result{Text: "two", FinishReason: "length"}},
	{name: "unicode", body: completion(`"résumé ✓ 要約 \u2028"`, "stop"), wantClass: "ok",
		want: Result{Text: "résumé ✓ 要約", Model: "served-model", PromptTokens: 57, CompletionTokens: 12, FinishReason: "stop", ID: "chatcmpl-123"}},
	{name: "null error field is no error", body: `{"error":null,"choices":[{"message":{"content":"y"}}]}`, wantClass: "ok", want: Result{Text: "y"}},
	{name: "empty error object is no error", body: `{"error":{},"choices":[{"message":{"content":"y"}}]}`, wantClass: "ok", want: Result{Text: "y"}},
	{name: "no choices", body: `{"id":"x","object":"chat.completion","choices":[]}`, wantClass: "temporary"},
	{name: "choices missing", body: `{}`, wantClass: "temporary"},
	{name: "null content", body: completion(`null`, "stop"), wantClass: "temporary"},
	{name: "reasoning only, cut short", body: `{"choices":[{"message":{"content":null,"reasoning_content":"hmm"},"finish_reason":"length"}]}`, wantClass: "temporary"},
	{name: "refusal", body: `{"choices":[{"message":{"content":null,"refusal":"No."},"finish_reason":"stop"}]}`, wantClass: "permanent"},
	{name: "content filter", body: completion(`""`, "content_filter"), wantClass: "permanent"},
	{name: "openai error context", body: `{"error":{"message":"too long","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`, wantClass: "permanent"},
	{name: "openai error auth", body: `{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}`, wantClass: "config"},
	{name: "openai error rate", body: `{"error":{"message":"slow","type":"requests","code":"rate_limit_exceeded"}}`, wantClass: "retried"},
	{name: "vllm top level", body: `{"object":"error","message":"bad","type":"BadRequestError","param":null,"code":400}`, wantClass: "permanent"},
	{name: "vllm nested 404", body: `{"error":{"message":"The model does not exist.","type":"NotFoundError","param":"model","code":404}}`, wantClass: "config"},
	{name: "vllm top level without details", body: `{"object":"error"}`, wantClass: "retried"},
	{name: "ollama string", body: `{"error":"unexpected EOF"}`, wantClass: "retried"},
	{name: "garbled", body: `<html>502 Bad Gateway</html>`, wantClass: "retried"},
	{name: "truncated", body: `{"choices":[{"message":{"content":"cut`, wantClass: "retried"},
	{name: "wrong choices type", body: `{"choices":{"message":"x"}}`, wantClass: "retried"},
	{name: "array body", body: `[1,2]`, wantClass: "retried"},
	{name: "null body", body: `null`, wantClass: "temporary"},
}

func responseClass(e *Error) string {
	switch {
	case e == nil:
		return "ok"
	case e.kind == httpapi.Permanent:
		return "permanent"
	case e.kind == httpapi.Config:
		return "config"
	case e.retry:
		return "retried"
	default:
		return "temporary"
	}
}

func TestParseResponse(t *testing.T) {
	t.Parallel()
	for _, tt := range responseCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, e := parseResponse([]byte(tt.body), testKey)
			if got := responseClass(e); got != tt.wantClass {
				t.Fatalf("class = %s, want %s (err: %v)", got, tt.wantClass, e)
			}
			if e == nil && res != tt.want {
				t.Errorf("result = %+v, want %+v", res, tt.want)
			}
			if e != nil && e.StatusCode != 200 {
				t.Errorf("StatusCode = %d, want 200", e.StatusCode)
			}
			if e != nil && tt.wantClass == "temporary" && !errors.Is(e, ErrNoOutput) {
				t.Errorf("error %v does not wrap ErrNoOutput", e)
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":                           "plain",
		"  <pad>a</s>  ":                  "a",
		"<s>[INST] kept [/INST]</s>":      "[INST] kept [/INST]",
		"a<|eot_id|><|end_of_text|>":      "a",
		"x <|im_end|>\n<|endoftext|>":     "x",
		"<<|im_end|>|eot_id|>y":           "y",
		"keep <b>html</b> & a < b > c":    "keep <b>html</b> & a < b > c",
		"<pad><pad></s>":                  "",
		"<|eot_id|> only the tail  <pad>": "only the tail",
	} {
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	for _, tt := range responseCases {
		f.Add([]byte(tt.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, e := parseResponse(body, testKey)
		if e != nil {
			if res != (Result{}) {
				t.Fatalf("result %+v with error %v", res, e)
			}
			if e.kind != httpapi.Transient && e.kind != httpapi.Permanent && e.kind != httpapi.Config {
				t.Fatalf("error %v: kind %d", e, e.kind)
			}
			if e.retry && e.kind != httpapi.Transient {
				t.Fatalf("error %v is retried but not transient", e)
			}
			if msg := e.Error(); strings.Contains(msg, testKey) {
				t.Fatalf("error %q leaks the key", msg)
			}
			if e.Code != httpapi.Code(e.Code, testKey) || e.Type != httpapi.Code(e.Type, testKey) {
				t.Fatalf("error %v: code %q or type %q is not a code", e, e.Code, e.Type)
			}
			return
		}
		if res.Text == "" || res.Text != strings.TrimSpace(res.Text) {
			t.Fatalf("text %q is empty or untrimmed", res.Text)
		}
		for _, tok := range specialTokens {
			if strings.Contains(res.Text, tok) {
				t.Fatalf("text %q contains %s", res.Text, tok)
			}
		}
		if res.PromptTokens < 0 || res.CompletionTokens < 0 {
			t.Fatalf("negative usage %+v", res)
		}
	})
}
