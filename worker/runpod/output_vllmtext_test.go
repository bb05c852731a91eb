package runpod_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/runpod"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// ExtractOutput reads worker-vllm v2.24's output, a text completion in a
// list ([{"choices":[{"text":...}],...}]), as the emulator renders it.
func TestExtractOutputReadsVLLMTextCompletions(t *testing.T) {
	t.Parallel()
	em, err := emulator.New(emulator.Config{OutputShape: emulator.OutputShapeVLLMText})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	body := `{"input":{"prompt":"Summarize this meeting.\n\n` +
		`Alice: The billing migration needs a maintenance window.\n` +
		`Bob: The maintenance window for the billing migration is Saturday night.\n` +
		`Carol: Did anyone see the game?","sampling_params":{"max_tokens":64}}}`
	resp, err := http.Post(srv.URL+"/v2/ep/runsync", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var job struct {
		Status string
		Output json.RawMessage
	}
	if err := json.NewDecoder(resp.Body).Decode(&job); err != nil || job.Status != emulator.StatusCompleted {
		t.Fatalf("runsync: %v %+v", err, job)
	}
	if !bytes.Contains(job.Output, []byte(`"object":"text_completion"`)) {
		t.Fatalf("not a text completion: %s", job.Output)
	}
	var want []struct {
		Choices []struct{ Text string }
	}
	if err := json.Unmarshal(job.Output, &want); err != nil || len(want) != 1 || len(want[0].Choices) != 1 {
		t.Fatalf("output %s: %v", job.Output, err)
	}
	got, err := runpod.ExtractOutput(job.Output)
	if err != nil {
		t.Fatalf("ExtractOutput: %v", err)
	}
	if got != strings.TrimSpace(want[0].Choices[0].Text) || !strings.Contains(got, "maintenance window") {
		t.Errorf("ExtractOutput = %q, want the choice's text %q", got, want[0].Choices[0].Text)
	}
}
