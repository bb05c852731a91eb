package emulator

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want request
		err  bool
	}{
		{name: "text", body: `{"input":{"text":"hi","max_new_tokens":12}}`,
			want: request{format: FormatText, prompt: "hi", maxTokens: 12}},
		{name: "vllm", body: `{"input":{"prompt":"hi","sampling_params":{"max_tokens":7,"temperature":0}},"policy":{"executionTimeout":900000,"ttl":1000}}`,
			want: request{format: FormatVLLM, prompt: "hi", maxTokens: 7, executionTimeout: 15 * time.Minute, ttl: time.Second}},
		{name: "chat", body: `{"input":{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"a"},{"role":"assistant","content":null},{"role":"user","content":[{"type":"text","text":"b"},{"type":"image_url","image_url":{}}]}]}}`,
			want: request{format: FormatChat, prompt: "a\n\nb", maxTokens: MaxTokensDefault}},
		{name: "chat without user", body: `{"input":{"messages":[{"role":"system","content":"only"}],"max_tokens":3}}`,
			want: request{format: FormatChat, prompt: "only", maxTokens: 3}},
		{name: "budget clamps", body: `{"input":{"text":"","max_new_tokens":1e300}}`,
			want: request{format: FormatText, maxTokens: maxTokensCap}},
		{name: "negative budget", body: `{"input":{"text":"x","max_new_tokens":-4}}`,
			want: request{format: FormatText, prompt: "x", maxTokens: MaxTokensDefault}},
		{name: "text wins", body: `{"input":{"text":"t","prompt":"p"}}`,
			want: request{format: FormatText, prompt: "t", maxTokens: MaxTokensDefault}},
		{name: "empty", body: ``, err: true},
		{name: "trailing garbage", body: `{"input":{"text":"x"}} x`, err: true},
		{name: "no input", body: `{}`, err: true},
		{name: "input array", body: `{"input":[]}`, err: true},
		{name: "nothing usable", body: `{"input":{"messages":[]}}`, err: true},
		{name: "bad content", body: `{"input":{"messages":[{"role":"user","content":5}]}}`, err: true},
		{name: "bad policy", body: `{"input":{"text":"x"},"policy":"soon"}`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseRequest([]byte(tt.body))
			if tt.err {
				if err == nil || !errors.Is(err, errBadInput) {
					t.Fatalf("err = %v, want a bad-input error", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestStripInstruction(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 31) + "summary"
	tests := []struct {
		name, in, want string
	}{
		{"before and after", "Summarize the following transcript.\n\nAlice: hi.\nBob: yo.\n\nSummary:", "Alice: hi.\nBob: yo."},
		{"case and spacing", "Briefly SUMMARISE that dialogue.\n \t\nText one.\n\n\nText two.", "Text one.\n\nText two."},
		{"long paragraph kept", long + "\n\nShort.", long + "\n\nShort."},
		{"nothing else left", "Please summarize.", "Please summarize."},
		{"no instruction", "Just text.", "Just text."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := stripInstruction(tt.in); got != tt.want {
				t.Errorf("stripInstruction(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseInput(f *testing.F) {
	for _, s := range []string{
		`{"input":{"text":"Summarize.\n\nAlice: hi","max_new_tokens":16}}`,
		`{"input":{"prompt":"p","sampling_params":{"max_tokens":-1}},"policy":{"executionTimeout":1e30,"ttl":-5}}`,
		`{"input":{"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}}`,
		`{"input":{"messages":[{"role":"user","content":{"a":1}}]}}`,
		`{"input":null}`, `{"input":{}}`, `[]`, `null`, ``, `{"input":{"text":"\ud800"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseRequest(body)
		if err != nil {
			if !errors.Is(err, errBadInput) {
				t.Fatalf("error %v does not wrap errBadInput", err)
			}
			return
		}
		switch req.format {
		case FormatText, FormatVLLM, FormatChat:
		default:
			t.Fatalf("format %q", req.format)
		}
		if req.maxTokens < 1 || req.maxTokens > maxTokensCap || req.executionTimeout < 0 || req.ttl < 0 {
			t.Fatalf("request %+v out of range", req)
		}
		_ = stripInstruction(req.prompt)
		_ = renderOutput(OutputShapeVLLM, req.prompt, estimateTokens(req.prompt))
	})
}
