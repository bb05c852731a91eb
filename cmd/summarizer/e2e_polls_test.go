package main

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// putMany uploads objects with a few parallel PUTs.
func (st *stack) putMany(objs map[string][]byte) {
	st.t.Helper()
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for key, body := range objs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, err := st.s3.PutObject(st.t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
				st.t.Error(err)
			}
		})
	}
	wg.Wait()
}

// RunPod's /status limit is per endpoint, shared by every replica. Three
// replicas with 300 jobs in flight poll an emulator that allows 300 /status
// requests per 10 s, while each replica alone may poll 20 per second (60 in
// all, twice the limit): the poll gate's AIMD and Retry-After keep the 429s
// rare, and no job fails.
func TestPollBudgetUnderRunPodRateLimit(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Latency: 15 * time.Second, Limits: emulator.Limits{Status: 300}})
	const n = 300
	env := st.env(rp, "CONCURRENCY=100", "RUNPOD_POLL_RATE=20", "VISIBILITY_TIMEOUT=30s", "LOG_LEVEL=info")
	for range 3 {
		st.worker(env)
	}
	objs := map[string][]byte{}
	for i := range n {
		objs[fmt.Sprintf("polls/%03d.txt", i)] = fmt.Appendf(nil, "%s\nDana: Item %d is due on day %d.\n", sampleTranscript, i, i%28+1)
	}
	st.putMany(objs)
	waitFor(t, 4*time.Minute, "every summary", func() bool { return len(st.summaryKeys()) == n })
	s := em.Stats()
	status, throttled := s.Requests[emulator.OpStatus], s.Throttled[emulator.OpStatus]
	share := float64(throttled) / float64(max(status, 1))
	t.Logf("%d jobs over 3 replicas (RUNPOD_POLL_RATE=20 each) against a /status limit of 300 per 10 s: %d /status requests (%.2f per job), %d answered 429 (%.1f%%); jobs %v",
		n, status, float64(status)/n, throttled, 100*share, s.Jobs)
	if s.Submitted != n || s.Jobs[emulator.StatusCompleted] != n {
		t.Errorf("%d jobs submitted, %d completed, want %d each: no job may fail or be paid twice", s.Submitted, s.Jobs[emulator.StatusCompleted], n)
	}
	if share >= 0.05 {
		t.Errorf("%.1f%% of /status requests answered 429, want under 5%%", 100*share)
	}
	if c := st.count(st.dlqURL); c != 0 {
		t.Errorf("DLQ holds %d: %v", c, st.dead())
	}
}
