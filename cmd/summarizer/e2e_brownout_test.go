package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// binaryWorker is `summarizer run` as a process of the real binary.
type binaryWorker struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

// startBinaryWorker starts `summarizer run` with exactly env. It is stopped
// with SIGTERM (SIGKILL if it does not drain) when the test ends, and its
// logs are shown if the test failed.
func startBinaryWorker(t *testing.T, env map[string]string) *binaryWorker {
	t.Helper()
	cmd := exec.Command(binary, "run")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// If the test binary dies, the worker dies with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	w := &binaryWorker{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w.stderr, w.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		w.err = cmd.Wait()
		close(w.done)
	}()
	t.Cleanup(func() {
		w.stop(t)
		if t.Failed() {
			t.Logf("worker logs:\n%s", w.stderr.String())
		}
	})
	return w
}

// stop sends SIGTERM and waits for the worker to drain, or SIGKILLs it.
func (w *binaryWorker) stop(t *testing.T) {
	select {
	case <-w.done:
		return
	default:
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
		if w.err != nil {
			t.Errorf("worker exited with %v after SIGTERM, want 0", w.err)
		}
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Signal(syscall.SIGKILL)
		<-w.done
		t.Error("worker did not drain within 30 s of SIGTERM")
	}
}

// arrivals records when each /status request reached the emulator.
type arrivals struct {
	mu    sync.Mutex
	times []time.Time
}

func (a *arrivals) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/status/") {
			a.mu.Lock()
			a.times = append(a.times, time.Now())
			a.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

// in counts the requests that arrived in [from, to).
func (a *arrivals) in(from, to time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, at := range a.times {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// A RunPod brownout: every request answered 503 for 20 s while twenty jobs
// are in flight, RUNPOD_POLL_RATE=5. The worker (the real binary) sends at
// most the rate of /status requests meanwhile, and once RunPod is back every
// job's result is used: one job per transcript, none cancelled, nothing
// dead-lettered.
//
// The bound is rate × window + 3 requests: the poll gate's bucket holds one
// token, a request granted just before the fault was switched on may reach
// the emulator just after, and one more for the rounding of the bucket's
// float arithmetic. Arrivals are counted by the emulator's clock over the
// window the test measured: a slow machine only lowers the count.
func TestBrownoutKeepsPollRateEndToEnd(t *testing.T) {
	st := newStack(t)
	var fault atomic.Int32
	em, err := emulator.New(emulator.Config{Latency: 4 * time.Second,
		Fault: func(string, int) emulator.Fault { return emulator.Fault(fault.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	var polls arrivals
	srv := httptest.NewServer(polls.wrap(em))
	t.Cleanup(srv.Close)
	const (
		n        = 20
		rate     = 5
		brownout = 20 * time.Second
	)
	env := st.env(srv.URL+"/v2/brownout", "CONCURRENCY=24", fmt.Sprintf("RUNPOD_POLL_RATE=%d", rate), "LOG_LEVEL=info")
	startBinaryWorker(t, env)
	objs := map[string][]byte{}
	for i := range n {
		objs[fmt.Sprintf("brownout/%02d.txt", i)] = fmt.Appendf(nil, "%s\nDana: Item %d is due on day %d.\n", sampleTranscript, i, i%28+1)
	}
	st.putMany(objs)
	waitFor(t, 60*time.Second, "every job in flight", func() bool { return em.Stats().Submitted == n })

	from := time.Now()
	fault.Store(int32(emulator.Fault503))
	time.Sleep(brownout)
	fault.Store(int32(emulator.FaultNone))
	to := time.Now()

	got := polls.in(from, to)
	window := to.Sub(from)
	bound := int(rate*window.Seconds()) + 3
	waitFor(t, 90*time.Second, "every summary", func() bool { return len(st.summaryKeys()) == n })
	waitFor(t, 30*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	s := em.Stats()
	t.Logf("%d jobs in flight, every RunPod request 503 for %v, RUNPOD_POLL_RATE=%d: %d /status requests during the brownout (%.1f/s; bound %d); jobs submitted %d, final %v, cancels %d",
		n, window.Round(time.Millisecond), rate, got, float64(got)/window.Seconds(), bound, s.Submitted, s.Jobs, s.Requests[emulator.OpCancel])
	if got > bound {
		t.Errorf("%d /status requests in a %v brownout at RUNPOD_POLL_RATE=%d, want at most %d", got, window, rate, bound)
	}
	if s.Submitted != n || s.Jobs[emulator.StatusCompleted] != n {
		t.Errorf("%d jobs submitted, %d completed, want %d each: no job may be paid twice", s.Submitted, s.Jobs[emulator.StatusCompleted], n)
	}
	if c := s.Requests[emulator.OpCancel]; c != 0 {
		t.Errorf("%d /cancel requests, want none", c)
	}
	if got := len(st.summaryKeys()); got != n {
		t.Errorf("%d summaries, want %d", got, n)
	}
	if c := st.count(st.dlqURL); c != 0 {
		t.Errorf("DLQ holds %d: %v", c, st.dead())
	}
}
