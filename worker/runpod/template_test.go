package runpod

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

// trickyPrompt has everything a naive template would break on.
const trickyPrompt = "He said \"ship it\" \\ then\nleft\t<b>&</b> résumé 要約 😀 \x02 {{.Prompt}}"

func TestTemplateInputFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		format    string // InputFormat; empty with a template implies "template"
		tmpl      string
		wantInput map[string]any
	}{
		{
			name:   "documented example",
			format: InputFormatTemplate,
			tmpl:   `{"prompt": {{json .Prompt}}, "max_new_tokens": {{.MaxTokens}}, "temperature": 0}`,
			wantInput: map[string]any{
				"prompt": trickyPrompt, "max_new_tokens": float64(64), "temperature": float64(0),
			},
		},
		{
			name: "format implied, multi-line file with nesting and json of a number",
			tmpl: "\n{\n  \"messages\": [{\"role\": \"user\", \"content\": {{json .Prompt}}}],\n" +
				"  \"sampling_params\": {\"max_tokens\": {{json .MaxTokens}}, \"stop\": [\"</s>\"]}\n}\n",
			wantInput: map[string]any{
				"messages":        []any{map[string]any{"role": "user", "content": trickyPrompt}},
				"sampling_params": map[string]any{"max_tokens": float64(64), "stop": []any{"</s>"}},
			},
		},
		{
			name:   "prompt wrapped in an instruction with printf",
			format: InputFormatTemplate,
			tmpl:   `{"text": {{json (printf "Summarize:\n%s" .Prompt)}}, "max_new_tokens": {{.MaxTokens}}}`,
			wantInput: map[string]any{
				"text": "Summarize:\n" + trickyPrompt, "max_new_tokens": float64(64),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := (&fakeRunPod{}).start(t)
			cfg := testConfig(t, f.url())
			cfg.InputFormat = tt.format
			cfg.InputTemplate = tt.tmpl
			cfg.MaxNewTokens = 64
			c := newTestClient(t, cfg)
			if c.cfg.InputFormat != InputFormatTemplate {
				t.Errorf("InputFormat = %q, want template", c.cfg.InputFormat)
			}
			res, _, err := summarizeJob(t.Context(), c, trickyPrompt)
			if err != nil || res.Text != "ok" {
				t.Fatalf("Summarize = %+v, %v", res, err)
			}
			reqs, _, _ := f.snapshot()
			if len(reqs) == 0 || reqs[0].path != "/v2/endpoint-x/run" {
				t.Fatalf("requests = %+v", reqs)
			}
			if strings.Contains(string(reqs[0].body), `\u003c`) || strings.ContainsAny(string(reqs[0].body), "\n") {
				t.Errorf("body %s is HTML-escaped or not compact", reqs[0].body)
			}
			body := httpapitest.DecodeJSON(t, reqs[0].body)
			want := map[string]any{
				"input":  tt.wantInput,
				"policy": map[string]any{"executionTimeout": float64(10000), "ttl": float64(120000)},
			}
			if !reflect.DeepEqual(body, want) {
				t.Errorf("run body = %v, want %v", body, want)
			}
		})
	}
}

func TestTemplateValidation(t *testing.T) {
	t.Parallel()
	const url = "https://api.runpod.ai/v2/abc123"
	tests := []struct {
		name   string
		format string
		tmpl   string
		want   string // substring of New's error
	}{
		{name: "missing template", format: InputFormatTemplate, want: "InputTemplate is required"},
		{name: "does not parse", format: InputFormatTemplate, tmpl: `{"prompt": {{json .Prompt}`, want: "InputTemplate: template: input:1"},
		{name: "unknown function", format: InputFormatTemplate, tmpl: `{"prompt": {{toJSON .Prompt}}}`, want: `function "toJSON" not defined`},
		{name: "unknown field", format: InputFormatTemplate, tmpl: `{"prompt": {{json .Text}}}`, want: "can't evaluate field Text"},
		{name: "bare prompt in quotes", format: InputFormatTemplate, tmpl: `{"prompt": "{{.Prompt}}"}`, want: "does not render valid JSON"},
		{name: "go-quoted prompt", format: InputFormatTemplate, tmpl: `{"prompt": {{printf "%q" .Prompt}}}`, want: "does not render valid JSON"},
		{name: "js-escaped prompt", format: InputFormatTemplate, tmpl: `{"prompt": "{{js .Prompt}}"}`, want: "InputTemplate"},
		{name: "html-escaped prompt", format: InputFormatTemplate, tmpl: `{"prompt": {{json (html .Prompt)}}}`, want: "does not pass the prompt unchanged"},
		{name: "prompt not used", format: InputFormatTemplate, tmpl: `{"prompt": "fixed", "max_new_tokens": {{.MaxTokens}}}`, want: "does not pass the prompt unchanged"},
		{name: "array", format: InputFormatTemplate, tmpl: `[{{json .Prompt}}]`, want: "does not render a JSON object"},
		{name: "bare string", format: InputFormatTemplate, tmpl: `{{json .Prompt}}`, want: "does not render a JSON object"},
		{name: "two objects", format: InputFormatTemplate, tmpl: `{"p": {{json .Prompt}}} {}`, want: "does not render valid JSON"},
		{name: "empty render", format: InputFormatTemplate, tmpl: `{{/* nothing */}}`, want: "does not render valid JSON"},
		{name: "template with text format", format: InputFormatText, tmpl: `{"p": {{json .Prompt}}}`, want: `InputTemplate is set but InputFormat is "text"`},
		{name: "unknown format lists template", format: "xml", want: `is not one of text, vllm, template`},
		{name: "key in template is redacted", format: InputFormatTemplate, tmpl: `{"p": {{json .Prompt}}, "k": {{template "` + testKey + `"}}}`, want: "[REDACTED]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{EndpointURL: url, APIKey: testKey, InputFormat: tt.format, InputTemplate: tt.tmpl}
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error %q quotes the API key", err)
			}
			if _, err := New(cfg); err == nil {
				t.Error("New accepted an invalid template")
			}
		})
	}
}

// TestTemplateRenderFailureIsConfigFault: a template that validated but cannot render a
// particular prompt sends nothing and blames the configuration, not the prompt.
func TestTemplateRenderFailureIsConfigFault(t *testing.T) {
	t.Parallel()
	f := (&fakeRunPod{}).start(t)
	cfg := testConfig(t, f.url())
	cfg.InputTemplate = `{{if eq .Prompt "boom"}}not json{{else}}{"prompt": {{json .Prompt}}}{{end}}`
	c := newTestClient(t, cfg)
	_, err := c.Submit(t.Context(), "boom")
	if errClass(err) != "config" {
		t.Fatalf("err = %v, want a ConfigFault", err)
	}
	var te *errTemplate
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "InputTemplate") {
		t.Errorf("err = %v, want it to name the InputTemplate", err)
	}
	if _, err := c.Submit(t.Context(), "boom"); errClass(err) != "config" {
		t.Errorf("Submit err = %v, want a ConfigFault", err)
	}
	if reqs, _, _ := f.snapshot(); len(reqs) != 0 {
		t.Errorf("%d requests sent, want none", len(reqs))
	}
	if _, _, err := summarizeJob(t.Context(), c, "fine"); err != nil {
		t.Errorf("Summarize(fine) = %v", err)
	}
}

func TestTemplateJSONFunc(t *testing.T) {
	t.Parallel()
	for in, want := range map[any]string{
		"a\"b\n<&>": `"a\"b\n<&>"`,
		42:          `42`,
		"\u2028":    `"\u2028"`,
	} {
		if got, err := templateJSON(in); err != nil || got != want {
			t.Errorf("templateJSON(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := templateJSON(make(chan int)); err == nil {
		t.Error("templateJSON(chan) succeeded")
	}
}

// FuzzTemplateInput: whatever the transcript, the documented template renders one JSON
// object that carries it unchanged (invalid UTF-8 bytes become U+FFFD, as encoding/json
// does).
func FuzzTemplateInput(f *testing.F) {
	for _, s := range []string{"", "plain", trickyPrompt, templateSample, "\u2028\u2029", "\xff\xfe", `"}`, "{{json .Prompt}}", "\\u0000"} {
		f.Add(s)
	}
	build, err := newTemplateInput(`{"prompt": {{json .Prompt}}, "max_new_tokens": {{.MaxTokens}}, "temperature": 0}`, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, prompt string) {
		v, err := build(prompt, 7)
		if err != nil {
			t.Fatalf("build(%q): %v", prompt, err)
		}
		var got struct {
			Prompt    string  `json:"prompt"`
			MaxTokens int     `json:"max_new_tokens"`
			Temp      float64 `json:"temperature"`
		}
		if err := json.Unmarshal(v.(json.RawMessage), &got); err != nil {
			t.Fatalf("render of %q is not an object: %v", prompt, err)
		}
		if want := string([]rune(prompt)); got.Prompt != want || got.MaxTokens != 7 {
			t.Fatalf("rendered %+v, want prompt %q", got, want)
		}
	})
}
