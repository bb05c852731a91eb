package main

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// A hold on a message's last delivery is a hold, not a transcript given up
// for good: a transcript of several chunks on its only delivery
// (MAX_RECEIVES=1) whose one chunk's /run answers 503 a dozen times keeps
// its siblings' jobs running (none cancelled), submits each chunk once, is
// summarized when RunPod answers again, and never reaches the DLQ. Before
// outcome.GivenUp was the one rule, the pipeline cancelled every sibling's
// job on the first hold of a final delivery and the next run paid for them
// again.
func TestHoldOnLastDeliveryKeepsSiblingJobs(t *testing.T) {
	st := newStack(t)
	var unavailable atomic.Int32
	em, rp := newEmulator(t, emulator.Config{
		Latency: 10 * time.Second,
		Fault: func(op string, n int) emulator.Fault {
			// The sixth /run and the eleven after it: one chunk's
			// submission, its client retries and the held message's
			// next attempts, while the other chunks' jobs run.
			if op == emulator.OpRun && n >= 6 && n < 18 {
				unavailable.Add(1)
				return emulator.Fault503
			}
			return emulator.FaultNone
		},
	})
	var b strings.Builder
	for i := 0; len(strings.Fields(b.String())) < 1400; i++ {
		fmt.Fprintf(&b, "Speaker%d: Item %d of the agenda is the budget for region %d, agreed after a short discussion.\n", i%3, i, i%7)
	}
	st.put("long/review.txt", []byte(b.String()))
	st.worker(st.env(rp, "MAX_RECEIVES=1", "CHUNK_TOKENS=400", "SUMMARY_TOKENS=100", "CHUNK_CONCURRENCY=8", "OUTPUT_FORMAT=json"))
	waitFor(t, 120*time.Second, "the summary", func() bool {
		_, _, ok := st.summary("summaries/long/review.txt.summary.json")
		return ok
	})
	waitFor(t, 30*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	stats := em.Stats()
	if unavailable.Load() != 12 {
		t.Fatalf("%d /run requests answered 503, want 12 (the fault did not play out)", unavailable.Load())
	}
	if n := stats.Jobs["CANCELLED"]; n != 0 {
		t.Errorf("%d jobs cancelled, want 0: a hold gave the transcript up", n)
	}
	seen := map[string]int{}
	maps := 0
	for _, in := range stats.Inputs {
		seen[in.Text]++
		if !strings.Contains(in.Text, "Combine them") {
			maps++
		}
	}
	for text, n := range seen {
		if n > 1 {
			t.Errorf("a prompt was submitted %d times: %.60q…", n, text)
		}
	}
	if maps < 6 {
		t.Errorf("%d map jobs: the transcript needs at least 6 chunks for this test", maps)
	}
	if n := st.count(st.dlqURL); n != 0 {
		t.Errorf("DLQ has %d messages: %v", n, st.dead())
	}
	t.Logf("%d jobs submitted (%d map), jobs %v, requests %v, 503s %d", stats.Submitted, maps, stats.Jobs, stats.Requests, unavailable.Load())
}
