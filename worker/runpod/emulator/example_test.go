package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

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
