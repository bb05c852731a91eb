package runpod

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// inputBuilder builds the "input" object of a /run request for one prompt. It is the one
// place that knows a worker's input schema: the JSON-template format (RUNPOD_INPUT_FORMAT
// pointing at a file) is one more builder, made by newTemplateInput, which parses the
// template once.
type inputBuilder func(prompt string, maxNewTokens int) (any, error)

// inputBuilders maps Config.InputFormat to its builder, except InputFormatTemplate,
// whose builder is made per Client from Config.InputTemplate.
var inputBuilders = map[string]inputBuilder{
	InputFormatText: textInput,
	InputFormatVLLM: vllmInput,
}

func inputFormatNames() []string {
	names := make([]string, 0, len(inputBuilders))
	for name := range inputBuilders {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// textInput is {"text":PROMPT,"max_new_tokens":N}.
func textInput(prompt string, maxNewTokens int) (any, error) {
	return struct {
		Text         string `json:"text"`
		MaxNewTokens int    `json:"max_new_tokens"`
	}{prompt, maxNewTokens}, nil
}

// vllmInput is {"prompt":PROMPT,"sampling_params":{"max_tokens":N,"temperature":0}}.
func vllmInput(prompt string, maxNewTokens int) (any, error) {
	type samplingParams struct {
		MaxTokens   int     `json:"max_tokens"`
		Temperature float64 `json:"temperature"`
	}
	return struct {
		Prompt         string         `json:"prompt"`
		SamplingParams samplingParams `json:"sampling_params"`
	}{prompt, samplingParams{MaxTokens: maxNewTokens}}, nil
}

// runPolicy is the "policy" object of /run, in milliseconds.
type runPolicy struct {
	ExecutionTimeout int64 `json:"executionTimeout"`
	TTL              int64 `json:"ttl"`
}

// runRequest is the body of POST /run.
type runRequest struct {
	Input  any       `json:"input"`
	Policy runPolicy `json:"policy"`
}

// millis rounds d up to whole milliseconds, at least 1.
func millis(d time.Duration) int64 {
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return max(int64(ms), 1)
}

// runBody encodes the /run body for prompt.
func (c *Client) runBody(prompt string) ([]byte, error) {
	input, err := c.input(prompt, c.cfg.MaxNewTokens)
	if err != nil {
		return nil, fmt.Errorf("build input: %w", err)
	}
	return c.encodeRun(input)
}

// encodeRun encodes the /run body for an "input" object. HTML escaping is off so that
// "<" in a transcript costs one byte of the payload limit, not six, and "&" in a
// presigned URL stays readable.
func (c *Client) encodeRun(input any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(runRequest{Input: input, Policy: runPolicy{ExecutionTimeout: millis(c.cfg.JobTimeout), TTL: millis(c.cfg.JobTTL)}}); err != nil {
		return nil, fmt.Errorf("encode input: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// inputObject encodes a caller's input for SubmitInput and checks that it is a JSON object,
// which is what RunPod hands a worker's handler as job["input"].
func inputObject(input any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(input); err != nil {
		return nil, fmt.Errorf("encode input: %w", err)
	}
	raw := bytes.TrimSpace(buf.Bytes())
	if len(raw) == 0 || raw[0] != '{' {
		// The value itself is not quoted: it may be a presigned URL.
		kind := "a number"
		switch {
		case len(raw) == 0:
			kind = "empty"
		case raw[0] == '"':
			kind = "a string"
		case raw[0] == '[':
			kind = "an array"
		case raw[0] == 'n':
			kind = "null"
		case raw[0] == 't' || raw[0] == 'f':
			kind = "a boolean"
		}
		return nil, fmt.Errorf("input is %s, not a JSON object", kind)
	}
	return raw, nil
}
