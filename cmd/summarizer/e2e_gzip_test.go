package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// Gzipped transcripts cost what they hold: sixteen .txt.gz uploads at
// CONCURRENCY=16 and MAX_INFLIGHT_BYTES=64MiB (the default outside a
// cgroup limit) all reach RunPod at once. Counted at MAX_OBJECT_BYTES each
// (20 MiB, "the inflated size is unknown"), three would.
func TestGzipTranscriptsAllInFlight(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Latency: 5 * time.Second})
	const n = 16
	for i := range n {
		st.put(fmt.Sprintf("gz/%02d.txt.gz", i), gz([]byte(sampleTranscript)))
	}
	st.worker(st.env(rp, "CONCURRENCY=16", "MAX_INFLIGHT_BYTES=64MiB"))
	waitFor(t, 120*time.Second, "16 summaries", func() bool { return len(st.summaryKeys()) == n })
	if s := em.Stats(); s.MaxInFlight != n || s.Submitted != n {
		t.Errorf("%d RunPod jobs at most in flight (%d submitted), want all %d at once", s.MaxInFlight, s.Submitted, n)
	}
	if c := st.count(st.dlqURL); c != 0 {
		t.Errorf("DLQ has %d messages: %v", c, st.dead())
	}
}

// BenchmarkGzipThroughput: 48 transcripts, plain and gzipped, drained by
// one worker at its default memory settings (CONCURRENCY 16,
// MAX_INFLIGHT_BYTES 64 MiB outside a cgroup limit) against the emulator
// with a 2 s job latency; it reports transcripts/s from the worker's start
// to the last summary stored.
//
//	go test -run '^$' -bench GzipThroughput -benchtime 1x ./cmd/summarizer/
func BenchmarkGzipThroughput(b *testing.B) {
	for _, gzipped := range []bool{false, true} {
		name := "plain"
		if gzipped {
			name = "gzip"
		}
		b.Run(name, func(b *testing.B) {
			const n = 48
			var took time.Duration
			for range b.N {
				b.StopTimer()
				st := newStack(b)
				em, rp := newEmulator(b, emulator.Config{Latency: 2 * time.Second})
				for i := range n {
					if gzipped {
						st.put(fmt.Sprintf("bench/%02d.txt.gz", i), gz([]byte(sampleTranscript)))
					} else {
						st.put(fmt.Sprintf("bench/%02d.txt", i), []byte(sampleTranscript))
					}
				}
				b.StartTimer()
				start := time.Now()
				stop, _ := st.worker(st.env(rp, "CONCURRENCY=16", "MAX_INFLIGHT_BYTES=64MiB", "LOG_LEVEL=warn"))
				for len(st.summaryKeys()) < n {
					if time.Since(start) > 5*time.Minute {
						b.Fatalf("%d of %d summaries after 5 minutes", len(st.summaryKeys()), n)
					}
					time.Sleep(50 * time.Millisecond)
				}
				took += time.Since(start)
				b.StopTimer()
				if err := stop(); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(em.Stats().MaxInFlight), "max-jobs-in-flight")
			}
			b.ReportMetric(float64(n*b.N)/took.Seconds(), "transcripts/s")
		})
	}
}
