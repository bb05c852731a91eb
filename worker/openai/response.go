package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

// chatRequest is the body of POST /chat/completions.
type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	MaxTokens   int           `json:"max_tokens"`
	Temperature float64       `json:"temperature"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// chatResponse is the body of a chat completion, and of the error documents some
// servers send with it. Fields whose type varies between servers are decoded loosely.
type chatResponse struct {
	ID      json.RawMessage `json:"id"`
	Object  json.RawMessage `json:"object"`
	Model   json.RawMessage `json:"model"`
	Choices []chatChoice    `json:"choices"`
	Usage   json.RawMessage `json:"usage"`
	// Error is OpenAI's {"error":{"message","type","param","code"}}, or a string
	// (Ollama).
	Error json.RawMessage `json:"error"`
	// Message, Type and Code are vLLM's older top-level error document, with
	// "object":"error".
	Message json.RawMessage `json:"message"`
	Type    json.RawMessage `json:"type"`
	Code    json.RawMessage `json:"code"`
}

type chatChoice struct {
	Message struct {
		Content json.RawMessage `json:"content"`
		Refusal json.RawMessage `json:"refusal"`
	} `json:"message"`
	// Text is the legacy completions shape, which some proxies return.
	Text         json.RawMessage `json:"text"`
	FinishReason json.RawMessage `json:"finish_reason"`
}

// apiError is an error document's fields.
type apiError struct {
	message, typ, code string
}

func (e apiError) empty() bool { return e.message == "" && e.typ == "" && e.code == "" }

// parseAPIError reads the error document of body, if any: {"error":{...}},
// {"error":"text"} or vLLM's {"object":"error","message":...}.
func parseAPIError(body []byte) apiError {
	var r chatResponse
	if json.Unmarshal(body, &r) != nil {
		return apiError{}
	}
	return r.apiError()
}

func (r *chatResponse) apiError() apiError {
	var e apiError
	raw := bytes.TrimSpace(r.Error)
	switch {
	case len(raw) > 0 && raw[0] == '{':
		var obj struct {
			Message json.RawMessage `json:"message"`
			Type    json.RawMessage `json:"type"`
			Code    json.RawMessage `json:"code"`
		}
		if json.Unmarshal(raw, &obj) == nil {
			e = apiError{message: scalar(obj.Message), typ: scalar(obj.Type), code: scalar(obj.Code)}
		}
	case len(raw) > 0:
		e.message = scalar(raw)
	}
	if e.empty() && scalar(r.Object) == "error" {
		e = apiError{message: scalar(r.Message), typ: scalar(r.Type), code: scalar(r.Code)}
		if e.empty() {
			e.message = "error object without details"
		}
	}
	return e
}

// scalar returns a JSON string's value or a number's text; "" for anything else.
func scalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// count returns a JSON number as a non-negative int, 0 for anything else.
func count(raw json.RawMessage) int {
	var f float64
	if json.Unmarshal(raw, &f) != nil || f < 0 || f > math.MaxInt32 {
		return 0
	}
	return int(f)
}

// parseResponse turns a 200 answer into a Result. The error, if any, is classified: an
// error document by its code and type, unparseable JSON as transient and retried, no
// choices or empty content as transient (ErrNoOutput), a refusal or a content filter
// stop with no content as permanent. The error keeps the document's code and type
// (httpapi.Code), never its message; none holds secret.
func parseResponse(body []byte, secret string) (Result, *Error) {
	fail := func(r httpapi.Rule, ae apiError, err error) *Error {
		return &Error{
			StatusCode: 200, Code: httpapi.Code(ae.code, secret), Type: httpapi.Code(ae.typ, secret),
			Err: redactErr(err, secret), kind: r.Kind, retry: r.Retry,
		}
	}
	var r chatResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return Result{}, fail(retried, apiError{}, fmt.Errorf("decode answer: %w", err))
	}
	if ae := r.apiError(); !ae.empty() {
		return Result{}, fail(classify(200, ae), ae, nil)
	}
	if len(r.Choices) == 0 {
		return Result{}, fail(transient, apiError{}, fmt.Errorf("%w: answer has no choices", ErrNoOutput))
	}
	res := Result{ID: scalar(r.ID), Model: scalar(r.Model)}
	var usage struct {
		PromptTokens     json.RawMessage `json:"prompt_tokens"`
		CompletionTokens json.RawMessage `json:"completion_tokens"`
	}
	if json.Unmarshal(r.Usage, &usage) == nil {
		res.PromptTokens, res.CompletionTokens = count(usage.PromptTokens), count(usage.CompletionTokens)
	}
	// The first choice with text wins (n is 1, but servers differ in what they pad).
	choice := r.Choices[0]
	for _, c := range r.Choices {
		if cleanText(choiceText(c)) != "" {
			choice = c
			break
		}
	}
	res.FinishReason = scalar(choice.FinishReason)
	res.Text = cleanText(choiceText(choice))
	if res.Text != "" {
		return res, nil
	}
	// The refusal's words are the model's and may quote the prompt: only the fact is kept.
	switch {
	case scalar(choice.Message.Refusal) != "":
		return Result{}, fail(permanent, apiError{code: "refusal"}, fmt.Errorf("%w: the model refused", ErrNoOutput))
	case res.FinishReason == "content_filter":
		return Result{}, fail(permanent, apiError{code: "content_filter"}, fmt.Errorf("%w: stopped by the content filter", ErrNoOutput))
	}
	return Result{}, fail(transient, apiError{},
		fmt.Errorf("%w: empty content (finish_reason %q)", ErrNoOutput, httpapi.Code(res.FinishReason, secret)))
}

// choiceText is a choice's message content, a string or a list of parts with "text"
// (concatenated), or else its legacy "text".
func choiceText(c chatChoice) string {
	raw := bytes.TrimSpace(c.Message.Content)
	if len(raw) > 0 && raw[0] == '[' {
		var parts []struct {
			Text json.RawMessage `json:"text"`
		}
		if json.Unmarshal(raw, &parts) == nil {
			var b strings.Builder
			for _, p := range parts {
				b.WriteString(scalar(p.Text))
			}
			return b.String()
		}
	}
	if len(raw) > 0 && raw[0] == '"' {
		return scalar(raw)
	}
	if raw := bytes.TrimSpace(c.Text); len(raw) > 0 && raw[0] == '"' {
		return scalar(raw)
	}
	return ""
}

// specialTokens are model control tokens removed from every completion.
var specialTokens = []string{
	"<pad>", "</s>", "<s>", "<|eot_id|>", "<|im_end|>", "<|endoftext|>", "<|end_of_text|>",
}

// cleanText removes specialTokens (also those formed by a removal, "<<pad>/s>") and
// trims whitespace.
func cleanText(s string) string { return httpapi.CleanText(s, specialTokens) }
