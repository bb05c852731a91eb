package emulator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// worker-vllm v2.24's output: an OpenAI text completion in a list.
func TestOutputShapeVLLMText(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHarness(t, emulator.Config{OutputShape: emulator.OutputShapeVLLMText, Clock: clk.Now})
	code, _, out := h.do(http.MethodPost, "/runsync", textInput(prompt, 100))
	st := decode[status](t, out)
	if code != http.StatusOK || st.Status != emulator.StatusCompleted {
		t.Fatalf("runsync: %d %s", code, out)
	}
	var v []struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		Model   string `json:"model"`
		Choices []struct {
			Index        *int   `json:"index"`
			Text         string `json:"text"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			Prompt     int `json:"prompt_tokens"`
			Completion int `json:"completion_tokens"`
			Total      int `json:"total_tokens"`
		} `json:"usage"`
	}
	dec := json.NewDecoder(strings.NewReader(string(st.Output)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("output %s: %v", st.Output, err)
	}
	if len(v) != 1 || len(v[0].Choices) != 1 {
		t.Fatalf("output %s", st.Output)
	}
	c, u := v[0], v[0].Usage
	if c.ID != "cmpl-"+strings.ReplaceAll(st.ID, "-", "") || c.Object != "text_completion" ||
		c.Created != epoch.Unix() || c.Model != emulator.ModelName {
		t.Errorf("completion %+v", c)
	}
	ch := c.Choices[0]
	if ch.Index == nil || *ch.Index != 0 || ch.FinishReason != "stop" || !strings.Contains(ch.Text, "maintenance window") {
		t.Errorf("choice %+v", ch)
	}
	if u.Prompt != (len(prompt)+2)/3 || u.Completion != (len(ch.Text)+2)/3 || u.Total != u.Prompt+u.Completion {
		t.Errorf("usage %+v", u)
	}
}
