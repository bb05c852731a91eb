package runpod_test

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/runpod"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// Once jobs of an endpoint have completed, a fresh job is polled when jobs
// have been finishing: a 2 s job then takes at most 3 polls, where the plain
// schedule from PollInitial (250 ms ×1.5) needs 4 or 5. Counted, not timed.
func TestPollingAdaptsToJobDuration(t *testing.T) {
	t.Parallel()
	em, err := emulator.New(emulator.Config{Latency: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	c, err := runpod.New(runpod.Config{EndpointURL: srv.URL + "/v2/adaptive"})
	if err != nil {
		t.Fatal(err)
	}
	polls := func() int { return em.Stats().Requests[emulator.OpStatus] }
	summarize := func(prompt string) error {
		id, err := c.Submit(t.Context(), prompt)
		if err != nil {
			return err
		}
		_, err = c.Wait(t.Context(), id)
		return err
	}
	// Three jobs at once teach the client how long jobs take.
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := summarize("Alice: warm up the estimate.\n\nBriefly summarize that dialogue."); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	cold := polls()
	if cold < 3*2 {
		t.Errorf("%d polls for three cold 2 s jobs, want at least 2 each (plain schedule)", cold)
	}
	if err := summarize("Bob: this one is polled when jobs finish.\n\nBriefly summarize that dialogue."); err != nil {
		t.Fatal(err)
	}
	if warm := polls() - cold; warm > 2 {
		t.Errorf("%d polls for a 2 s job after learning that jobs take 2 s, want at most 2", warm)
	}
}
