package runpod

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// outputCases is every output shape ExtractOutput knows, and the ones it refuses. It is
// both a table test and the seed corpus of FuzzExtractOutput.
var outputCases = []struct {
	name    string
	raw     string
	want    string
	wantErr bool
}{
	{name: "string", raw: `"A summary."`, want: "A summary."},
	{name: "string with pad and eos", raw: `"<pad> A summary. </s><pad>"`, want: "A summary."},
	{name: "bos and eos", raw: `"<s>Hi</s>"`, want: "Hi"},
	{name: "nested special tokens", raw: `"<<pad>/s>x<</s>pad>"`, want: "x"},
	{name: "chat end tokens", raw: `"answer<|im_end|><|endoftext|>"`, want: "answer"},
	{name: "unicode", raw: `"résumé ✓ 要約"`, want: "résumé ✓ 要約"},
	{name: "summary field", raw: `{"summary":"s"}`, want: "s"},
	{name: "text field", raw: `{"text":"t"}`, want: "t"},
	{name: "output field", raw: `{"output":"o"}`, want: "o"},
	{name: "generated_text field", raw: `{"generated_text":"g"}`, want: "g"},
	{name: "response field", raw: `{"response":"r"}`, want: "r"},
	{name: "result field", raw: `{"result":"r2"}`, want: "r2"},
	{name: "content field", raw: `{"content":"c"}`, want: "c"},
	{name: "empty field falls through", raw: `{"summary":"","text":"fallback"}`, want: "fallback"},
	{name: "null field falls through", raw: `{"summary":null,"output":{"text":"deep"}}`, want: "deep"},
	{name: "nested object", raw: `{"output":{"result":{"summary":"very deep"}}}`, want: "very deep"},
	{name: "nested list", raw: `{"output":[{"generated_text":"x"}]}`, want: "x"},
	{name: "list of strings", raw: `["first","<pad>","second"]`, want: "first\nsecond"},
	{name: "HF summarization", raw: `[{"summary_text":"hf summary"}]`, want: "hf summary"},
	{name: "HF generation", raw: `[{"generated_text":"hf text"}]`, want: "hf text"},
	{name: "first usable element", raw: `[null,{"x":1},{"text":""},{"text":"third"}]`, want: "third"},
	{name: "worker-vllm tokens", raw: `[{"choices":[{"tokens":["The meet","ing"," ended."]}],"usage":{"input":10,"output":3}}]`, want: "The meeting ended."},
	{name: "worker-vllm batches", raw: `[{"choices":[{"tokens":["Hel"]}]},{"choices":[{"tokens":["lo</s>"]}]}]`, want: "Hello"},
	{name: "worker-vllm object", raw: `{"choices":[{"tokens":["a","b"]}]}`, want: "ab"},
	{name: "OpenAI chat", raw: `{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"chat"}}]}`, want: "chat"},
	{name: "OpenAI content parts", raw: `{"choices":[{"message":{"content":[{"type":"text","text":"part"}]}}]}`, want: "part"},
	{name: "OpenAI completion", raw: `{"choices":[{"text":" completion "}]}`, want: "completion"},
	{name: "OpenAI stream chunks", raw: `[{"choices":[{"delta":{"content":"Hi "}}]},{"choices":[{"delta":{"content":"there"}}]}]`, want: "Hi there"},
	{name: "OpenAI in list", raw: `[{"choices":[{"message":{"content":"listed"}}]}]`, want: "listed"},
	{name: "null", raw: `null`, wantErr: true},
	{name: "missing", raw: ``, wantErr: true},
	{name: "empty string", raw: `""`, wantErr: true},
	{name: "only tokens", raw: `"<pad></s> "`, wantErr: true},
	{name: "empty object", raw: `{}`, wantErr: true},
	{name: "empty list", raw: `[]`, wantErr: true},
	{name: "number", raw: `42`, wantErr: true},
	{name: "bool", raw: `true`, wantErr: true},
	{name: "unknown fields", raw: `{"foo":"bar","baz":[1]}`, wantErr: true},
	{name: "no choices", raw: `[{"choices":[],"usage":{}}]`, wantErr: true},
	{name: "non-string tokens", raw: `{"choices":[{"tokens":[1,2]}]}`, wantErr: true},
	{name: "invalid JSON", raw: `{"summary":`, wantErr: true},
}

func TestExtractOutput(t *testing.T) {
	t.Parallel()
	for _, tt := range outputCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ExtractOutput([]byte(tt.raw))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ExtractOutput(%s) = %q, want error", tt.raw, got)
				}
				if got != "" {
					t.Errorf("result %q with error", got)
				}
				if tt.name != "invalid JSON" && !errors.Is(err, ErrNoOutput) {
					t.Errorf("err %v does not wrap ErrNoOutput", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ExtractOutput(%s) = %q, %v; want %q", tt.raw, got, err, tt.want)
			}
		})
	}
}

func TestExtractOutputErrorsNameTheShape(t *testing.T) {
	t.Parallel()
	_, err := ExtractOutput([]byte(`{"foo":"secret text","bar":1}`))
	if !errors.Is(err, ErrNoOutput) || !strings.Contains(err.Error(), `{"bar","foo"}`) || strings.Contains(err.Error(), "secret text") {
		t.Errorf("err = %v, want the shape without the text", err)
	}
}

func TestExtractOutputDeepNesting(t *testing.T) {
	t.Parallel()
	raw := strings.Repeat(`{"output":`, 200) + `"deep"` + strings.Repeat(`}`, 200)
	if _, err := ExtractOutput([]byte(raw)); !errors.Is(err, ErrNoOutput) {
		t.Errorf("err = %v, want ErrNoOutput beyond the depth limit", err)
	}
}

func FuzzExtractOutput(f *testing.F) {
	for _, tt := range outputCases {
		f.Add([]byte(tt.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := ExtractOutput(raw)
		if err != nil {
			if got != "" {
				t.Fatalf("result %q with error %v", got, err)
			}
			return
		}
		if got == "" || got != strings.TrimSpace(got) {
			t.Fatalf("result %q is empty or untrimmed", got)
		}
		for _, tok := range []string{"<pad>", "</s>", "<s>"} {
			if strings.Contains(got, tok) {
				t.Fatalf("result %q contains %s", got, tok)
			}
		}
		if utf8.Valid(raw) && !utf8.ValidString(got) {
			t.Fatalf("result %q is not valid UTF-8", got)
		}
	})
}

func TestCleanText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{" <pad>a<pad> ", "a"},
		{"<<<pad>pad>pad>b", "b"},
		{"a < b > c", "a < b > c"},
		{"<pa</s>d>", ""},
		{"x</s", "x</s"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
