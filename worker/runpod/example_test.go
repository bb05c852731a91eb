package runpod_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/runpod"
)

// A RunPod endpoint stand-in: one job, in queue on the first poll, then completed by a
// worker-vllm style handler.
func fakeEndpoint() *httptest.Server {
	var polls atomic.Int32
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/demo/run":
			fmt.Fprint(w, `{"id":"job-42","status":"IN_QUEUE"}`)
		case "/v2/demo/status/job-42":
			if polls.Add(1) == 1 {
				fmt.Fprint(w, `{"id":"job-42","status":"IN_QUEUE","delayTime":0}`)
				return
			}
			fmt.Fprint(w, `{"id":"job-42","status":"COMPLETED","delayTime":1200,"executionTime":800,`+
				`"output":[{"choices":[{"tokens":["The team agreed ","to ship on Friday.</s>"]}],"usage":{"input":900,"output":9}}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
}

func ExampleClient_Wait() {
	srv := fakeEndpoint()
	defer srv.Close()

	client, err := runpod.New(runpod.Config{
		EndpointURL: srv.URL + "/v2/demo", // https://api.runpod.ai/v2/ENDPOINT_ID in production
		APIKey:      "example-key",
		InputFormat: runpod.InputFormatVLLM,
		PollInitial: 10 * time.Millisecond,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	id, err := client.Submit(ctx, "Summarize: ...transcript...")
	var res runpod.Result
	if err == nil {
		// Record id somewhere durable before waiting: /run has no idempotency
		// key, so the id is the only way back to a job already paid for.
		res, err = client.Wait(ctx, id)
	}
	// The error's class (package queue/outcome) says what to do with the work.
	switch class := outcome.Of(err); {
	case err == nil:
		fmt.Println(res.Text)
		fmt.Println(id, res.DelayTime, res.ExecutionTime)
	case class.Kind == outcome.DeadLettered:
		fmt.Println("dead-letter, backend_rejected:", err)
	case class.Kind == outcome.Held && class.Cause == outcome.CauseConfig:
		fmt.Println("retry later and report not ready:", err)
	default:
		fmt.Println("retry later:", err)
	}
	// Output:
	// The team agreed to ship on Friday.
	// job-42 1.2s 800ms
}

func ExampleExtractOutput() {
	for _, raw := range []string{
		`"<pad> plain string </s>"`,
		`{"output":{"summary":"nested"}}`,
		`[{"summary_text":"HF pipeline"}]`,
		`{"choices":[{"message":{"role":"assistant","content":"OpenAI chat"}}]}`,
		`null`,
	} {
		text, err := runpod.ExtractOutput([]byte(raw))
		fmt.Printf("%q %v\n", text, err)
	}
	// Output:
	// "plain string" <nil>
	// "nested" <nil>
	// "HF pipeline" <nil>
	// "OpenAI chat" <nil>
	// "" no usable output: output is null
}
