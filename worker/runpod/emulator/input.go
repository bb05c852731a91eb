package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Input formats, as recorded in Input.Format.
const (
	FormatText = "text" // {"input":{"text":PROMPT,"max_new_tokens":N}}
	FormatVLLM = "vllm" // {"input":{"prompt":PROMPT,"sampling_params":{"max_tokens":N}}}
	FormatChat = "chat" // {"input":{"messages":[{"role","content"}]}}
	FormatURL  = "url"  // {"input":{"url":URL}}: the job downloads the transcript, like a custom worker given a presigned S3 URL
)

// maxTokensCap bounds a requested token budget.
const maxTokensCap = 1 << 20

// request is a parsed /run or /runsync body.
type request struct {
	format           string
	prompt           string // the whole prompt, as the model would see it
	url              string // FormatURL: where the transcript is downloaded from
	maxTokens        int    // > 0; MaxTokensDefault when not given
	executionTimeout time.Duration
	ttl              time.Duration
}

// errBadInput is wrapped by every parse error; the message is the 400 body.
var errBadInput = errors.New("bad input")

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadInput, fmt.Sprintf(format, args...))
}

// parseRequest parses a /run body. It accepts the text, vLLM and chat input
// formats; other fields of input are ignored. Token budgets may be given as
// max_new_tokens, sampling_params.max_tokens or max_tokens (first wins);
// budgets <= 0 mean MaxTokensDefault. Every error wraps errBadInput.
func parseRequest(body []byte) (request, error) {
	var env struct {
		Input  json.RawMessage `json:"input"`
		Policy *struct {
			ExecutionTimeout float64 `json:"executionTimeout"`
			TTL              float64 `json:"ttl"`
		} `json:"policy"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return request{}, badInput("body is not a JSON object: %v", err)
	}
	raw := bytes.TrimSpace(env.Input)
	if len(raw) == 0 || string(raw) == "null" {
		return request{}, badInput("missing input")
	}
	if raw[0] != '{' {
		return request{}, badInput("input is not a JSON object")
	}
	var in struct {
		Text     *string `json:"text"`
		Prompt   *string `json:"prompt"`
		URL      *string `json:"url"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		MaxNewTokens   *float64 `json:"max_new_tokens"`
		MaxTokens      *float64 `json:"max_tokens"`
		SamplingParams *struct {
			MaxTokens *float64 `json:"max_tokens"`
		} `json:"sampling_params"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return request{}, badInput("input: %v", err)
	}
	var req request
	switch {
	case in.Text != nil:
		req.format, req.prompt = FormatText, *in.Text
	case in.Prompt != nil:
		req.format, req.prompt = FormatVLLM, *in.Prompt
	case len(in.Messages) > 0:
		var user, all []string
		for i, m := range in.Messages {
			text, err := messageText(m.Content)
			if err != nil {
				return request{}, badInput("input.messages[%d].content: %v", i, err)
			}
			all = append(all, text)
			if m.Role == "user" {
				user = append(user, text)
			}
		}
		if len(user) == 0 {
			user = all
		}
		req.format, req.prompt = FormatChat, strings.Join(user, "\n\n")
	case in.URL != nil:
		if u, err := url.Parse(*in.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return request{}, badInput("input.url is not an http(s) URL")
		}
		req.format, req.url = FormatURL, *in.URL
	default:
		return request{}, badInput("input needs text, prompt, messages or url")
	}

	var budget float64
	switch {
	case in.MaxNewTokens != nil:
		budget = *in.MaxNewTokens
	case in.SamplingParams != nil && in.SamplingParams.MaxTokens != nil:
		budget = *in.SamplingParams.MaxTokens
	case in.MaxTokens != nil:
		budget = *in.MaxTokens
	}
	switch {
	case budget < 1:
		req.maxTokens = MaxTokensDefault
	case budget > maxTokensCap:
		req.maxTokens = maxTokensCap
	default:
		req.maxTokens = int(budget)
	}

	if p := env.Policy; p != nil {
		req.executionTimeout = millis(p.ExecutionTimeout)
		req.ttl = millis(p.TTL)
	}
	return req, nil
}

// millis converts a policy value in milliseconds; <= 0 is "not set".
func millis(ms float64) time.Duration {
	const maxMS = float64(1<<62) / float64(time.Millisecond)
	if !(ms > 0) {
		return 0
	}
	return time.Duration(min(ms, maxMS) * float64(time.Millisecond))
}

// messageText returns the text of a chat message content: a string, null,
// or OpenAI-style parts [{"type":"text","text":"..."}] (texts joined by
// newlines, other parts ignored).
func messageText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", nil
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case raw[0] == '[':
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(raw, &parts); err != nil {
			return "", err
		}
		var texts []string
		for _, p := range parts {
			if p.Type == "text" || p.Type == "" {
				texts = append(texts, p.Text)
			}
		}
		return strings.Join(texts, "\n"), nil
	}
	return "", errors.New("not a string or a list of parts")
}

// instructionMaxWords is the longest paragraph stripInstruction may treat as
// an instruction.
const instructionMaxWords = 30

// stripInstruction removes the instructions a prompt wraps the text in:
// every paragraph (separated by blank lines) of at most 30 words that
// mentions "summar" in any case, such as "Summarize the transcript below."
// or "Summary:". When that would leave nothing, the prompt is kept whole.
func stripInstruction(prompt string) string {
	var (
		kept []string
		para strings.Builder
	)
	flush := func() {
		p := para.String()
		para.Reset()
		if strings.TrimSpace(p) == "" {
			return
		}
		if len(strings.Fields(p)) <= instructionMaxWords && strings.Contains(strings.ToLower(p), "summar") {
			return
		}
		kept = append(kept, strings.TrimSpace(p))
	}
	for line := range strings.Lines(prompt) {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		para.WriteString(line)
	}
	flush()
	if len(kept) == 0 {
		return prompt
	}
	return strings.Join(kept, "\n\n")
}

// estimateTokens is the emulator's token count: one token per 3 bytes,
// rounded up.
func estimateTokens(s string) int { return (len(s) + 2) / 3 }

// renderOutput returns the JSON output of a COMPLETED job in shape, for a
// job with no id.
func renderOutput(shape, summary string, inputTokens int) json.RawMessage {
	return renderJobOutput(shape, summary, inputTokens, "", 0)
}

// renderJobOutput returns the JSON output of a COMPLETED job in shape; id
// and created (Unix seconds) are the job's, for OutputShapeVLLMText.
func renderJobOutput(shape, summary string, inputTokens int, id string, created int64) json.RawMessage {
	var v any
	switch shape {
	case OutputShapeString:
		v = summary
	case OutputShapeVLLMText:
		type usage struct {
			Prompt     int `json:"prompt_tokens"`
			Completion int `json:"completion_tokens"`
			Total      int `json:"total_tokens"`
		}
		type choice struct {
			Index        int    `json:"index"`
			Text         string `json:"text"`
			FinishReason string `json:"finish_reason"`
		}
		type completion struct {
			ID      string   `json:"id"`
			Object  string   `json:"object"`
			Created int64    `json:"created"`
			Model   string   `json:"model"`
			Choices []choice `json:"choices"`
			Usage   usage    `json:"usage"`
		}
		out := estimateTokens(summary)
		v = []completion{{
			ID:      "cmpl-" + strings.ReplaceAll(id, "-", ""),
			Object:  "text_completion",
			Created: created,
			Model:   ModelName,
			Choices: []choice{{Index: 0, Text: summary, FinishReason: "stop"}},
			Usage:   usage{Prompt: inputTokens, Completion: out, Total: inputTokens + out},
		}}
	case OutputShapeVLLM:
		type usage struct {
			Input  int `json:"input"`
			Output int `json:"output"`
		}
		type choice struct {
			Tokens []string `json:"tokens"`
		}
		type item struct {
			Choices []choice `json:"choices"`
			Usage   usage    `json:"usage"`
		}
		v = []item{{
			Choices: []choice{{Tokens: []string{summary}}},
			Usage:   usage{Input: inputTokens, Output: estimateTokens(summary)},
		}}
	default:
		v = struct {
			Summary string `json:"summary"`
		}{summary}
	}
	b, err := json.Marshal(v)
	if err != nil { // cannot happen: strings and ints only
		panic(err)
	}
	return b
}
