package emulator_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// clock is a fake Config.Clock that the test steps: a finite endpoint's
// time moves only through it, so these tests neither sleep nor time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newClock() *clock { return &clock{t: epoch} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// to sets the clock to epoch+d (d since the start).
func (c *clock) to(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = epoch.Add(d)
}

// finite is a harness over a finite endpoint with a fake clock.
type finite struct {
	*harness
	clk *clock
}

func newFinite(t *testing.T, cfg emulator.Config) *finite {
	t.Helper()
	clk := newClock()
	cfg.Clock = clk.Now
	return &finite{harness: newHarness(t, cfg), clk: clk}
}

type health struct {
	Jobs struct {
		Completed, Failed, InProgress, InQueue, Retried int
	}
	Workers emulator.Workers
}

func (f *finite) health() health {
	f.t.Helper()
	code, _, out := f.do(http.MethodGet, "/health", nil)
	if code != http.StatusOK {
		f.t.Fatalf("/health: %d %s", code, out)
	}
	return decode[health](f.t, out)
}

// at steps the clock to d since the start and checks /health: its jobs in
// queue and in progress and its workers.
func (f *finite) at(d time.Duration, inQueue, inProgress int, want emulator.Workers) {
	f.t.Helper()
	f.clk.to(d)
	h := f.health()
	if h.Jobs.InQueue != inQueue || h.Jobs.InProgress != inProgress || h.Workers != want || h.Jobs.Retried != 0 {
		f.t.Fatalf("at %v: /health %+v, want inQueue %d inProgress %d workers %+v", d, h, inQueue, inProgress, want)
	}
	snap := f.srv.Snapshot()
	if snap.InQueue != inQueue || snap.InProgress != inProgress || snap.Workers != want || !snap.At.Equal(epoch.Add(d)) {
		f.t.Fatalf("at %v: Snapshot %+v disagrees with /health", d, snap)
	}
}

// job checks a job's status, delayTime and executionTime (ms) now.
func (f *finite) job(id, want string, delay, exec int64) {
	f.t.Helper()
	code, st := f.status("", id)
	if code != http.StatusOK || st.Status != want || st.DelayTime != delay || st.ExecutionTime != exec {
		f.t.Fatalf("job %s: %d %+v, want %s delay %d exec %d", id, code, st, want, delay, exec)
	}
}

func (f *finite) cancel(id, want string) {
	f.t.Helper()
	code, _, out := f.do(http.MethodPost, "/cancel/"+id, nil)
	if st := decode[status](f.t, out); code != http.StatusOK || st.Status != want {
		f.t.Fatalf("cancel %s: %d %s, want %s", id, code, out, want)
	}
}

func policyInput(ttlMS, timeoutMS int) map[string]any {
	pol := map[string]any{}
	if ttlMS > 0 {
		pol["ttl"] = ttlMS
	}
	if timeoutMS > 0 {
		pol["executionTimeout"] = timeoutMS
	}
	return map[string]any{"input": map[string]any{"text": transcript}, "policy": pol}
}

// w builds a Workers count; ready is idle.
func wk(idle, running, initializing, throttled, unhealthy int) emulator.Workers {
	return emulator.Workers{Idle: idle, Running: running, Initializing: initializing, Ready: idle,
		Throttled: throttled, Unhealthy: unhealthy}
}

const sec = time.Second

func TestFiniteQueueIsFIFO(t *testing.T) {
	t.Parallel()
	f := newFinite(t, emulator.Config{MaxWorkers: 1, MinWorkers: 1, Latency: 10 * sec})
	f.at(0, 0, 0, wk(1, 0, 0, 0, 0))
	a := f.run("", textInput(transcript, 0))
	f.clk.to(1 * sec)
	b := f.run("", textInput(transcript, 0))
	f.clk.to(2 * sec)
	c := f.run("", textInput(transcript, 0))
	f.at(3*sec, 2, 1, wk(0, 1, 0, 0, 0))
	f.job(a, emulator.StatusInProgress, 0, 3000)
	f.job(b, emulator.StatusInQueue, 2000, 0)
	f.at(10*sec, 1, 1, wk(0, 1, 0, 0, 0))
	f.job(a, emulator.StatusCompleted, 0, 10000)
	f.job(b, emulator.StatusInProgress, 9000, 0)
	f.job(c, emulator.StatusInQueue, 8000, 0)
	f.at(20*sec, 0, 1, wk(0, 1, 0, 0, 0))
	f.job(c, emulator.StatusInProgress, 18000, 0)
	f.at(30*sec, 0, 0, wk(1, 0, 0, 0, 0))
	f.job(c, emulator.StatusCompleted, 18000, 10000)
	if h := f.health(); h.Jobs.Completed != 3 || h.Jobs.Failed != 0 {
		t.Errorf("health %+v", h)
	}
	st := f.srv.Stats()
	if fmt.Sprint(st.QueueDelays) != "[0s 9s 18s]" || st.ExecutionSeconds != 30 || st.PeakWorkers != 1 {
		t.Errorf("stats: delays %v executed %v peak %d", st.QueueDelays, st.ExecutionSeconds, st.PeakWorkers)
	}
}

func TestFiniteWorkerConcurrency(t *testing.T) {
	t.Parallel()
	f := newFinite(t, emulator.Config{MaxWorkers: 1, MinWorkers: 1, WorkerConcurrency: 2, Latency: 10 * sec})
	ids := []string{f.run("", textInput(transcript, 0)), f.run("", textInput(transcript, 0)), f.run("", textInput(transcript, 0))}
	f.at(5*sec, 1, 2, wk(0, 1, 0, 0, 0))
	f.job(ids[2], emulator.StatusInQueue, 5000, 0)
	f.at(10*sec, 0, 1, wk(0, 1, 0, 0, 0))
	f.job(ids[0], emulator.StatusCompleted, 0, 10000)
	f.job(ids[1], emulator.StatusCompleted, 0, 10000)
	f.job(ids[2], emulator.StatusInProgress, 10000, 0)
	f.at(20*sec, 0, 0, wk(1, 0, 0, 0, 0))
	// One worker, 20 s, two jobs at once: 30 s of execution.
	if st := f.srv.Stats(); st.WorkerSeconds != 20 || st.ExecutionSeconds != 30 {
		t.Errorf("billed %v executed %v", st.WorkerSeconds, st.ExecutionSeconds)
	}
}

func TestFiniteColdStartAndFlashBoot(t *testing.T) {
	t.Parallel()
	f := newFinite(t, emulator.Config{MaxWorkers: 1, ColdStart: 20 * sec, FlashBoot: sec, FlashBootWindow: time.Minute,
		Latency: 3 * sec})
	f.at(0, 0, 0, wk(0, 0, 0, 0, 0))
	a := f.run("", textInput(transcript, 0))
	// With no worker at all, the first request adds one at once.
	f.at(0, 1, 0, wk(0, 0, 1, 0, 0))
	f.at(19*sec, 1, 0, wk(0, 0, 1, 0, 0))
	f.at(20*sec, 0, 1, wk(0, 1, 0, 0, 0))
	f.at(23*sec, 0, 0, wk(1, 0, 0, 0, 0))
	f.job(a, emulator.StatusCompleted, 20000, 3000)
	f.at(27*sec, 0, 0, wk(1, 0, 0, 0, 0))
	f.at(28*sec, 0, 0, wk(0, 0, 0, 0, 0)) // idle timeout 5 s
	b := f.run("", textInput(transcript, 0))
	f.at(28*sec, 1, 0, wk(0, 0, 1, 0, 0))
	f.at(29*sec, 0, 1, wk(0, 1, 0, 0, 0)) // FlashBoot revives it in 1 s
	f.at(37*sec, 0, 0, wk(0, 0, 0, 0, 0))
	f.job(b, emulator.StatusCompleted, 1000, 3000)
	// Stopped at 37 s; past the window the next start is cold again.
	f.clk.to(98 * sec)
	c := f.run("", textInput(transcript, 0))
	f.at(117*sec, 1, 0, wk(0, 0, 1, 0, 0))
	f.at(118*sec, 0, 1, wk(0, 1, 0, 0, 0))
	f.at(121*sec, 0, 0, wk(1, 0, 0, 0, 0))
	f.job(c, emulator.StatusCompleted, 20000, 3000)
	if st := f.srv.Stats(); fmt.Sprint(st.QueueDelays) != "[20s 1s 20s]" {
		t.Errorf("delays %v", st.QueueDelays)
	}
}

func TestFiniteIdleTimeoutKeepsMinWorkers(t *testing.T) {
	t.Parallel()
	f := newFinite(t, emulator.Config{MaxWorkers: 3, MinWorkers: 1, Scaler: emulator.ScalerRequestCount,
		ColdStart: 2 * sec, Latency: 10 * sec})
	for range 3 {
		f.run("", textInput(transcript, 0))
	}
	f.at(500*time.Millisecond, 2, 1, wk(0, 1, 0, 0, 0))
	f.at(1*sec, 2, 1, wk(0, 1, 2, 0, 0)) // the first tick: target 3
	f.at(3*sec, 0, 3, wk(0, 3, 0, 0, 0))
	f.at(10*sec, 0, 2, wk(1, 2, 0, 0, 0))
	f.at(13*sec, 0, 0, wk(3, 0, 0, 0, 0))
	f.at(17*sec, 0, 0, wk(3, 0, 0, 0, 0))
	f.at(18*sec, 0, 0, wk(1, 0, 0, 0, 0)) // the always-on worker stays
	f.at(time.Hour, 0, 0, wk(1, 0, 0, 0, 0))
	// Always-on: 3600 s; the two others: 1..18 s each.
	if st := f.srv.Stats(); st.WorkerSeconds != 3600+17+17 || st.PeakWorkers != 3 {
		t.Errorf("billed %v peak %d", st.WorkerSeconds, st.PeakWorkers)
	}
}

func TestFiniteBilling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      emulator.Config
		jobs     []time.Duration // submission times
		end      time.Duration
		billed   float64
		executed float64
	}{
		// Boot 0..10, run 10..13, idle 13..18.
		{"cold start, run, idle", emulator.Config{MaxWorkers: 1, ColdStart: 10 * sec, Latency: 3 * sec},
			[]time.Duration{0}, time.Minute, 18, 3},
		// Two jobs back to back on one worker: boot 10, run 6, idle 5.
		{"one worker, two jobs", emulator.Config{MaxWorkers: 1, ColdStart: 10 * sec, Latency: 3 * sec},
			[]time.Duration{0, 0}, time.Minute, 21, 6},
		// A job arriving in the idle time keeps the worker: 10+3, idle 2,
		// run 3, idle 5.
		{"idle worker reused", emulator.Config{MaxWorkers: 1, ColdStart: 10 * sec, Latency: 3 * sec},
			[]time.Duration{0, 15 * sec}, time.Minute, 23, 6},
		{"always-on worker", emulator.Config{MaxWorkers: 1, MinWorkers: 1, Latency: 3 * sec},
			[]time.Duration{10 * sec}, 100 * sec, 100, 3},
		{"nothing to do", emulator.Config{MaxWorkers: 3}, nil, time.Hour, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFinite(t, tt.cfg)
			for _, at := range tt.jobs {
				f.clk.to(at)
				f.run("", textInput(transcript, 0))
			}
			f.clk.to(tt.end)
			st := f.srv.Stats()
			if st.WorkerSeconds != tt.billed || st.ExecutionSeconds != tt.executed {
				t.Errorf("billed %v executed %v, want %v and %v", st.WorkerSeconds, st.ExecutionSeconds, tt.billed, tt.executed)
			}
			if st.Jobs[emulator.StatusCompleted] != len(tt.jobs) {
				t.Errorf("jobs %v", st.Jobs)
			}
		})
	}
}

func TestFiniteQueueDelayScaler(t *testing.T) {
	t.Parallel()
	f := newFinite(t, emulator.Config{MaxWorkers: 3, ColdStart: 30 * sec, Latency: 100 * sec})
	for range 5 {
		f.run("", textInput(transcript, 0))
	}
	f.at(0, 5, 0, wk(0, 0, 1, 0, 0))
	// The oldest job has waited 4 s, not more: no new worker yet.
	f.at(4*sec, 5, 0, wk(0, 0, 1, 0, 0))
	f.at(5*sec, 5, 0, wk(0, 0, 2, 0, 0))
	f.at(5500*time.Millisecond, 5, 0, wk(0, 0, 2, 0, 0))
	f.at(6*sec, 5, 0, wk(0, 0, 3, 0, 0))
	f.at(20*sec, 5, 0, wk(0, 0, 3, 0, 0)) // MaxWorkers
	f.at(30*sec, 4, 1, wk(0, 1, 2, 0, 0))
	f.at(36*sec, 2, 3, wk(0, 3, 0, 0, 0))
	if st := f.srv.Stats(); st.PeakWorkers != 3 || fmt.Sprint(st.QueueDelays) != "[30s 35s 36s]" {
		t.Errorf("peak %d delays %v", st.PeakWorkers, st.QueueDelays)
	}

	// A job a booting worker will take starts no other worker.
	g := newFinite(t, emulator.Config{MaxWorkers: 3, ColdStart: 30 * sec, Latency: sec})
	g.run("", textInput(transcript, 0))
	g.at(29*sec, 1, 0, wk(0, 0, 1, 0, 0))
	g.at(30*sec, 0, 1, wk(0, 1, 0, 0, 0))
}

func TestFiniteRequestCountScaler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		jobs, value, max, want int
	}{
		{5, 2, 3, 3}, {3, 2, 3, 2}, {1, 1, 3, 1}, {10, 1, 4, 4},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d jobs per %d up to %d", tt.jobs, tt.value, tt.max), func(t *testing.T) {
			t.Parallel()
			f := newFinite(t, emulator.Config{MaxWorkers: tt.max, Scaler: emulator.ScalerRequestCount,
				ScalerValue: tt.value, ColdStart: 5 * sec, Latency: 100 * sec})
			f.clk.to(100 * time.Millisecond)
			for range tt.jobs {
				f.run("", textInput(transcript, 0))
			}
			// Request count has no first-request rule: the first tick starts them.
			f.at(999*time.Millisecond, tt.jobs, 0, wk(0, 0, 0, 0, 0))
			f.at(sec, tt.jobs, 0, wk(0, 0, tt.want, 0, 0))
			f.at(6*sec, tt.jobs-tt.want, tt.want, wk(0, tt.want, 0, 0, 0))
			f.at(60*sec, tt.jobs-tt.want, tt.want, wk(0, tt.want, 0, 0, 0))
		})
	}
}

func TestFiniteTTL(t *testing.T) {
	t.Parallel()
	for _, expiry := range []string{emulator.TTLExpiryDelete, emulator.TTLExpiryTimedOut} {
		t.Run(expiry, func(t *testing.T) {
			t.Parallel()
			// The worker boots for an hour: the job expires in the queue.
			f := newFinite(t, emulator.Config{MaxWorkers: 1, ColdStart: time.Hour, TTLExpiry: expiry})
			id := f.run("", policyInput(10_000, 0))
			f.clk.to(9999 * time.Millisecond)
			f.job(id, emulator.StatusInQueue, 9999, 0)
			f.at(10*sec, 0, 0, wk(0, 0, 1, 0, 0))
			code, st := f.status("", id)
			switch expiry {
			case emulator.TTLExpiryDelete:
				if code != http.StatusNotFound {
					t.Fatalf("expired job: %d %+v, want 404", code, st)
				}
				if code, _, _ := f.do(http.MethodPost, "/cancel/"+id, nil); code != http.StatusNotFound {
					t.Errorf("cancel of an expired job: %d", code)
				}
			default:
				if code != http.StatusOK || st.Status != emulator.StatusTimedOut || st.ExecutionTime != 0 ||
					st.DelayTime != 10_000 || st.Error == "" {
					t.Fatalf("expired job: %d %+v", code, st)
				}
				if h := f.health(); h.Jobs.Failed != 1 {
					t.Errorf("health %+v", h)
				}
			}
			stats := f.srv.Stats()
			if stats.ExpiredQueued != 1 || stats.ExpiredRunning != 0 || stats.Jobs[emulator.StatusTimedOut] != 1 ||
				stats.InFlight != 0 || len(stats.QueueDelays) != 0 || stats.ExecutionSeconds != 0 {
				t.Errorf("stats %+v", stats)
			}
		})
	}
	t.Run("while running, queue time included", func(t *testing.T) {
		t.Parallel()
		f := newFinite(t, emulator.Config{MaxWorkers: 1, ColdStart: 4 * sec, Latency: time.Hour,
			TTLExpiry: emulator.TTLExpiryTimedOut})
		id := f.run("", policyInput(10_000, 0))
		f.at(4*sec, 0, 1, wk(0, 1, 0, 0, 0))
		f.at(10*sec, 0, 0, wk(1, 0, 0, 0, 0))
		f.job(id, emulator.StatusTimedOut, 4000, 6000)
		if st := f.srv.Stats(); st.ExpiredRunning != 1 || st.TimedOutRunning != 0 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("default 24 h", func(t *testing.T) {
		t.Parallel()
		f := newFinite(t, emulator.Config{MaxWorkers: 1, ColdStart: 48 * time.Hour})
		id := f.run("", textInput(transcript, 0))
		f.clk.to(24*time.Hour - time.Millisecond)
		f.job(id, emulator.StatusInQueue, (24*time.Hour - time.Millisecond).Milliseconds(), 0)
		f.clk.to(24 * time.Hour)
		if code, _ := f.status("", id); code != http.StatusNotFound {
			t.Fatalf("status %d, want 404", code)
		}
	})
}

func TestFiniteExecutionTimeout(t *testing.T) {
	t.Parallel()
	f := newFinite(t, emulator.Config{MaxWorkers: 1, MinWorkers: 1, Latency: time.Hour})
	a := f.run("", policyInput(0, 5000))
	b := f.run("", policyInput(0, 5000))
	c := f.run("", textInput(transcript, 0)) // RunPod's default: 600 s
	f.at(4999*time.Millisecond, 2, 1, wk(0, 1, 0, 0, 0))
	f.at(5*sec, 1, 1, wk(0, 1, 0, 0, 0))
	f.job(a, emulator.StatusTimedOut, 0, 5000)
	// The time in the queue does not count.
	f.at(10*sec, 0, 1, wk(0, 1, 0, 0, 0))
	f.job(b, emulator.StatusTimedOut, 5000, 5000)
	f.at(610*sec, 0, 0, wk(1, 0, 0, 0, 0))
	f.job(c, emulator.StatusTimedOut, 10000, 600_000)
	if st := f.srv.Stats(); st.TimedOutRunning != 3 || st.Jobs[emulator.StatusTimedOut] != 3 || st.ExpiredRunning != 0 {
		t.Errorf("stats %+v", st)
	}

	// A stuck job ends by its executionTimeout too.
	g := newFinite(t, emulator.Config{MaxWorkers: 1, MinWorkers: 1,
		Fault: func(string, int) emulator.Fault { return emulator.FaultStuck }})
	id := g.run("", policyInput(0, 7000))
	g.clk.to(7 * sec)
	g.job(id, emulator.StatusTimedOut, 0, 7000)
}

func TestFiniteCancel(t *testing.T) {
	t.Parallel()
	f := newFinite(t, emulator.Config{MaxWorkers: 1, MinWorkers: 1, Latency: 100 * sec})
	a := f.run("", textInput(transcript, 0))
	b := f.run("", textInput(transcript, 0))
	c := f.run("", textInput(transcript, 0))
	f.clk.to(4 * sec)
	f.cancel(b, emulator.StatusCancelled)
	f.job(b, emulator.StatusCancelled, 4000, 0)
	f.at(5*sec, 1, 1, wk(0, 1, 0, 0, 0))
	f.clk.to(10 * sec)
	f.cancel(a, emulator.StatusCancelled)
	f.job(a, emulator.StatusCancelled, 0, 10000)
	// The freed slot takes the next job at once.
	f.at(10*sec, 0, 1, wk(0, 1, 0, 0, 0))
	f.job(c, emulator.StatusInProgress, 10000, 0)
	f.cancel(a, emulator.StatusCancelled) // again: no change
	st := f.srv.Stats()
	if st.CancelledQueued != 1 || st.CancelledRunning != 1 || st.Jobs[emulator.StatusCancelled] != 2 ||
		st.InFlight != 1 || st.ExecutionSeconds != 10 {
		t.Errorf("stats %+v", st)
	}
	f.at(110*sec, 0, 0, wk(1, 0, 0, 0, 0))
	f.job(c, emulator.StatusCompleted, 10000, 100_000)
}

func TestFiniteUnhealthy(t *testing.T) {
	t.Parallel()
	t.Run("jobs sit in the queue and run after recovery", func(t *testing.T) {
		t.Parallel()
		f := newFinite(t, emulator.Config{MaxWorkers: 2, ColdStart: 10 * sec, Latency: 5 * sec})
		if err := f.srv.SetUnhealthy(true); err != nil {
			t.Fatal(err)
		}
		id := f.run("", textInput(transcript, 0))
		f.at(9*sec, 1, 0, wk(0, 0, 1, 0, 0))
		// The first worker crashes; the scaler, seeing the job waited over
		// 4 s and no worker coming, starts another, which crashes too.
		f.at(10*sec, 1, 0, wk(0, 0, 1, 0, 1))
		f.at(20*sec, 1, 0, wk(0, 0, 0, 0, 2))
		f.at(time.Hour, 1, 0, wk(0, 0, 0, 0, 2))
		code, st := f.status("", id)
		if code != http.StatusOK || st.Status != emulator.StatusInQueue || st.Error != "" {
			t.Fatalf("job %d %+v", code, st)
		}
		if err := f.srv.SetUnhealthy(false); err != nil {
			t.Fatal(err)
		}
		f.at(time.Hour, 1, 0, wk(0, 0, 2, 0, 0))
		f.at(time.Hour+10*sec, 0, 1, wk(1, 1, 0, 0, 0))
		f.at(time.Hour+15*sec, 0, 0, wk(1, 0, 0, 0, 0))
		f.job(id, emulator.StatusCompleted, (time.Hour + 10*sec).Milliseconds(), 5000)
		f.at(time.Hour+20*sec, 0, 0, wk(0, 0, 0, 0, 0))
		// Crash loops bill: the first worker from 0 s to 1 h 20 s (it ran
		// the job), the second from 10 s to 1 h 15 s.
		if st := f.srv.Stats(); st.WorkerSeconds != 3620+3605 || st.PeakWorkers != 2 {
			t.Errorf("billed %v peak %d", st.WorkerSeconds, st.PeakWorkers)
		}
	})
	t.Run("running jobs finish first", func(t *testing.T) {
		t.Parallel()
		f := newFinite(t, emulator.Config{MaxWorkers: 1, MinWorkers: 1, ColdStart: 10 * sec, Latency: 10 * sec})
		a := f.run("", textInput(transcript, 0))
		f.clk.to(sec)
		if err := f.srv.SetUnhealthy(true); err != nil {
			t.Fatal(err)
		}
		b := f.run("", textInput(transcript, 0))
		f.at(9*sec, 1, 1, wk(0, 1, 0, 0, 0))
		f.at(10*sec, 1, 0, wk(0, 0, 0, 0, 1))
		f.job(a, emulator.StatusCompleted, 0, 10000)
		f.job(b, emulator.StatusInQueue, 9000, 0)
		f.clk.to(50 * sec)
		if err := f.srv.SetUnhealthy(false); err != nil {
			t.Fatal(err)
		}
		f.at(60*sec, 0, 1, wk(0, 1, 0, 0, 0))
		f.job(b, emulator.StatusInProgress, 59000, 0)
	})
}

func TestFiniteThrottled(t *testing.T) {
	t.Parallel()
	f := newFinite(t, emulator.Config{MaxWorkers: 2, ColdStart: 5 * sec, Latency: 5 * sec})
	if err := f.srv.SetThrottled(true); err != nil {
		t.Fatal(err)
	}
	id := f.run("", textInput(transcript, 0))
	f.at(0, 1, 0, wk(0, 0, 0, 1, 0))
	f.at(5*sec, 1, 0, wk(0, 0, 0, 2, 0))
	f.at(time.Hour, 1, 0, wk(0, 0, 0, 2, 0))
	if st := f.srv.Stats(); st.WorkerSeconds != 0 || st.PeakWorkers != 0 {
		t.Errorf("throttled workers billed %v, peak %d", st.WorkerSeconds, st.PeakWorkers)
	}
	if err := f.srv.SetThrottled(false); err != nil {
		t.Fatal(err)
	}
	f.at(time.Hour, 1, 0, wk(0, 0, 2, 0, 0))
	f.at(time.Hour+5*sec, 0, 1, wk(1, 1, 0, 0, 0))
	// The idle one stops as the other finishes its job.
	f.at(time.Hour+10*sec, 0, 0, wk(1, 0, 0, 0, 0))
	f.job(id, emulator.StatusCompleted, (time.Hour + 5*sec).Milliseconds(), 5000)
	f.at(time.Hour+15*sec, 0, 0, wk(0, 0, 0, 0, 0))
	// Two workers booted at 1 h: one ran to 1 h 15 s, the other idled
	// from 1 h 5 s to 1 h 10 s.
	if st := f.srv.Stats(); st.WorkerSeconds != 15+10 {
		t.Errorf("billed %v", st.WorkerSeconds)
	}
}

func TestFiniteSetMaxWorkers(t *testing.T) {
	t.Parallel()
	f := newFinite(t, emulator.Config{MaxWorkers: 3, Scaler: emulator.ScalerRequestCount, ColdStart: 2 * sec, Latency: 10 * sec})
	for range 3 {
		f.run("", textInput(transcript, 0))
	}
	f.at(3*sec, 0, 3, wk(0, 3, 0, 0, 0))
	if err := f.srv.SetMaxWorkers(1); err != nil {
		t.Fatal(err)
	}
	// Running workers over the limit finish their job, then stop.
	f.run("", textInput(transcript, 0))
	f.at(12*sec, 1, 3, wk(0, 3, 0, 0, 0))
	f.at(13*sec, 0, 1, wk(0, 1, 0, 0, 0))
	if snap := f.srv.Snapshot(); snap.MaxWorkers != 1 {
		t.Errorf("snapshot %+v", snap)
	}
	for _, n := range []int{0, -1} {
		if err := f.srv.SetMaxWorkers(n); err == nil {
			t.Errorf("SetMaxWorkers(%d) accepted", n)
		}
	}
	if err := f.srv.SetMaxWorkers(2); err != nil {
		t.Fatal(err)
	}
	f.run("", textInput(transcript, 0))
	f.run("", textInput(transcript, 0))
	f.at(14*sec, 2, 1, wk(0, 1, 1, 0, 0))
}

func TestFiniteAdminRoute(t *testing.T) {
	t.Parallel()
	f := newFinite(t, emulator.Config{MaxWorkers: 2, ColdStart: sec, APIKey: "k"})
	tests := []struct {
		method, query string
		code          int
		unhealthy     bool
		throttled     bool
		max           int
	}{
		{http.MethodGet, "", http.StatusOK, false, false, 2},
		{http.MethodPost, "?unhealthy=1", http.StatusOK, true, false, 2},
		{http.MethodPost, "?throttled=true&max_workers=3", http.StatusOK, true, true, 3},
		{http.MethodPost, "?unhealthy=0&throttled=false", http.StatusOK, false, false, 3},
		{http.MethodPost, "?unhealthy=maybe", http.StatusBadRequest, false, false, 3},
		{http.MethodPost, "?max_workers=0", http.StatusBadRequest, false, false, 3},
		{http.MethodPost, "?reboot=1", http.StatusBadRequest, false, false, 3},
		{http.MethodDelete, "", http.StatusMethodNotAllowed, false, false, 3},
	}
	for _, tt := range tests {
		code, _, out := f.do(tt.method, emulator.AdminPath+tt.query, nil)
		if code != tt.code {
			t.Fatalf("%s %s: %d %s", tt.method, tt.query, code, out)
		}
		snap := f.srv.Snapshot()
		if snap.Unhealthy != tt.unhealthy || snap.Throttled != tt.throttled || snap.MaxWorkers != tt.max {
			t.Fatalf("%s %s: snapshot %+v", tt.method, tt.query, snap)
		}
		if code == http.StatusOK {
			if got := decode[emulator.Snapshot](t, out); got != snap {
				t.Errorf("%s %s answered %+v, want %+v", tt.method, tt.query, got, snap)
			}
		}
	}
	f.key = ""
	if code, _, _ := f.do(http.MethodPost, emulator.AdminPath+"?unhealthy=1", nil); code != http.StatusUnauthorized {
		t.Errorf("no key: %d", code)
	}
	if st := f.srv.Stats(); len(st.Requests) != 0 {
		t.Errorf("admin requests counted: %v", st.Requests)
	}

	u := newHarness(t, emulator.Config{})
	if code, _, _ := u.do(http.MethodPost, emulator.AdminPath+"?unhealthy=1", nil); code != http.StatusConflict {
		t.Errorf("unlimited mode: %d, want 409", code)
	}
	if code, _, _ := u.do(http.MethodGet, emulator.AdminPath, nil); code != http.StatusOK {
		t.Errorf("unlimited mode GET: %d", code)
	}
}

func TestUnlimitedHasNoWorkersToSwitch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Config{QueueDelay: time.Hour})
	for name, err := range map[string]error{
		"unhealthy": h.srv.SetUnhealthy(true), "throttled": h.srv.SetThrottled(true), "max": h.srv.SetMaxWorkers(2),
	} {
		if !errors.Is(err, emulator.ErrUnlimited) {
			t.Errorf("%s: %v", name, err)
		}
	}
	h.run("", textInput(transcript, 0))
	if snap := h.srv.Snapshot(); snap.InQueue != 1 || snap.Workers != wk(emulator.UnlimitedIdle, 0, 0, 0, 0) || snap.MaxWorkers != 0 {
		t.Errorf("snapshot %+v", snap)
	}
	if st := h.srv.Stats(); st.WorkerSeconds != 0 || st.PeakWorkers != 0 || st.QueueDelays != nil {
		t.Errorf("stats %+v", st)
	}
}

func TestFiniteRunsync(t *testing.T) {
	t.Parallel()
	f := newFinite(t, emulator.Config{MaxWorkers: 1, MinWorkers: 1, RunsyncWait: 50 * time.Millisecond})
	code, _, out := f.do(http.MethodPost, "/runsync", textInput(prompt, 100))
	if st := decode[status](t, out); code != http.StatusOK || st.Status != emulator.StatusCompleted || summaryOf(t, st) == "" {
		t.Fatalf("runsync: %d %s", code, out)
	}
	// No worker free: the wait runs out with the job queued.
	g := newFinite(t, emulator.Config{MaxWorkers: 1, ColdStart: time.Hour, RunsyncWait: 50 * time.Millisecond})
	code, _, out = g.do(http.MethodPost, "/runsync", textInput(prompt, 100))
	if st := decode[status](t, out); code != http.StatusOK || st.Status != emulator.StatusInQueue || st.ID == "" {
		t.Fatalf("runsync: %d %s", code, out)
	}
}

func TestFiniteReset(t *testing.T) {
	t.Parallel()
	f := newFinite(t, emulator.Config{MaxWorkers: 2, MinWorkers: 1, Latency: time.Hour})
	f.run("", textInput(transcript, 0))
	if err := f.srv.SetThrottled(true); err != nil {
		t.Fatal(err)
	}
	f.clk.to(time.Minute)
	f.srv.Reset()
	f.at(time.Minute, 0, 0, wk(1, 0, 0, 0, 0))
	if st := f.srv.Stats(); st.WorkerSeconds != 0 || st.Submitted != 0 || f.srv.Snapshot().Throttled {
		t.Errorf("after Reset: %+v", st)
	}
}
