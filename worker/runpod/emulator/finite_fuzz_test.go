package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// FuzzFinite drives a finite endpoint with a random sequence of submits,
// cancels, clock steps and switches, and checks its invariants after each:
// every job ends once and never changes after; the workers never exceed
// MaxWorkers; /health, Snapshot and Stats agree; no job starts while the
// endpoint is unhealthy, and none waits beside an idle worker while it is
// healthy; billed time covers executed time.
func FuzzFinite(f *testing.F) {
	f.Add([]byte{2, 1, 0, 1, 3, 0, 0, 10, 0, 20, 2, 50, 0, 5, 2, 200, 2, 200})
	f.Add([]byte{3, 0, 2, 1, 30, 1, 0, 3, 1, 0, 4, 0, 0, 7, 2, 90, 3, 2, 90, 1, 0, 4, 0, 2, 250})
	f.Add([]byte{1, 1, 1, 0, 0, 0, 0, 1, 0, 2, 0, 3, 1, 1, 2, 5, 1, 2, 2, 255, 2, 255})
	f.Add([]byte{4, 2, 3, 2, 10, 1, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 2, 30, 5, 0, 5, 1, 2, 100, 4, 2, 40})
	f.Fuzz(checkFinite)
}

// checkFinite is FuzzFinite's body.
func checkFinite(t *testing.T, data []byte) {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := int(data[0])
		data = data[1:]
		return b
	}
	clk := newClock()
	cfg := emulator.Config{
		Clock:             clk.Now,
		Logger:            zap.NewNop(),
		MaxWorkers:        1 + next()%4,
		WorkerConcurrency: 1 + next()%3,
		Scaler:            []string{emulator.ScalerQueueDelay, emulator.ScalerRequestCount}[next()%2],
		ColdStart:         time.Duration(next()%40) * time.Second,
		TTLExpiry:         []string{emulator.TTLExpiryDelete, emulator.TTLExpiryTimedOut}[next()%2],
		FlashBoot:         time.Second,
		ScalerValue:       next() % 4,
		Retention:         time.Hour,
		LatencyFor: func(prompt string) time.Duration {
			return time.Duration(len(prompt)) * 500 * time.Millisecond
		},
	}
	cfg.MinWorkers = next() % (cfg.MaxWorkers + 1)
	srv, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) (int, []byte) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		return rec.Code, rec.Body.Bytes()
	}
	var (
		ids                  []string
		final                = map[string]string{} // id -> final status
		unhealthy, throttled bool
		elapsed              time.Duration
		prev                 emulator.Snapshot
	)
	for steps := 0; len(data) > 0 && steps < 200; steps++ {
		wasUnhealthy := unhealthy
		switch op, arg := next()%6, next(); op {
		case 0: // submit: a prompt of arg%20 bytes runs arg%20 * 0.5 s
			pol := ""
			if arg%3 == 0 {
				pol = fmt.Sprintf(`,"policy":{"ttl":%d,"executionTimeout":%d}`, 1000*(1+arg%30), 1000*(1+arg%7))
			}
			code, out := call(http.MethodPost, "/run", `{"input":{"text":"`+strings.Repeat("a", arg%20)+`"}`+pol+`}`)
			if code != http.StatusOK {
				t.Fatalf("run: %d %s", code, out)
			}
			var r struct{ ID string }
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		case 1: // cancel
			if len(ids) > 0 {
				call(http.MethodPost, "/cancel/"+ids[arg%len(ids)], "")
			}
		case 2: // step the clock by arg * 100 ms
			elapsed += time.Duration(arg) * 100 * time.Millisecond
			clk.to(elapsed)
		case 3:
			unhealthy = !unhealthy
			if err := srv.SetUnhealthy(unhealthy); err != nil {
				t.Fatal(err)
			}
		case 4:
			throttled = !throttled
			if err := srv.SetThrottled(throttled); err != nil {
				t.Fatal(err)
			}
		case 5: // status
		}

		for _, id := range ids {
			code, out := call(http.MethodGet, "/status/"+id, "")
			var st struct {
				Status                   string
				DelayTime, ExecutionTime int64
			}
			if code == http.StatusOK {
				if err := json.Unmarshal(out, &st); err != nil {
					t.Fatal(err)
				}
			}
			was, ended := final[id]
			switch {
			case code == http.StatusNotFound:
				// Deleted by its ttl: it ended TIMED_OUT, or just now.
				if ended && was != emulator.StatusTimedOut {
					t.Fatalf("job %s ended %s, then vanished", id, was)
				}
				final[id] = emulator.StatusTimedOut
			case code != http.StatusOK:
				t.Fatalf("status %s: %d", id, code)
			case ended && st.Status != was:
				t.Fatalf("job %s ended %s, then is %s", id, was, st.Status)
			case st.Status != emulator.StatusInQueue && st.Status != emulator.StatusInProgress:
				final[id] = st.Status
			}
			if st.DelayTime < 0 || st.ExecutionTime < 0 {
				t.Fatalf("job %s: %+v", id, st)
			}
		}

		snap := srv.Snapshot()
		stats := srv.Stats()
		ws := snap.Workers
		if n := ws.Idle + ws.Running + ws.Initializing + ws.Throttled + ws.Unhealthy; n > cfg.MaxWorkers {
			t.Fatalf("%d workers, max %d: %+v", n, cfg.MaxWorkers, ws)
		}
		if ws.Ready != ws.Idle || snap.Unhealthy != unhealthy || snap.Throttled != throttled {
			t.Fatalf("snapshot %+v", snap)
		}
		if stats.PeakWorkers > cfg.MaxWorkers || stats.PeakWorkers < ws.Idle+ws.Running+ws.Initializing {
			t.Fatalf("peak %d, now %+v", stats.PeakWorkers, ws)
		}
		ended := 0
		for _, n := range stats.Jobs {
			ended += n
		}
		if ended+stats.InFlight != stats.Submitted || stats.InFlight != snap.InQueue+snap.InProgress ||
			stats.Submitted != len(ids) {
			t.Fatalf("jobs: ended %d + in flight %d != submitted %d; snapshot %+v", ended, stats.InFlight, stats.Submitted, snap)
		}
		if snap.InProgress > ws.Running*cfg.WorkerConcurrency || (ws.Running > 0) != (snap.InProgress > 0) {
			t.Fatalf("%d jobs in progress on %d running workers", snap.InProgress, ws.Running)
		}
		if wasUnhealthy && unhealthy && snap.InProgress > prev.InProgress {
			t.Fatalf("a job started while unhealthy: %+v then %+v", prev, snap)
		}
		if stats.WorkerSeconds*float64(cfg.WorkerConcurrency)+1e-6 < stats.ExecutionSeconds {
			t.Fatalf("billed %v s x %d < executed %v s", stats.WorkerSeconds, cfg.WorkerConcurrency, stats.ExecutionSeconds)
		}
		if !unhealthy && snap.InQueue > 0 && ws.Idle > 0 {
			t.Fatalf("jobs queued beside an idle worker: %+v", snap)
		}
		prev = snap
	}
}
