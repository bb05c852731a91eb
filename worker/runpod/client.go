package runpod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

// Job states reported by RunPod's /status, plus the two this client adds for OnJob.
const (
	StatusInQueue    = "IN_QUEUE"
	StatusInProgress = "IN_PROGRESS"
	StatusCompleted  = "COMPLETED"
	StatusFailed     = "FAILED"
	StatusCancelled  = "CANCELLED"
	StatusTimedOut   = "TIMED_OUT"
	// StatusExpired: /status answered 404, RunPod no longer knows the job.
	StatusExpired = "EXPIRED"
	// StatusAbandoned: the job was given up for good (JobTimeout, or the caller's
	// Abandon) and POST /cancel was sent.
	StatusAbandoned = "ABANDONED"
)

// Client talks to one RunPod Serverless endpoint. It is safe for concurrent use; a
// single Client should serve the whole process.
type Client struct {
	cfg   Config // with defaults; holds the API key: never print it
	base  string // EndpointURL without trailing slash
	input inputBuilder
	log   *zap.Logger

	// Adaptive polling: the jobs of one endpoint take similar times, so a
	// job's first poll aims at when jobs have been finishing.
	est *jobDuration
	// gate paces every /status request of the process.
	gate *pollGate
	// win is the admission window (nil: none, Config.QueueDelay 0).
	win *Window
}

// New applies the defaults to cfg, validates it and returns a Client.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("runpod: invalid config: %w", err)
	}
	input := inputBuilders[cfg.InputFormat]
	if cfg.InputFormat == InputFormatTemplate {
		var err error
		if input, err = newTemplateInput(cfg.InputTemplate, cfg.APIKey); err != nil {
			return nil, fmt.Errorf("runpod: invalid config: %w", err)
		}
	}
	c := &Client{
		cfg:   cfg,
		base:  strings.TrimRight(cfg.EndpointURL, "/"),
		input: input,
		log:   cfg.Logger,

		est:  &jobDuration{},
		gate: newPollGate(cfg.PollRate),
	}
	if cfg.QueueDelay > 0 {
		c.win = newWindow(c)
	}
	return c, nil
}

// Window is the client's admission window, nil when Config.QueueDelay is 0
// (a nil *Window admits everything). Callers take a job's place with
// Window().Acquire before they submit it (or wait for a journaled one) and
// release it when they stop waiting for it.
func (c *Client) Window() *Window { return c.win }

// Close stops what the client runs in the background (the admission
// window's /health requests). Jobs are not touched.
func (c *Client) Close() { c.win.Close() }

// String describes the client without the API key.
func (c Client) String() string {
	return fmt.Sprintf("runpod.Client{endpoint:%q format:%q}", httpapi.RedactURL(c.base), c.cfg.InputFormat)
}

// Format makes every fmt verb print String, so the API key held by the client never
// reaches fmt output.
func (c Client) Format(f fmt.State, verb rune) { httpapi.FormatString(f, verb, c.String()) }

// Result is the outcome of a successful Wait.
type Result struct {
	// Text is the extracted, cleaned output (see ExtractOutput).
	Text string
	// DelayTime is the completed job's time in queue, as reported by RunPod.
	DelayTime time.Duration
	// ExecutionTime is the completed job's execution time, as reported by RunPod.
	ExecutionTime time.Duration
	// Polls is how many /status requests the wait made.
	Polls int
}

// Submit sends prompt with POST /run and returns the new job's id. It does not wait;
// Wait polls the job. Retried within the client (Config.MaxAttempts); note that a /run
// retried after a network error may have created a job whose id was never received.
// A prompt that cannot be sent (empty, over MaxPayloadBytes) is an error that
// dead-letters the work (backend_rejected) and nothing is sent.
func (c *Client) Submit(ctx context.Context, prompt string) (jobID string, err error) {
	body, err := c.checkedRunBody(prompt)
	if err != nil {
		return "", err
	}
	return c.submit(ctx, body)
}

// SubmitInput is Submit for callers that build the whole "input" object themselves,
// e.g. url mode, where a worker of your own fetches the transcript:
//
//	client.SubmitInput(ctx, map[string]string{"url": presignedGetURL})
//
// sends {"input":{"url":"..."},"policy":{...}}. input must encode (encoding/json, no
// HTML escaping) to a JSON object of at most MaxPayloadBytes with the policy, else the
// error dead-letters the work (backend_rejected) and nothing is sent.
// Config.InputFormat and MaxNewTokens do not apply. The input is never logged or
// quoted in errors: a presigned URL is a credential.
func (c *Client) SubmitInput(ctx context.Context, input any) (jobID string, err error) {
	body, err := c.checkedInputBody(input)
	if err != nil {
		return "", err
	}
	return c.submit(ctx, body)
}

func (c *Client) checkedRunBody(prompt string) ([]byte, error) {
	if strings.TrimSpace(prompt) == "" {
		return nil, &Error{Op: opRun, Err: errors.New("empty prompt"), kind: httpapi.Permanent}
	}
	body, err := c.runBody(prompt)
	if err != nil {
		var te *errTemplate
		if errors.As(err, &te) {
			// The template, not the prompt, is at fault: an operator must fix it.
			return nil, &Error{Op: opRun, Err: redactErr(err, c.cfg.APIKey), kind: httpapi.Config}
		}
		return nil, &Error{Op: opRun, Err: err, kind: httpapi.Permanent}
	}
	return checkedSize(body)
}

func (c *Client) checkedInputBody(input any) ([]byte, error) {
	raw, err := inputObject(input)
	if err != nil {
		return nil, &Error{Op: opRun, Err: err, kind: httpapi.Permanent}
	}
	body, err := c.encodeRun(raw)
	if err != nil {
		return nil, &Error{Op: opRun, Err: err, kind: httpapi.Permanent}
	}
	return checkedSize(body)
}

// checkedSize rejects a /run body over RunPod's payload limit: the input is at fault.
func checkedSize(body []byte) ([]byte, error) {
	if len(body) > MaxPayloadBytes {
		return nil, &Error{Op: opRun, StatusCode: 0, kind: httpapi.Permanent,
			Err: fmt.Errorf("request of %d bytes exceeds RunPod's %d byte payload limit", len(body), MaxPayloadBytes)}
	}
	return body, nil
}

func (c *Client) submit(ctx context.Context, body []byte) (string, error) {
	var out struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := c.do(ctx, request{op: opRun, method: http.MethodPost, path: "/run", body: body}, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", &Error{Op: opRun, Err: errors.New("answer has no job id"), kind: httpapi.Transient}
	}
	c.log.Debug("runpod job submitted", zap.String("job_id", out.ID), zap.String("status", out.Status))
	return out.ID, nil
}

// Wait polls job jobID until it reaches a final state, under Config.JobTimeout counted
// from the call. See WaitFrom.
func (c *Client) Wait(ctx context.Context, jobID string) (Result, error) {
	return c.WaitFrom(ctx, jobID, time.Now())
}

// WaitFrom polls job jobID, submitted at submitted, until it reaches a final state.
// It does not resubmit: FAILED, CANCELLED and TIMED_OUT are returned as errors with
// JobStatus set, and a job RunPod no longer knows gives an error for which IsExpired
// is true.
//
// Every /status request waits for a token of the Client's poll gate (Config.PollRate),
// and a failed poll (429, 408, 5xx, network, a garbled answer) is not retried at
// once: the job is polled again later, through the gate, at a growing interval or
// after the answer's Retry-After (capped at RetryMax); a run of 429s slows every poll
// of the process down. A brownout of RunPod's API thus neither exceeds PollRate nor
// gives the job up. Only a 401, 403 or another answer that is not transient ends the
// wait early.
//
// A job is given up at the end of its budget, which RunPod itself enforces: its
// Config.JobTTL counted from submitted while it has not been seen started (time in
// RunPod's queue costs nothing and is never a reason to give up before that), its
// Config.JobTimeout counted from its start once it has (the start RunPod's delayTime
// places, or when it was first seen running). Then the job is looked at one last
// time, ahead of every other poll at the gate; that look is tried again with
// full-jitter backoff (or the answer's Retry-After) until RunPod answers. A job seen
// in a final state is returned as any poll would return it; a job seen still queued
// or running, or forgotten, is given up for good: cancelled at RunPod (POST /cancel,
// reported as ABANDONED, wrapping ErrJobTTL or ErrJobTimeout). A job whose state the
// last look never saw is never cancelled. A job that never started before its ttl
// (abandoned at it, forgotten by RunPod, or reported TIMED_OUT without execution) is
// reported with Error.WaitedOut true.
//
// While the job waits in RunPod's queue and the client's Window says the endpoint
// is stalled, the caller's message is held in place (outcome.HoldInPlace, cause
// outage); the wait goes on, and the job runs when workers recover.
//
// When ctx is cancelled (before the budget ends, or during the last look), Wait
// returns at once with an error wrapping ctx's error and the job is left running:
// whoever holds its id can wait for it again (results are kept 30 minutes), or
// Abandon it.
func (c *Client) WaitFrom(ctx context.Context, jobID string, submitted time.Time) (Result, error) {
	if jobID == "" {
		return Result{}, &Error{Op: opStatus, Err: errors.New("empty job id"), kind: httpapi.Permanent}
	}
	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	b := &budget{ttl: c.cfg.JobTTL, timeout: c.cfg.JobTimeout, submitted: submitted, end: cancel}
	b.arm()
	defer b.disarm()
	return c.wait(ctx, jctx, b, jobID)
}

// budget is when the wait for one job gives it up: at its ttl from its
// submission while it has not been seen started, at its execution timeout
// from its start once it has. Then it cancels the wait's context with cause
// ErrJobTTL or ErrJobTimeout.
type budget struct {
	ttl, timeout time.Duration
	submitted    time.Time
	started      time.Time // zero until the job is seen started
	end          context.CancelCauseFunc
	timer        *time.Timer
}

// slack is added to a budget b: RunPod counts from its own clock, so the
// job is given up just after RunPod would have ended it.
func slack(b time.Duration) time.Duration { return min(b/20, 30*time.Second) }

func (b *budget) arm() {
	at, cause := b.submitted.Add(b.ttl+slack(b.ttl)), ErrJobTTL
	if !b.started.IsZero() {
		at, cause = b.started.Add(b.timeout+slack(b.timeout)), ErrJobTimeout
	}
	b.timer = time.AfterFunc(time.Until(at), func() { b.end(cause) })
}

func (b *budget) disarm() { b.timer.Stop() }

// seen notes a /status answer st received at now: a job seen running for the
// first time gets its execution timeout from its start instead of its ttl.
// It returns the job's queue delay when it has just been seen started.
func (b *budget) seen(st *statusResponse, now time.Time) (delay time.Duration, started bool) {
	if !b.started.IsZero() || st.Status != StatusInProgress {
		return 0, false
	}
	start := now
	switch d, e := msDuration(st.DelayTime), msDuration(st.ExecutionTime); {
	case d > 0 && b.submitted.Add(d).Before(now):
		start = b.submitted.Add(d)
	case e > 0:
		start = now.Add(-e)
	}
	if !b.timer.Stop() {
		return 0, false // the ttl ran out meanwhile: the wait ends
	}
	b.started = start
	b.arm()
	return start.Sub(b.submitted), true
}

// waitedOut reports that the job, never seen started, has outlived its ttl.
func (b *budget) waitedOut(now time.Time) bool {
	return b.started.IsZero() && now.Sub(b.submitted) >= b.ttl-slack(b.ttl)
}

// statusResponse is the body of GET /status/{id}.
type statusResponse struct {
	ID            string          `json:"id"`
	Status        string          `json:"status"`
	Output        json.RawMessage `json:"output"`
	Error         json.RawMessage `json:"error"`
	DelayTime     float64         `json:"delayTime"`
	ExecutionTime float64         `json:"executionTime"`
}

// wait is the poll loop of one job: ctx is the caller's context, jctx ctx
// ended by the job's budget b.
func (c *Client) wait(ctx, jctx context.Context, b *budget, id string) (Result, error) {
	log := c.log.WithLazy(zap.String("job_id", id))
	submitted := b.submitted
	next, interval, expectedEnd, known := c.schedule(submitted)
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	held := c.stallHold(ctx)
	defer held(false)
	failures := 0
	for polls := 1; ; polls++ {
		select {
		case <-jctx.Done():
			return c.stopped(ctx, jctx, b, log, id, polls-1)
		case <-timer.C:
		case <-c.win.Recovered():
			// A stalled endpoint drains again: this job, queued through the
			// stall, may start soon and its interval has grown to PollMax.
			// Poll on the plain schedule from now, so its end is seen within
			// moments, not PollMax.
			interval = c.cfg.PollInitial
			timer.Reset(jitter(interval))
			polls--
			continue
		}
		if err := c.gate.wait(jctx, expectedEnd); err != nil {
			return c.stopped(ctx, jctx, b, log, id, polls-1)
		}
		st, err := c.poll(jctx, id)
		switch {
		case jctx.Err() != nil:
			return c.stopped(ctx, jctx, b, log, id, polls)
		case err != nil && err.Expired():
			c.report(StatusExpired)
			err.JobStatus = StatusExpired
			err.waitedOut = b.waitedOut(time.Now())
			return Result{Polls: polls}, err
		case err != nil && err.kind.Refusal():
			return Result{Polls: polls}, err
		case err != nil:
			// RunPod's API is failing, not (as far as we know) the job: poll on,
			// less often, until it answers or JobTimeout comes. A lone failed
			// poll is noise; a few in a row are worth a warning.
			failures++
			if failures == statusFailuresWarn || failures%10 == 0 {
				log.Warn("runpod /status failing: polling on with backoff", zap.Int("failures", failures), zap.Error(err))
			} else {
				log.Debug("runpod /status failed: polling on with backoff", zap.Int("failures", failures), zap.Error(err))
			}
			timer.Reset(c.afterFailure(err, interval))
			interval = nextInterval(interval, c.cfg.PollMax)
			continue
		}
		failures = 0
		if delay, ok := b.seen(&st, time.Now()); ok {
			c.win.started(delay)
		}
		held(st.Status == StatusInQueue)
		if res, err, final := c.finished(log, id, &st, polls); final {
			if e, ok := errors.AsType[*Error](err); ok && e.JobStatus == StatusTimedOut && st.ExecutionTime <= 0 {
				e.waitedOut = b.waitedOut(time.Now())
			}
			return res, err
		}
		if st.Status != StatusInQueue && st.Status != StatusInProgress {
			log.Debug("unknown runpod job status, polling on", zap.String("status", httpapi.Code(st.Status, c.cfg.APIKey)))
		}
		wait := jitter(interval)
		if !known {
			// The endpoint's job time became known while this job waited on
			// the plain schedule: aim at its expected end from now on.
			if next, iv, end, ok := c.adaptive(submitted); ok {
				known, interval, expectedEnd = true, iv, end
				timer.Reset(time.Until(next))
				continue
			}
			// The first completions hint at the job time: poll at the likely
			// end if it comes before the next poll of the plain schedule.
			if d, ok := c.est.hint(); ok {
				if aim := time.Until(pollAfter(submitted, d)); aim > 0 && aim < wait {
					wait = aim
				}
			}
		}
		timer.Reset(wait)
		interval = nextInterval(interval, c.cfg.PollMax)
	}
}

// poll sends one GET /status for job id, which has passed the poll gate, and
// tells the gate how RunPod answered: a 429 slows every poll down.
func (c *Client) poll(ctx context.Context, id string) (statusResponse, *Error) {
	var st statusResponse
	err := c.do(ctx, request{op: opStatus, method: http.MethodGet, path: "/status/" + url.PathEscape(id), jobID: id}, &st)
	switch {
	case err == nil:
		c.gate.ok()
		return st, nil
	case err.StatusCode == http.StatusTooManyRequests:
		c.gate.throttled(err.retryAfter)
	case ctx.Err() == nil:
		c.gate.ok()
	}
	return st, err
}

// afterFailure is the wait before a job whose poll failed with err is polled
// again: its poll interval, jittered, or longer if a 5xx answer asked for
// more (Retry-After, capped at RetryMax). After a 429 the poll gate holds
// every poll for the answer's Retry-After instead.
func (c *Client) afterFailure(err *Error, interval time.Duration) time.Duration {
	wait := jitter(interval)
	if err.StatusCode != http.StatusTooManyRequests && err.retryAfter > 0 {
		wait = max(wait, min(err.retryAfter, c.cfg.RetryMax))
	}
	return wait
}

// statusFailuresWarn is the number of failed polls of one job in a row that
// is logged as a warning (and every tenth after it).
const statusFailuresWarn = 3

// stopped ends a wait whose context jctx is done, after polls polls. When the
// job's budget (not the caller's ctx) ended it, the job is looked at once more
// (lastLook) and given up for good, unless that look saw it finished or never
// saw it at all; otherwise it is left running for whoever waits for it next.
func (c *Client) stopped(ctx, jctx context.Context, b *budget, log *zap.Logger, id string, polls int) (Result, error) {
	cause := context.Cause(jctx)
	ttl := errors.Is(cause, ErrJobTTL)
	if ctx.Err() != nil || !ttl && !errors.Is(cause, ErrJobTimeout) {
		log.Debug("stopped waiting for a runpod job; it runs on", zap.Error(cause))
		return Result{Polls: polls}, &Error{Op: opStatus, JobID: id, Err: httpapi.CtxErr(jctx), kind: httpapi.Transient}
	}
	what := "JOB_TIMEOUT"
	if ttl {
		what = "its ttl (JOB_TTL)"
	}
	st, looks, err := c.lastLook(ctx, log, id)
	polls += looks
	switch {
	case err == nil:
		if res, err, final := c.finished(log, id, &st, polls); final {
			if e, ok := errors.AsType[*Error](err); ok && e.JobStatus == StatusTimedOut && st.ExecutionTime <= 0 {
				e.waitedOut = b.waitedOut(time.Now())
			}
			return res, err
		}
		log.Info("runpod job still unfinished at "+what+": giving it up", zap.String("status", httpapi.Code(st.Status, c.cfg.APIKey)))
	case err.Expired():
		log.Info("runpod job forgotten by RunPod at " + what + ": giving it up")
	default:
		// Not seen: the caller stopped, or RunPod refused to say (401, 403).
		// The job stays with whoever holds its id.
		return Result{Polls: polls}, err
	}
	c.Abandon(ctx, id)
	return Result{Polls: polls}, &Error{Op: opStatus, JobID: id, JobStatus: StatusAbandoned, Err: cause, kind: httpapi.Transient,
		waitedOut: ttl && st.Status != StatusInProgress}
}

// stallHold returns the function a wait calls after each answer, with
// whether its job is still queued: while it is and the Window says the
// endpoint is stalled, the caller's message is held in place
// (outcome.HoldInPlace, cause outage). Called with false, it ends the hold.
func (c *Client) stallHold(ctx context.Context) func(queued bool) {
	var end func()
	return func(queued bool) {
		var stalled error
		if queued {
			stalled = c.win.Stalled()
		}
		switch {
		case stalled != nil && end == nil:
			end = outcome.HoldInPlace(ctx, outcome.CauseOutage, stalled)
		case stalled == nil && end != nil:
			end()
			end = nil
		}
	}
}

// lastLook asks for job id's status at its JobTimeout until RunPod answers,
// and returns the answer and the number of requests it took. Each request
// waits for a token of the poll gate ahead of every ordinary poll (the gate
// paces every /status request); a failed one is tried again after a
// full-jitter backoff (RetryInitial doubling up to RetryMax) or the answer's
// Retry-After, for as long as it takes. It returns an error only for an
// answer that is not transient (a 404, for which IsExpired is true; 401,
// 403), or when ctx, the caller's own context, ends: then the error wraps
// ctx's error and the last attempt's, and the job's state was not seen.
func (c *Client) lastLook(ctx context.Context, log *zap.Logger, id string) (statusResponse, int, *Error) {
	var last *Error
	looks := 0
	for {
		if c.gate.wait(ctx, time.Time{}) != nil {
			break
		}
		looks++
		st, err := c.poll(ctx, id)
		if err == nil || err.Expired() || err.kind.Refusal() && ctx.Err() == nil {
			return st, looks, err
		}
		if ctx.Err() != nil {
			return st, looks, err // wraps ctx's error
		}
		last = err
		wait := c.backoff(looks, err.retryAfter)
		if looks == 1 || looks%10 == 0 {
			log.Warn("last look at a runpod job at JOB_TIMEOUT failed: trying again until RunPod answers",
				zap.Int("looks", looks), zap.Duration("wait", wait), zap.Error(err))
		}
		if !httpapi.Sleep(ctx, wait) {
			break
		}
	}
	return statusResponse{}, looks, &Error{Op: opStatus, JobID: id, Err: httpapi.CtxDoneErr(ctx, last), kind: httpapi.Transient}
}

// minPoll is the shortest wait between two polls of one job.
const minPoll = 25 * time.Millisecond

// schedule gives the time of a job's first poll, the interval after it
// (which then grows ×1.5 up to PollMax), and when the job is expected to
// end (its priority at the poll gate). Without history that is PollInitial
// and 1.5×PollInitial. Once a few jobs have completed, the jobs of an
// endpoint are expected to take what they have been taking (RunPod's
// delayTime+executionTime, a moving average): the first poll comes just
// after that (pollAfter), counted from the submission (a resumed job
// submitted long ago is polled at once), and the next ones a
// twentieth of it apart. For jobs of stable length that is one poll per
// job, seen within ~1% of the job time.
func (c *Client) schedule(submitted time.Time) (first time.Time, interval time.Duration, expectedEnd time.Time, known bool) {
	if first, interval, expectedEnd, ok := c.adaptive(submitted); ok {
		return first, interval, expectedEnd, true
	}
	first = time.Now().Add(jitter(c.cfg.PollInitial))
	return first, nextInterval(c.cfg.PollInitial, c.cfg.PollMax), first, false
}

// adaptive is the schedule of a job submitted at submitted once the
// endpoint's job time is known (ok false before).
func (c *Client) adaptive(submitted time.Time) (first time.Time, interval time.Duration, expectedEnd time.Time, ok bool) {
	expected, known := c.est.get()
	if !known {
		return time.Time{}, 0, time.Time{}, false
	}
	expectedEnd = submitted.Add(expected)
	first = pollAfter(submitted, expected)
	if now := time.Now(); first.Before(now) {
		first = now
	}
	return first, min(max(expected/20, minPoll), c.cfg.PollMax), expectedEnd, true
}

// pollAfter is when to poll a job submitted at submitted that is expected
// to take d: just after its expected end (5 ms and half a percent later),
// so that one poll sees it finished.
func pollAfter(submitted time.Time, d time.Duration) time.Time {
	return submitted.Add(d + 5*time.Millisecond + d/200)
}

// jobDuration is a moving average of how long completed jobs took.
type jobDuration struct {
	mu  sync.Mutex
	n   int
	avg time.Duration
}

func (e *jobDuration) observe(d time.Duration) {
	if d <= 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == 0 {
		e.avg = d
	} else {
		e.avg += (d - e.avg) / 5
	}
	e.n++
}

// get returns the average once three jobs have completed.
func (e *jobDuration) get() (time.Duration, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.avg, e.n >= 3
}

// hint returns the average as soon as one job has completed: too early to
// plan a job's polls on, early enough to add one aimed at its likely end.
func (e *jobDuration) hint() (time.Duration, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.avg, e.n >= 1
}

// finished reports whether st, the answer of the polls-th /status request of
// a wait for job id, is a final state: COMPLETED, FAILED, CANCELLED or
// TIMED_OUT, reported to OnJob. Then res and err are what Wait returns for
// the job (FAILED and the like carry RunPod's error text).
func (c *Client) finished(log *zap.Logger, id string, st *statusResponse, polls int) (res Result, err error, final bool) {
	switch st.Status {
	case StatusCompleted:
		c.report(st.Status)
		res, err = c.completed(log, id, st, polls)
	case StatusFailed, StatusCancelled, StatusTimedOut:
		c.report(st.Status)
		log.Debug("runpod job ended", zap.String("status", st.Status), zap.Int("polls", polls))
		// RunPod's "error" is the worker's: its message and traceback may
		// quote the prompt. Only its error type is kept.
		e := &Error{Op: opStatus, JobID: id, JobStatus: st.Status, Code: httpapi.ErrorCode(st.Error, c.cfg.APIKey), kind: httpapi.Transient}
		err = e
	default:
		return Result{}, nil, false
	}
	res.Polls = polls
	return res, err, true
}

// completed turns a COMPLETED status into a Result.
func (c *Client) completed(log *zap.Logger, id string, st *statusResponse, polls int) (Result, error) {
	res := Result{DelayTime: msDuration(st.DelayTime), ExecutionTime: msDuration(st.ExecutionTime)}
	c.est.observe(res.DelayTime + res.ExecutionTime)
	c.win.completed(res.ExecutionTime)
	log.Debug("runpod job completed", zap.Int("polls", polls),
		zap.Duration("delay_time", res.DelayTime), zap.Duration("execution_time", res.ExecutionTime))
	text, err := ExtractOutput(st.Output)
	if err != nil {
		return res, &Error{Op: opStatus, JobID: id, JobStatus: StatusCompleted, Err: redactErr(err, c.cfg.APIKey), kind: httpapi.Transient}
	}
	res.Text = text
	return res, nil
}

// Abandon gives job id up for good: it is cancelled at RunPod on a context detached
// from ctx and bounded by CancelTimeout, and reported as ABANDONED. A job that already
// ended or expired is left as it is.
func (c *Client) Abandon(ctx context.Context, id string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CancelTimeout)
	defer cancel()
	log := c.log.WithLazy(zap.String("job_id", id))
	if err := c.Cancel(cctx, id); err != nil && !IsExpired(err) {
		log.Warn("cancel of an abandoned runpod job failed", zap.Error(err))
	} else {
		log.Debug("abandoned runpod job cancelled")
	}
	c.report(StatusAbandoned)
}

// Cancel asks RunPod to cancel job jobID (POST /cancel/{id}). Retried within the client
// like Submit (Config.MaxAttempts).
// A job RunPod no longer knows gives an error for which IsExpired is true.
func (c *Client) Cancel(ctx context.Context, jobID string) error {
	if jobID == "" {
		return &Error{Op: opCancel, Err: errors.New("empty job id"), kind: httpapi.Permanent}
	}
	if err := c.do(ctx, request{op: opCancel, method: http.MethodPost, path: "/cancel/" + url.PathEscape(jobID), jobID: jobID}, nil); err != nil {
		return err
	}
	return nil
}

// report calls OnJob, if set.
func (c *Client) report(status string) {
	if c.cfg.OnJob != nil {
		c.cfg.OnJob(status)
	}
}

// request is one API call.
type request struct {
	op     string
	method string
	path   string
	body   []byte
	jobID  string
}

// do performs r, retrying 429, 408, 5xx and network errors up to MaxAttempts times with
// full-jitter exponential backoff or the server's Retry-After, and decodes a 2xx JSON
// answer into out (if non-nil). It never sleeps past ctx.
//
// A /status request is one attempt, never retried here: each one takes a token of
// the poll gate, and a retry here would be a request the gate never saw (in a
// brownout, MaxAttempts requests per token). Wait polls again, through the gate.
func (c *Client) do(ctx context.Context, r request, out any) *Error {
	for attempt := 1; ; attempt++ {
		e, retry := c.once(ctx, r, out)
		if e == nil {
			return nil
		}
		if !retry || r.op == opStatus || attempt >= c.cfg.MaxAttempts || ctx.Err() != nil {
			if ctx.Err() != nil && !errors.Is(e, ctx.Err()) {
				addCtxErr(ctx, e)
			}
			return e
		}
		wait := c.backoff(attempt, e.retryAfter)
		c.log.Debug("retrying runpod request",
			zap.String("op", r.op), zap.String("job_id", r.jobID), zap.Int("attempt", attempt),
			zap.Int("status_code", e.StatusCode), zap.Duration("wait", wait), zap.Error(e))
		if !httpapi.Sleep(ctx, wait) {
			addCtxErr(ctx, e)
			return e
		}
	}
}

// addCtxErr makes e wrap ctx's error, keeping the last attempt's error.
func addCtxErr(ctx context.Context, e *Error) { e.Err = httpapi.CtxDoneErr(ctx, e.Err) }

// once performs one attempt of r. It returns nil on success, or the error (with the
// server's Retry-After, if any, for a non-2xx answer) and whether it may be retried.
func (c *Client) once(ctx context.Context, r request, out any) (e *Error, retry bool) {
	fail := func(code int, k httpapi.Kind, errCode string, err error) *Error {
		return &Error{Op: r.op, StatusCode: code, JobID: r.jobID, Code: errCode, Err: redactErr(err, c.cfg.APIKey), kind: k}
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		return fail(0, httpapi.Config, "", fmt.Errorf("build request: %w", err)), false
	}
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if r.op == opStatus && c.cfg.OnPoll != nil {
		c.cfg.OnPoll()
	}
	resp, err := httpapi.OnOwnStack(func() (*http.Response, error) { return c.cfg.HTTPClient.Do(req) })
	if c.cfg.OnResponse != nil && (err == nil || ctx.Err() == nil) {
		code := 0
		if err == nil {
			code = resp.StatusCode
		}
		c.cfg.OnResponse(r.op, code)
	}
	if err != nil {
		return fail(0, httpapi.Transient, "", err), ctx.Err() == nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return fail(resp.StatusCode, httpapi.Transient, "", fmt.Errorf("read answer: %w", err)), ctx.Err() == nil
	}
	if len(data) > maxResponseBytes {
		return fail(resp.StatusCode, httpapi.Transient, "", fmt.Errorf("answer exceeds %d bytes", maxResponseBytes)), false
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		rule := classify(r.op, resp.StatusCode)
		e = fail(resp.StatusCode, rule.Kind, httpapi.ErrorCode(data, c.cfg.APIKey), nil)
		if d, ok := httpapi.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			e.retryAfter = d
		}
		return e, rule.Retry
	}
	if out == nil {
		return nil, false
	}
	if err := json.Unmarshal(data, out); err != nil {
		// A garbled answer to a GET is retried; one to a POST is not, as the POST may
		// have taken effect (a duplicate job would be created).
		return fail(resp.StatusCode, httpapi.Transient, "",
			fmt.Errorf("decode answer: %w", err)), r.method == http.MethodGet
	}
	return nil, false
}

// backoff is the wait before retry number attempt (1-based): Retry-After capped at
// RetryMax if the server sent a positive one, else a uniform random duration below
// min(RetryMax, RetryInitial·2^(attempt-1)) (full jitter). Unlike the openai client, a
// Retry-After of 0 gets the jittered backoff, not an immediate retry.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.cfg.RetryMax)
	}
	return httpapi.Backoff(attempt, c.cfg.RetryInitial, c.cfg.RetryMax)
}

// nextInterval grows a poll interval ×1.5, capped at limit.
func nextInterval(d, limit time.Duration) time.Duration {
	next := d + d/2
	if next < d || next > limit {
		return limit
	}
	return next
}

// jitter returns d ±10%.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
}

// msDuration converts RunPod's millisecond counts, clamping nonsense.
func msDuration(ms float64) time.Duration {
	if ms <= 0 || math.IsNaN(ms) {
		return 0
	}
	if ms > float64(math.MaxInt64/int64(time.Millisecond)) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ms * float64(time.Millisecond))
}
