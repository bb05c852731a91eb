package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

func Example() {
	srv, err := emulator.New(emulator.Config{APIKey: "dev-key"})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	body := `{"input":{"text":"Summarize this meeting.\n\n` +
		`Alice: The billing migration needs a maintenance window.\n` +
		`Bob: The maintenance window for the billing migration is Saturday night.\n` +
		`Carol: Did anyone see the game?","max_new_tokens":32}}`
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v2/my-endpoint/runsync", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer dev-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var job struct {
		Status string
		Output struct{ Summary string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&job); err != nil {
		panic(err)
	}

	// The transcript has 25 words, so the summary gets at most
	// extractive.MinWords (12) of the 24 words that 32 tokens allow: one
	// sentence.
	fmt.Println(resp.StatusCode, job.Status)
	fmt.Println(job.Output.Summary)
	fmt.Println(srv.Stats().Inputs[0].Format)
	// Output:
	// 200 COMPLETED
	// Alice: The billing migration needs a maintenance window.
	// text
}

// A finite endpoint with one worker that boots for 20 s, driven by a fake
// clock: the first job waits for the cold start, the second for the first.
func Example_finiteEndpoint() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv, err := emulator.New(emulator.Config{
		MaxWorkers: 1,
		ColdStart:  20 * time.Second,
		Latency:    10 * time.Second,
		Clock:      func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	submit := func() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/run", strings.NewReader(`{"input":{"text":"Alice: hello."}}`)))
	}
	submit()
	submit()
	for _, at := range []time.Duration{0, 20 * time.Second, 30 * time.Second, 45 * time.Second} {
		now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(at)
		snap := srv.Snapshot()
		fmt.Printf("%v: queued %d, running %d, workers %+v\n", at, snap.InQueue, snap.InProgress, snap.Workers)
	}
	st := srv.Stats()
	fmt.Println("delays", st.QueueDelays, "billed", st.WorkerSeconds, "s")
	// Output:
	// 0s: queued 2, running 0, workers {Idle:0 Running:0 Initializing:1 Ready:0 Throttled:0 Unhealthy:0}
	// 20s: queued 1, running 1, workers {Idle:0 Running:1 Initializing:0 Ready:0 Throttled:0 Unhealthy:0}
	// 30s: queued 0, running 1, workers {Idle:0 Running:1 Initializing:0 Ready:0 Throttled:0 Unhealthy:0}
	// 45s: queued 0, running 0, workers {Idle:0 Running:0 Initializing:0 Ready:0 Throttled:0 Unhealthy:0}
	// delays [20s 30s] billed 45 s
}
