package main

import (
	"strings"
	"testing"
	"time"

	"github.com/summarizer/summarizer/cmd/internal/burst"
	"github.com/summarizer/summarizer/deploy/localstack"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// The bursts of a real endpoint: a few GPU workers, cold starts, an
// autoscaler, workers that crash-loop. Replicas are processes of the
// summarizer binary, S3 and SQS are moto, RunPod is the emulator in its
// finite mode, and the emulator counts the jobs, their cancellations and
// the worker-seconds. Times are scaled down from production by one ratio
// (JOB_TIMEOUT and RUNPOD_QUEUE_DELAY against the queue a burst builds);
// the bench (cmd/bench --runs finite) runs the full sizes and
// reports the drain times, which tests never assert.

// runBurst runs cfg on this test's moto and logs what it measured.
func runBurst(t *testing.T, cfg burst.Config) *burst.Result {
	t.Helper()
	m := localstack.Need(t, moto)
	cfg.Name = strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	cfg.Binary, cfg.AWS, cfg.AWSEnv = binary, m.AWSConfig(), m.Env()
	if cfg.Timeout == 0 {
		cfg.Timeout = 3 * time.Minute
	}
	if _, ok := cfg.Env["SHUTDOWN_TIMEOUT"]; !ok {
		// Replicas stop at the end within their last long poll: keep it
		// short (it also makes empty receives more frequent than the
		// default's one per 20 s).
		cfg.Env["SHUTDOWN_TIMEOUT"] = "2s"
	}
	res, err := burst.Run(t.Context(), cfg)
	if err != nil {
		if res != nil {
			t.Logf("replica logs:\n%s", burstLogTail(res.Logs, 60))
		}
		t.Fatal(err)
	}
	t.Log(res)
	return res
}

func burstLogTail(s string, lines int) string {
	l := strings.Split(s, "\n")
	return strings.Join(l[max(0, len(l)-lines):], "\n")
}

// noWaste checks that each transcript cost one job that ran once: none
// cancelled or timed out while it ran, none expired in RunPod's queue, GPU
// time the work's, nothing dead-lettered.
func noWaste(t *testing.T, r *burst.Result) {
	t.Helper()
	if r.Summaries != r.Transcripts || r.DeadLetters != 0 {
		t.Errorf("%d summaries and %d dead letters for %d transcripts", r.Summaries, r.DeadLetters, r.Transcripts)
	}
	if r.Jobs > r.Transcripts {
		t.Errorf("%d jobs submitted for %d transcripts", r.Jobs, r.Transcripts)
	}
	if r.CancelledRunning+r.TimedOutRunning+r.ExpiredQueue+r.CancelledQueue > 0 {
		t.Errorf("jobs wasted: %d cancelled while running, %d cancelled queued, %d timed out running, %d expired in the queue",
			r.CancelledRunning, r.CancelledQueue, r.TimedOutRunning, r.ExpiredQueue)
	}
	if r.ExecutionSeconds > 1.02*r.WorkSeconds {
		t.Errorf("GPU time %.1fs for %.1fs of work", r.ExecutionSeconds, r.WorkSeconds)
	}
}

// A burst onto 4 warm GPUs from 3 replicas of CONCURRENCY 32: the backlog
// waits in SQS, RunPod's queue stays near RUNPOD_QUEUE_DELAY's worth of
// work, and no job is paid twice. (Before the admission window, every
// received message submitted its job at once: the whole burst queued at
// RunPod, jobs waited out JOB_TIMEOUT there and were cancelled and
// submitted again.)
func TestFiniteEndpointBurst(t *testing.T) {
	const (
		n       = 60
		latency = time.Second
		gpus    = 4
		delay   = 4 * time.Second
	)
	r := runBurst(t, burst.Config{
		Transcripts: n, Replicas: 3,
		Env:      map[string]string{"CONCURRENCY": "32", "JOB_TIMEOUT": "6s", "RUNPOD_QUEUE_DELAY": delay.String(), "VISIBILITY_TIMEOUT": "20s"},
		Endpoint: emulator.Config{Latency: latency, MaxWorkers: gpus, MinWorkers: gpus, Seed: 1},
	})
	noWaste(t, r)
	// RUNPOD_QUEUE_DELAY of 1 s jobs on 4 GPUs is 16 queued jobs; a
	// burst submitted at once would queue all 60.
	if want := 2 * gpus * int(delay/latency); r.MaxRunPodQueue > want {
		t.Errorf("up to %d jobs queued at RunPod, want at most %d (twice RUNPOD_QUEUE_DELAY's worth)", r.MaxRunPodQueue, want)
	}
	if r.MaxSQSInFlight >= n*3/4 {
		t.Errorf("up to %d of %d messages in flight in SQS: the backlog did not wait there", r.MaxSQSInFlight, n)
	}
	// Receives and deletes batch even below CONCURRENCY: a receive and a
	// delete per message, the worst, would be 2 (the bench's 150-transcript
	// burst, with a longer RUNPOD_QUEUE_DELAY to gather in, shows 0.5).
	if r.SQSRequestsPerMessage > 1.5 {
		t.Errorf("%.2f SQS requests per message", r.SQSRequestsPerMessage)
	}
}

// A burst onto an endpoint scaled to zero, autoscaled by queue delay up to
// 4 workers with cold starts: the replicas keep enough jobs waiting for
// RunPod's scaler to reach its maximum, and pay each job once.
func TestFiniteEndpointScalesFromZero(t *testing.T) {
	const gpus = 4
	r := runBurst(t, burst.Config{
		Transcripts: 40, Replicas: 2,
		Env: map[string]string{"CONCURRENCY": "32", "JOB_TIMEOUT": "6s", "RUNPOD_QUEUE_DELAY": "8s", "VISIBILITY_TIMEOUT": "20s"},
		Endpoint: emulator.Config{Latency: time.Second, MaxWorkers: gpus, ColdStart: 3 * time.Second, IdleTimeout: 3 * time.Second,
			Scaler: emulator.ScalerQueueDelay, ScalerValue: 2, Seed: 1},
	})
	noWaste(t, r)
	if r.PeakWorkers != gpus {
		t.Errorf("the endpoint reached %d workers, want its maximum %d", r.PeakWorkers, gpus)
	}
}

// Workers crash-loop at start (jobs sit IN_QUEUE, no error) for far longer
// than JOB_TIMEOUT × MAX_RECEIVES and the retry backoff: an outage, not the
// transcripts' fault. Nothing is dead-lettered or paid twice, the replicas
// take no new work meanwhile, and everything is summarized once workers
// recover.
func TestFiniteEndpointCrashLoop(t *testing.T) {
	const n = 12
	r := runBurst(t, burst.Config{
		Transcripts: n, Replicas: 2,
		Env: map[string]string{"CONCURRENCY": "16", "JOB_TIMEOUT": "3s", "MAX_RECEIVES": "2", "RETRY_BACKOFF": "2s",
			"RUNPOD_QUEUE_DELAY": "5s", "VISIBILITY_TIMEOUT": "10s"},
		Endpoint: emulator.Config{Latency: time.Second, MaxWorkers: 4, ColdStart: time.Second, Seed: 1},
		Faults:   []burst.Fault{{At: 0, Unhealthy: true}, {At: 25 * time.Second, Unhealthy: false}},
	})
	noWaste(t, r)
	closed, waited := false, false
	for _, p := range r.Series {
		if p.T > 5*time.Second && p.T < 25*time.Second {
			closed = closed || p.Window == 0
			waited = waited || p.SQSVisible > 0
		}
	}
	if !closed || !waited {
		t.Errorf("while workers crash-looped: a window closed %v, messages waiting in SQS %v; want both", closed, waited)
	}
}

// A job that waits out its ttl in RunPod's queue (workers crash-loop
// longer than JOB_TTL) is gone, or TIMED_OUT without running: either way
// it is submitted again without spending a receive (MAX_RECEIVES=1 would
// dead-letter a retry), and each transcript is summarized.
func TestJobWaitsOutItsTTL(t *testing.T) {
	for _, expiry := range []string{emulator.TTLExpiryDelete, emulator.TTLExpiryTimedOut} {
		t.Run(expiry, func(t *testing.T) {
			const n = 3
			r := runBurst(t, burst.Config{
				Transcripts: n, Replicas: 1,
				Env: map[string]string{"CONCURRENCY": "4", "JOB_TIMEOUT": "2s", "JOB_TTL": "4s", "MAX_RECEIVES": "1",
					"RUNPOD_QUEUE_DELAY": "5s", "VISIBILITY_TIMEOUT": "10s"},
				Endpoint: emulator.Config{Latency: 500 * time.Millisecond, MaxWorkers: 2, ColdStart: 500 * time.Millisecond,
					TTLExpiry: expiry, Seed: 1},
				Faults: []burst.Fault{{At: 0, Unhealthy: true}, {At: 9 * time.Second, Unhealthy: false}},
			})
			if r.Summaries != n || r.DeadLetters != 0 {
				t.Errorf("%d summaries and %d dead letters for %d transcripts", r.Summaries, r.DeadLetters, n)
			}
			if r.ExpiredQueue == 0 {
				t.Fatal("no job waited out its ttl: the test did not test it")
			}
			if r.Jobs != n+r.ExpiredQueue || r.CancelledRunning+r.TimedOutRunning != 0 {
				t.Errorf("%d jobs for %d transcripts and %d expired in the queue; %d cancelled or timed out while running",
					r.Jobs, n, r.ExpiredQueue, r.CancelledRunning+r.TimedOutRunning)
			}
		})
	}
}

// worker-vllm from v2.24 answers an OpenAI text completion inside a list.
func TestWorkerVLLMTextCompletionOutput(t *testing.T) {
	r := runBurst(t, burst.Config{
		Transcripts: 2, Replicas: 1,
		Env:      map[string]string{"RUNPOD_INPUT_FORMAT": "vllm"},
		Endpoint: emulator.Config{Latency: 100 * time.Millisecond, MaxWorkers: 1, MinWorkers: 1, OutputShape: emulator.OutputShapeVLLMText},
	})
	noWaste(t, r)
}
