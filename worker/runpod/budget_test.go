package runpod

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

// JOB_TIMEOUT is an execution budget: a job that waits in RunPod's queue
// longer than it is polled on, never cancelled for waiting; once it runs
// longer than JobTimeout from its start it is given up and cancelled.
func TestJobTimeoutCountsFromStart(t *testing.T) {
	t.Parallel()
	const queuedPolls = 25 // at PollMax 20 ms, well past the 100 ms JobTimeout
	f := (&fakeRunPod{status: func(id string, n int) reply {
		if n <= queuedPolls {
			return ok(statusBody(id, StatusInQueue, ""))
		}
		return ok(`{"id":"` + id + `","status":"IN_PROGRESS","delayTime":1}`)
	}}).start(t)
	cfg := testConfig(t, f.url())
	cfg.JobTimeout, cfg.JobTTL = 100*time.Millisecond, time.Minute
	c := newTestClient(t, cfg)

	_, ids, err := summarizeJob(t.Context(), c, "prompt")
	e := asError(t, err)
	if !errors.Is(err, ErrJobTimeout) || e.JobStatus != StatusAbandoned || e.WaitedOut() || errClass(err) != "temporary" {
		t.Fatalf("err = %v (status %q, waited out %v), want a temporary ABANDONED at ErrJobTimeout", err, e.JobStatus, e.WaitedOut())
	}
	reqs, _, cancels := f.snapshot()
	if !slices.Equal(cancels, []string{"job-1"}) || !slices.Equal(ids, []string{"job-1"}) {
		t.Errorf("cancels %v JobIDs %v, want [job-1] each", cancels, ids)
	}
	if polls := f.pollCount(); polls <= queuedPolls {
		t.Errorf("%d polls: the job was given up while it waited in the queue", polls)
	}
	if body := httpapitest.DecodeJSON(t, reqs[0].body); !reflect.DeepEqual(body["policy"], map[string]any{"executionTimeout": float64(100), "ttl": float64(60000)}) {
		t.Errorf("policy = %v, want executionTimeout JobTimeout and ttl JobTTL", body["policy"])
	}
}

// A job that never leaves RunPod's queue is given up at its ttl (JobTTL),
// not at JobTimeout, and reported as waited out: the message is held as an
// outage, never blamed.
func TestQueuedJobWaitsOutItsTTL(t *testing.T) {
	t.Parallel()
	f := (&fakeRunPod{status: func(id string, n int) reply { return ok(statusBody(id, StatusInQueue, "")) }}).start(t)
	cfg := testConfig(t, f.url())
	cfg.JobTimeout, cfg.JobTTL = 20*time.Millisecond, 300*time.Millisecond
	c := newTestClient(t, cfg)
	_, _, err := summarizeJob(t.Context(), c, "prompt")
	e := asError(t, err)
	if !errors.Is(err, ErrJobTTL) || e.JobStatus != StatusAbandoned || !e.WaitedOut() || !IsWaitedOut(err) {
		t.Fatalf("err = %v (status %q, waited out %v), want ABANDONED at ErrJobTTL, waited out", err, e.JobStatus, e.WaitedOut())
	}
	if cause, held := outcome.IsHeld(err); !held || cause != outcome.CauseOutage {
		t.Errorf("class = %+v, want held as an outage", outcome.Of(err))
	}
	if _, _, cancels := f.snapshot(); !slices.Equal(cancels, []string{"job-1"}) {
		t.Errorf("cancels %v, want job-1", cancels)
	}
}

// RunPod ends a job that waited out its ttl itself: one page says it is
// then gone (404), another that it is TIMED_OUT. Both are waited out when
// the job never ran; a TIMED_OUT job that ran is an ordinary failure.
func TestTTLExpiryAtRunPod(t *testing.T) {
	t.Parallel()
	const ttl = 200 * time.Millisecond
	tests := []struct {
		name      string
		expired   reply
		waitedOut bool
		status    string
	}{
		{"404", code(404), true, ""},
		{"TIMED_OUT without execution", ok(`{"id":"job-1","status":"TIMED_OUT","delayTime":200}`), true, StatusTimedOut},
		{"TIMED_OUT after running", ok(`{"id":"job-1","status":"TIMED_OUT","delayTime":100,"executionTime":100}`), false, StatusTimedOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var submitted time.Time
			f := (&fakeRunPod{status: func(id string, n int) reply {
				if time.Since(submitted) < ttl {
					return ok(statusBody(id, StatusInQueue, ""))
				}
				return tt.expired
			}}).start(t)
			cfg := testConfig(t, f.url())
			cfg.JobTimeout, cfg.JobTTL = 50*time.Millisecond, ttl
			c := newTestClient(t, cfg)
			submitted = time.Now()
			_, err := c.WaitFrom(t.Context(), "job-1", submitted)
			e := asError(t, err)
			if e.WaitedOut() != tt.waitedOut {
				t.Fatalf("err = %v: waited out %v, want %v", err, e.WaitedOut(), tt.waitedOut)
			}
			if tt.status != "" && e.JobStatus != tt.status {
				t.Errorf("JobStatus %q, want %q", e.JobStatus, tt.status)
			}
			if !tt.waitedOut && outcome.Of(err).Kind != outcome.Retried {
				t.Errorf("class %+v, want retried: the job itself failed", outcome.Of(err))
			}
		})
	}
}

// A job resumed long after its submission, still within its ttl, is waited
// for, not given up: JobTimeout no longer counts from the submission.
func TestResumedQueuedJobIsWaitedFor(t *testing.T) {
	t.Parallel()
	f := (&fakeRunPod{status: func(id string, n int) reply {
		if n < 3 {
			return ok(statusBody(id, StatusInQueue, ""))
		}
		return ok(statusBody(id, StatusCompleted, `{"summary":"done"}`))
	}}).start(t)
	cfg := testConfig(t, f.url())
	cfg.JobTimeout, cfg.JobTTL = 100*time.Millisecond, time.Hour
	c := newTestClient(t, cfg)
	res, err := c.WaitFrom(t.Context(), "old-job", time.Now().Add(-30*time.Minute))
	if err != nil || res.Text != "done" {
		t.Fatalf("WaitFrom = %+v, %v; want the job's summary", res, err)
	}
	if _, _, cancels := f.snapshot(); len(cancels) != 0 {
		t.Errorf("cancels %v, want none", cancels)
	}
}
