package runpod

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

// TemplateData is what an InputTemplate is executed with.
type TemplateData struct {
	// Prompt is the model input. Insert it with {{json .Prompt}}, which writes it as a
	// quoted, escaped JSON string; a bare {{.Prompt}} is not escaped and fails New's
	// validation.
	Prompt string
	// MaxTokens is Config.MaxNewTokens, an integer: {{.MaxTokens}}.
	MaxTokens int
}

// templateFuncs are the functions an InputTemplate may call besides text/template's
// builtins: json writes its argument as JSON (strings quoted and escaped, no HTML
// escaping), so {{json .Prompt}} becomes "line one\nsaid \"hi\"".
var templateFuncs = template.FuncMap{"json": templateJSON}

// templateSample is the prompt New renders an InputTemplate with: quotes, backslashes,
// newlines, tabs, HTML, line separators, non-ASCII and a control character, so that a
// template that does not escape the prompt as a JSON string fails at startup, not on
// the first transcript.
const templateSample = "Transcript:\n\"Quoted\" and 'single', back\\slash\ttab\r\n" +
	"<b>&amp;</b> \u2028 résumé 要約 😀 \x01\nSummarize."

// errTemplate is an InputTemplate that does not parse or failed to render a prompt into
// a JSON object: a configuration fault, not a fault of the prompt.
type errTemplate struct{ err error }

func (e *errTemplate) Error() string { return "InputTemplate: " + e.err.Error() }
func (e *errTemplate) Unwrap() error { return e.err }

// templateJSON is the template func "json".
func templateJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// newTemplateInput parses src (the contents of the RUNPOD_INPUT_FORMAT file) and returns
// the builder that renders it. It renders templateSample once and fails unless the
// result is one JSON object holding the sample prompt, unchanged, in a string. secret is
// replaced in error messages.
func newTemplateInput(src, secret string) (inputBuilder, error) {
	redact := func(err error) error { return httpapi.RedactErr(err, secret) }
	tmpl, err := template.New("input").Funcs(templateFuncs).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, &errTemplate{redact(err)}
	}
	build := func(prompt string, maxNewTokens int) (any, error) {
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, TemplateData{Prompt: prompt, MaxTokens: maxNewTokens}); err != nil {
			return nil, &errTemplate{redact(err)}
		}
		out := bytes.TrimSpace(buf.Bytes())
		if !json.Valid(out) {
			var v any
			err := json.Unmarshal(out, &v) // for the position of the problem
			return nil, &errTemplate{redact(fmt.Errorf("does not render valid JSON (%v); insert the prompt with {{json .Prompt}}", err))}
		}
		if len(out) == 0 || out[0] != '{' {
			return nil, &errTemplate{errors.New("does not render a JSON object")}
		}
		return json.RawMessage(out), nil
	}
	raw, err := build(templateSample, SummaryTokensDefault)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw.(json.RawMessage), &v); err != nil {
		return nil, &errTemplate{err}
	}
	if !holdsString(v, templateSample, 0) {
		return nil, &errTemplate{errors.New("does not pass the prompt unchanged; insert it with {{json .Prompt}}")}
	}
	return build, nil
}

// holdsString reports whether a string in the decoded JSON value v contains s.
func holdsString(v any, s string, depth int) bool {
	if depth > maxOutputDepth {
		return false
	}
	switch v := v.(type) {
	case string:
		return strings.Contains(v, s)
	case []any:
		for _, item := range v {
			if holdsString(item, s, depth+1) {
				return true
			}
		}
	case map[string]any:
		for _, item := range v {
			if holdsString(item, s, depth+1) {
				return true
			}
		}
	}
	return false
}
