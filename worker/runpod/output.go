package runpod

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

// textKeys are the object fields that may hold a worker's text, most specific first.
// Their values may be strings or, recursively, any shape ExtractOutput accepts.
var textKeys = []string{
	"summary", "summary_text", "generated_text", "text", "output", "response", "result", "content",
}

// specialTokens are model control tokens removed from every output.
var specialTokens = []string{"<pad>", "</s>", "<s>", "<|endoftext|>", "<|im_end|>", "<|eot_id|>"}

// maxOutputDepth bounds the nesting ExtractOutput follows.
const maxOutputDepth = 64

// ExtractOutput returns the text of a RunPod job's "output", cleaned of special tokens
// (<pad>, </s>, <s>, ...) and surrounding whitespace. Accepted shapes:
//
//   - a JSON string;
//   - an object with one of the fields summary, summary_text, generated_text, text,
//     output, response, result, content, holding a string or, recursively, any accepted
//     shape (HF pipelines: [{"summary_text":...}], [{"generated_text":...}]);
//   - an object with "choices": OpenAI {"choices":[{"message":{"content":...}}]} or
//     {"choices":[{"text":...}]}, worker-vllm {"choices":[{"tokens":["a","b"]}]} (tokens
//     are concatenated with no separator);
//   - a list: string items are joined with a newline; a list of objects with "choices"
//     (worker-vllm batches, stream chunks) is concatenated; any other list yields its
//     first usable element.
//
// It returns an error wrapping ErrNoOutput for null, empty (after cleaning) and
// unrecognized outputs, and a decoding error for invalid JSON.
func ExtractOutput(raw json.RawMessage) (string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return "", fmt.Errorf("%w: output is missing", ErrNoOutput)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("decode output: %w", err)
	}
	if v == nil {
		return "", fmt.Errorf("%w: output is null", ErrNoOutput)
	}
	s, ok := extract(v, 0)
	if !ok {
		return "", fmt.Errorf("%w: unrecognized output shape %s", ErrNoOutput, shapeOf(v, 0))
	}
	if s = cleanText(s); s == "" {
		return "", fmt.Errorf("%w: output is empty", ErrNoOutput)
	}
	return s, nil
}

// extract returns the raw (uncleaned) text found in v, ok only if it is usable, i.e.
// non-empty after cleaning.
func extract(v any, depth int) (string, bool) {
	if depth > maxOutputDepth {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, usable(v)
	case map[string]any:
		for _, k := range textKeys {
			if s, ok := extract(v[k], depth+1); ok {
				return s, true
			}
		}
		if choices, ok := v["choices"]; ok {
			return extractChoices(choices, depth+1)
		}
		return "", false
	case []any:
		return extractList(v, depth)
	default:
		return "", false
	}
}

// extractList handles a JSON array (see ExtractOutput).
func extractList(list []any, depth int) (string, bool) {
	allStrings, allChoices := len(list) > 0, len(list) > 1
	for _, item := range list {
		if _, ok := item.(string); !ok {
			allStrings = false
		}
		if m, ok := item.(map[string]any); !ok || m["choices"] == nil {
			allChoices = false
		}
	}
	switch {
	case allStrings:
		var parts []string
		for _, item := range list {
			if s := item.(string); usable(s) {
				parts = append(parts, s)
			}
		}
		s := strings.Join(parts, "\n")
		return s, usable(s)
	case allChoices:
		var b strings.Builder
		for _, item := range list {
			if s, ok := extractChoices(item.(map[string]any)["choices"], depth+1); ok {
				b.WriteString(s)
			}
		}
		return b.String(), usable(b.String())
	default:
		for _, item := range list {
			if s, ok := extract(item, depth+1); ok {
				return s, true
			}
		}
		return "", false
	}
}

// extractChoices returns the text of the first usable choice: OpenAI message.content,
// delta.content (stream chunks) or text, or worker-vllm tokens.
func extractChoices(v any, depth int) (string, bool) {
	choices, ok := v.([]any)
	if !ok || depth > maxOutputDepth {
		return "", false
	}
	for _, c := range choices {
		choice, ok := c.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range []string{"message", "delta", "text"} {
			if s, ok := extract(choice[k], depth+1); ok {
				return s, true
			}
		}
		if tokens, ok := choice["tokens"].([]any); ok {
			var b strings.Builder
			for _, t := range tokens {
				if s, ok := t.(string); ok {
					b.WriteString(s)
				}
			}
			if usable(b.String()) {
				return b.String(), true
			}
		}
	}
	return "", false
}

// usable reports whether s has text left after cleaning.
func usable(s string) bool { return cleanText(s) != "" }

// cleanText removes specialTokens (also those formed by a removal, "<<pad>/s>") and
// trims whitespace.
func cleanText(s string) string { return httpapi.CleanText(s, specialTokens) }

// shapeOf describes v's structure for error messages, without its text.
func shapeOf(v any, depth int) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case float64:
		return "number"
	case []any:
		if len(v) == 0 {
			return "[]"
		}
		if depth >= 2 {
			return "[...]"
		}
		return "[" + shapeOf(v[0], depth+1) + ",...]"
	case map[string]any:
		if depth >= 2 || len(v) == 0 {
			return "{...}"
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			// A key is named only if it is a code: a worker may put
			// anything in its output's keys, the prompt included.
			if k = httpapi.Code(k, ""); k == "" {
				k = "…"
			}
			keys = append(keys, strconv.Quote(k))
		}
		slices.Sort(keys)
		if len(keys) > 5 {
			keys = append(keys[:5], "...")
		}
		return "{" + strings.Join(keys, ",") + "}"
	default:
		return fmt.Sprintf("%T", v)
	}
}
