package openai_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/openai"
)

// A stand-in for an OpenAI-compatible server (vLLM, Ollama, OpenAI, RunPod's
// /openai/v1 route): one chat completion.
func fakeServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"chatcmpl-42","object":"chat.completion","created":1730000000,"model":"Qwen/Qwen2.5-7B-Instruct",`+
			`"choices":[{"index":0,"message":{"role":"assistant","content":"The team agreed to ship on Friday.<|im_end|>"},"finish_reason":"stop"}],`+
			`"usage":{"prompt_tokens":912,"completion_tokens":9,"total_tokens":921}}`)
	}))
}

func ExampleClient_Complete() {
	srv := fakeServer()
	defer srv.Close()

	client, err := openai.New(openai.Config{
		BaseURL:      srv.URL + "/v1", // https://api.openai.com/v1, http://vllm:8000/v1, ...
		APIKey:       "example-key",
		Model:        "Qwen/Qwen2.5-7B-Instruct",
		SystemPrompt: "You summarize meeting transcripts in one sentence.",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := client.Complete(context.Background(), "...transcript...")
	// The error's class (package queue/outcome) says what to do with the work.
	switch class := outcome.Of(err); {
	case err == nil:
		fmt.Println(res.Text)
		fmt.Println(res.ID, res.Model, res.PromptTokens, res.CompletionTokens, res.FinishReason)
	case class.Kind == outcome.DeadLettered:
		fmt.Println("dead-letter, backend_rejected:", err)
	case class.Kind == outcome.Held && class.Cause == outcome.CauseConfig:
		fmt.Println("retry later and report not ready:", err)
	default:
		fmt.Println("retry later:", err)
	}
	// Output:
	// The team agreed to ship on Friday.
	// chatcmpl-42 Qwen/Qwen2.5-7B-Instruct 912 9 stop
}
