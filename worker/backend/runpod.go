package backend

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/worker/internal/span"
	"github.com/summarizer/summarizer/worker/journal"
	"github.com/summarizer/summarizer/worker/runpod"
)

// runPodClient is the part of the RunPod client the model uses.
type runPodClient interface {
	Submit(ctx context.Context, prompt string) (string, error)
	SubmitInput(ctx context.Context, input any) (string, error)
	WaitFrom(ctx context.Context, jobID string, submitted time.Time) (runpod.Result, error)
	Abandon(ctx context.Context, jobID string)
}

var _ runPodClient = (*runpod.Client)(nil)

// MaxResubmitsDefault is RunPodModel.MaxResubmits when zero.
const MaxResubmitsDefault = 2

// RunPodModel runs prompts as RunPod Serverless jobs. It is the one place
// that decides about jobs: each prompt takes a place in the admission
// window (Window) before its journal is consulted, is claimed in the
// journal before its job is submitted and the job id journaled right
// after; a journaled job is waited for instead of submitted again, a job
// that FAILED, was CANCELLED by someone else or expired is replaced (at
// most MaxResubmits times per call), a job that waited out its ttl in
// RunPod's queue is replaced without counting (it never ran: the endpoint
// did not drain), and a job is cancelled only when its transcript is given
// up for good (ErrGiveUp) or its budget at RunPod (JOB_TIMEOUT of
// execution, JOB_TTL unstarted) passes.
type RunPodModel struct {
	Client runPodClient
	Model  string // e.g. "google/flan-t5-xl"
	// Window is the admission window jobs take a place in before they are
	// submitted or waited for, the journal (one per transcript) naming
	// their group; nil admits every job at once.
	Window *runpod.Window
	// MaxResubmits is how often a job that failed or expired is submitted
	// again within one call (default MaxResubmitsDefault; negative: never).
	MaxResubmits int
	Metrics      *Metrics
	Logger       *zap.Logger
}

// NewRunPodModel returns the model of a RunPod endpoint: a client made from
// cfg, counting into metrics (nil: none), named model in summaries.
func NewRunPodModel(cfg runpod.Config, model string, metrics *Metrics) (RunPodModel, error) {
	metrics.instrument(&cfg)
	c, err := runpod.New(cfg)
	if err != nil {
		return RunPodModel{}, err
	}
	metrics.watch(c.Window())
	return RunPodModel{Client: c, Model: model, Window: c.Window(), Metrics: metrics, Logger: cfg.Logger}, nil
}

// Name is the model's name.
func (m RunPodModel) Name() string { return m.Model }

// Complete answers prompt with the prompt's journaled job, or a new one.
func (m RunPodModel) Complete(ctx context.Context, prompt string, j journal.Journal) (Completion, error) {
	return m.run(ctx, journal.PromptKey(prompt), j, func(ctx context.Context) (string, error) { return m.Client.Submit(ctx, prompt) })
}

// CompleteInput is Complete for a whole "input" object built by the caller
// (url mode), journaled under key.
func (m RunPodModel) CompleteInput(ctx context.Context, key string, input any, j journal.Journal) (Completion, error) {
	return m.run(ctx, key, j, func(ctx context.Context) (string, error) { return m.Client.SubmitInput(ctx, input) })
}

// run answers one prompt with a RunPod job: the journaled one, or one it
// submits, replaced when it fails or expires. Its span, "runpod.job",
// records the job it ended with and how it got there.
func (m RunPodModel) run(ctx context.Context, key string, j journal.Journal, submit func(context.Context) (string, error)) (c Completion, err error) {
	ctx, sp := span.Start(ctx, "runpod.job", span.PromptKey.String(key))
	jt := jobTrace{sp: sp}
	defer func() { jt.end(c, err) }()
	log := m.Logger
	if log == nil {
		log = zap.NewNop()
	}
	log = span.Log(ctx, log)
	resubmits := m.MaxResubmits
	if resubmits == 0 {
		resubmits = MaxResubmitsDefault
	}
	if j == nil {
		j = journal.None{}
	}
	var ids []string
	failed := ""
	for attempt := 0; ; {
		// A place in the window first: the job, new or journaled, is at
		// RunPod until its wait ends.
		release, err := m.Window.Acquire(ctx, j)
		if err != nil {
			return Completion{JobIDs: ids}, err
		}
		res, ref, claimed, err := m.job(ctx, key, j, failed, submit, &jt, log)
		release()
		if ref.ID != "" {
			ids = append(ids, ref.ID)
		}
		if err == nil {
			m.Metrics.observeJob(res)
			return Completion{Text: res.Text, JobIDs: ids}, nil
		}
		if ref.ID == "" || errors.Is(err, errResubmit) {
			if errors.Is(err, errResubmit) {
				continue // the claim was taken over while our job was submitted
			}
			return Completion{JobIDs: ids}, err
		}
		if ctx.Err() != nil {
			if errors.Is(context.Cause(ctx), ErrGiveUp) {
				m.Client.Abandon(ctx, ref.ID)
				jt.status = runpod.StatusAbandoned
			} else {
				sp.AddEvent("stopped waiting: the job runs on, journaled", trace.WithAttributes(span.JobID.String(ref.ID)))
			}
			return Completion{JobIDs: ids}, err
		}
		switch {
		case runpod.IsWaitedOut(err):
			// It never ran: RunPod's queue did not move for its whole ttl.
			// A new job costs nothing the old one cost, and no attempt.
			log.Warn("job waited out its ttl in RunPod's queue without running: submitting it again", zap.String("job_id", ref.ID))
		case !claimed && jobEnded(err):
			// An earlier delivery's job that ended badly: that failure was
			// that delivery's; this one submits its own job.
			log.Info("journaled job ended without a usable result: submitting a new one", zap.String("job_id", ref.ID), zap.Error(err))
		case attempt < resubmits && resubmittable(err):
			attempt++
			log.Info("job failed or expired: submitting it again", zap.String("job_id", ref.ID), zap.Int("resubmit", attempt), zap.Error(err))
		default:
			return Completion{JobIDs: ids}, err
		}
		failed = ref.ID
		jt.resubmits++
	}
}

// errResubmit says a submitted job was a duplicate (its claim was taken
// over meanwhile) and has been cancelled: the call claims again.
var errResubmit = errors.New("claim taken over while the job was submitted")

// job finds the prompt's journaled job or claims the prompt and submits
// one, then waits for it. ref is the job waited for (zero if none);
// claimed says whether this call submitted it.
func (m RunPodModel) job(ctx context.Context, key string, j journal.Journal, failed string, submit func(context.Context) (string, error),
	jt *jobTrace, log *zap.Logger) (res runpod.Result, ref journal.JobRef, claimed bool, err error) {
	ref, claimed, err = j.Claim(ctx, key, failed)
	if err != nil {
		return res, journal.JobRef{}, false, err
	}
	if claimed {
		if err := ctx.Err(); err != nil {
			j.Release(ctx, key)
			return res, journal.JobRef{}, true, err
		}
		// Claim, /run and Record go through together even if the caller
		// stops meanwhile: a job submitted but not journaled would be paid
		// for again by the next delivery.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), journal.SubmitTimeout)
		id, err := submit(sctx)
		cancel()
		if err != nil {
			j.Release(ctx, key)
			return res, journal.JobRef{}, true, err
		}
		ref = journal.JobRef{ID: id, Submitted: time.Now()}
		jt.started(id, jobSubmitted)
		switch err := j.Record(ctx, key, id); {
		case errors.Is(err, journal.ErrClaimLost):
			log.Warn("another delivery took this prompt over while its job was submitted: cancelling ours", zap.String("job_id", id))
			m.Client.Abandon(ctx, id)
			return res, journal.JobRef{}, true, errResubmit
		case err != nil:
			log.Warn("could not journal the job: a crash now would pay for it again", zap.String("job_id", id), zap.Error(err))
		}
	} else {
		log.Debug("waiting for a journaled job", zap.String("job_id", ref.ID))
		jt.started(ref.ID, jobJournaled)
	}
	if ref.Submitted.IsZero() {
		ref.Submitted = time.Now()
	}
	res, err = m.Client.WaitFrom(ctx, ref.ID, ref.Submitted)
	jt.waited(res, err)
	return res, ref, claimed, err
}

// How a model call came by its job.
const (
	jobSubmitted = "submitted" // this call submitted it
	jobJournaled = "journal"   // an earlier delivery did: resumed from the journal
)

// jobTrace gathers what one model call did with RunPod jobs for its span:
// the last job's id, source and final status, RunPod's delayTime and
// executionTime of the job that completed, and, over every job of the
// call, the /status polls and the replacements of failed jobs.
type jobTrace struct {
	sp        trace.Span
	id        string
	source    string
	status    string
	polls     int
	resubmits int
	res       runpod.Result
}

func (t *jobTrace) started(id, source string) {
	t.id, t.source, t.status = id, source, ""
	what := "submitted"
	if source == jobJournaled {
		what = "resumed from the journal"
	}
	t.sp.AddEvent(what, trace.WithAttributes(span.JobID.String(id)))
}

func (t *jobTrace) waited(res runpod.Result, err error) {
	t.polls += res.Polls
	t.res = res
	var re *runpod.Error
	switch {
	case err == nil:
		t.status = runpod.StatusCompleted
	case errors.As(err, &re) && re.JobStatus != "":
		t.status = re.JobStatus
		t.sp.AddEvent("job ended", trace.WithAttributes(span.JobID.String(t.id), span.JobStatus.String(re.JobStatus), span.Polls.Int(res.Polls)))
	}
}

func (t *jobTrace) end(c Completion, err error) {
	if t.sp.IsRecording() {
		t.sp.SetAttributes(span.Polls.Int(t.polls), span.Resubmits.Int(t.resubmits))
		if t.id != "" {
			t.sp.SetAttributes(span.JobID.String(t.id), span.JobSource.String(t.source))
		}
		if len(c.JobIDs) > 1 {
			t.sp.SetAttributes(span.JobIDs.StringSlice(c.JobIDs))
		}
		if t.status != "" {
			t.sp.SetAttributes(span.JobStatus.String(t.status))
		}
		if t.res.DelayTime > 0 || t.res.ExecutionTime > 0 {
			t.sp.SetAttributes(span.Delay.Int64(t.res.DelayTime.Milliseconds()), span.Execution.Int64(t.res.ExecutionTime.Milliseconds()))
		}
	}
	span.End(t.sp, err)
}

// jobEnded reports whether err says the job itself is over without a usable
// result (any final state but COMPLETED with output, or forgotten by RunPod).
func jobEnded(err error) bool {
	var re *runpod.Error
	return errors.As(err, &re) && (re.JobStatus != "" || re.Expired())
}

// Abandon cancels jobs of a transcript given up for good.
func (m RunPodModel) Abandon(ctx context.Context, ids []string) {
	for _, id := range ids {
		m.Client.Abandon(ctx, id)
	}
}

// resubmittable reports whether a job's failure may go away with a new job:
// it expired, FAILED, was CANCELLED by someone else, or COMPLETED without a
// usable output (worker-vllm reports some failures that way).
func resubmittable(err error) bool {
	var re *runpod.Error
	if errors.As(err, &re) {
		switch re.JobStatus {
		case runpod.StatusFailed, runpod.StatusCancelled, runpod.StatusCompleted:
			return true
		}
		return re.Expired()
	}
	return false
}
