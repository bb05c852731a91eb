package backend

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/summarizer/summarizer/worker/journal"
	"github.com/summarizer/summarizer/worker/runpod"
)

// scriptedRunPod answers each job's wait from a script: job id → result.
type scriptedRunPod struct {
	mu      sync.Mutex
	next    int
	results map[string]runpod.Result
	errs    map[string]error
}

func (c *scriptedRunPod) Submit(context.Context, string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	return fmt.Sprint("job-", c.next), nil
}

func (c *scriptedRunPod) SubmitInput(ctx context.Context, _ any) (string, error) {
	return c.Submit(ctx, "")
}

func (c *scriptedRunPod) WaitFrom(_ context.Context, id string, _ time.Time) (runpod.Result, error) {
	return c.results[id], c.errs[id]
}

func (c *scriptedRunPod) Abandon(context.Context, string) {}

// resumingJournal hands out one journaled job, then lets the caller claim.
type resumingJournal struct{ id string }

func (j *resumingJournal) Claim(_ context.Context, _, failed string) (journal.JobRef, bool, error) {
	if failed == "" && j.id != "" {
		return journal.JobRef{ID: j.id, Submitted: time.Now()}, false, nil
	}
	return journal.JobRef{}, true, nil
}
func (j *resumingJournal) Record(context.Context, string, string) error { return nil }
func (j *resumingJournal) Release(context.Context, string)              {}

// tracedCall runs one model call under a root span and returns the call's
// span, checked to be the root's child.
func tracedCall(t *testing.T, m RunPodModel, j journal.Journal) (sdktrace.ReadOnlySpan, error) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, root := tp.Tracer("test").Start(context.Background(), "root")
	_, err := m.Complete(ctx, "a prompt", j)
	root.End()
	spans := rec.Ended()
	if len(spans) != 2 || spans[0].Name() != "runpod.job" {
		t.Fatalf("spans %v, want runpod.job then root", spans)
	}
	job := spans[0]
	if job.Parent().SpanID() != root.SpanContext().SpanID() || job.SpanContext().TraceID() != root.SpanContext().TraceID() {
		t.Error("runpod.job is not a child of the caller's span")
	}
	return job, err
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes() {
		out[string(kv.Key)] = kv.Value.Emit()
	}
	return out
}

func eventNames(s sdktrace.ReadOnlySpan) []string {
	var names []string
	for _, e := range s.Events() {
		names = append(names, e.Name)
	}
	return names
}

// A call whose first job FAILED and whose second completed: one span with
// the completed job's id, status and RunPod timings, both ids, the polls of
// both jobs and one resubmit.
func TestRunPodJobSpanResubmit(t *testing.T) {
	t.Parallel()
	c := &scriptedRunPod{
		results: map[string]runpod.Result{
			"job-1": {Polls: 3},
			"job-2": {Text: "summary", DelayTime: 1500 * time.Millisecond, ExecutionTime: 2500 * time.Millisecond, Polls: 2},
		},
		errs: map[string]error{"job-1": &runpod.Error{Op: "status", JobID: "job-1", JobStatus: runpod.StatusFailed}},
	}
	span, err := tracedCall(t, RunPodModel{Client: c, Model: "m"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"runpod.job.id": "job-2", "runpod.job.status": "COMPLETED", "runpod.job.source": "submitted",
		"runpod.job.polls": "5", "runpod.job.resubmits": "1", "runpod.job.ids": `["job-1","job-2"]`,
		"runpod.job.delay_time_ms": "1500", "runpod.job.execution_time_ms": "2500",
	}
	got := attrs(span)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if fmt.Sprint(eventNames(span)) != "[submitted job ended submitted]" {
		t.Errorf("events %v", eventNames(span))
	}
	if span.Status().Code == codes.Error {
		t.Errorf("status %v", span.Status())
	}
}

// A job journaled by an earlier delivery is waited for, not submitted: the
// span says so.
func TestRunPodJobSpanResumed(t *testing.T) {
	t.Parallel()
	c := &scriptedRunPod{results: map[string]runpod.Result{"old-job": {Text: "summary", Polls: 1}}}
	span, err := tracedCall(t, RunPodModel{Client: c, Model: "m"}, &resumingJournal{id: "old-job"})
	if err != nil {
		t.Fatal(err)
	}
	got := attrs(span)
	if got["runpod.job.id"] != "old-job" || got["runpod.job.source"] != "journal" || got["runpod.job.resubmits"] != "0" {
		t.Errorf("attributes %v", got)
	}
	if fmt.Sprint(eventNames(span)) != "[resumed from the journal]" {
		t.Errorf("events %v", eventNames(span))
	}
}

// A job that keeps failing ends the call with an error status and the last
// job's final state.
func TestRunPodJobSpanFailed(t *testing.T) {
	t.Parallel()
	c := &scriptedRunPod{errs: map[string]error{}}
	for i := 1; i <= 3; i++ {
		id := fmt.Sprint("job-", i)
		c.errs[id] = &runpod.Error{Op: "status", JobID: id, JobStatus: runpod.StatusFailed}
	}
	span, err := tracedCall(t, RunPodModel{Client: c, Model: "m", MaxResubmits: 1}, nil)
	if err == nil {
		t.Fatal("no error")
	}
	got := attrs(span)
	if got["runpod.job.status"] != "FAILED" || got["runpod.job.id"] != "job-2" || got["runpod.job.resubmits"] != "1" || span.Status().Code != codes.Error {
		t.Errorf("attributes %v, status %v", got, span.Status())
	}
}

// Without a span in the context the model records nothing and works as before.
func TestRunPodJobUntraced(t *testing.T) {
	t.Parallel()
	c := &scriptedRunPod{results: map[string]runpod.Result{"job-1": {Text: "summary"}}}
	got, err := RunPodModel{Client: c, Model: "m"}.Complete(context.Background(), "p", nil)
	if err != nil || got.Text != "summary" {
		t.Fatalf("%+v, %v", got, err)
	}
}
