package emulator

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

const (
	// RetentionDefault is how long a finished job's result stays
	// retrievable when Config.Retention is zero (RunPod keeps /run results
	// for 30 minutes).
	RetentionDefault = 30 * time.Minute

	// RunsyncWaitDefault is how long /runsync waits for a job when
	// Config.RunsyncWait is zero, before answering with its current status.
	RunsyncWaitDefault = 90 * time.Second

	// OutputShapeDefault is used when Config.OutputShape is empty.
	OutputShapeDefault = OutputShapeSummary

	// MaxBodyBytes is the largest request body accepted; larger ones get
	// 413 (RunPod's limit for /run is 10 MB).
	MaxBodyBytes = 10 << 20

	// MaxTokensDefault is the output budget of a job whose input names
	// none. A job's summary is extractive.Summarize of its prompt without
	// the instruction, with 3/4 of its token budget as maxWords: at most
	// that many words, and at most a third of the prompt's words (but up
	// to extractive.MinWords).
	MaxTokensDefault = 256

	// MaxInputsRecorded caps Stats.Inputs; later jobs are only counted in
	// Stats.InputsDropped. It also caps Stats.QueueDelays.
	MaxInputsRecorded = 100_000
)

// Defaults of the finite endpoint (Config.MaxWorkers > 0), RunPod's where
// RunPod documents one.
const (
	// WorkerConcurrencyDefault is the jobs one worker runs at once when
	// Config.WorkerConcurrency is zero: a plain handler runs one.
	WorkerConcurrencyDefault = 1

	// IdleTimeoutDefault is RunPod's idle timeout: a worker with no job for
	// that long stops.
	IdleTimeoutDefault = 5 * time.Second

	// FlashBootWindowDefault is how long after it stopped a worker can be
	// revived by FlashBoot. RunPod does not document it; field reports see
	// cold starts again after a minute or more of quiet.
	FlashBootWindowDefault = 5 * time.Minute

	// ScaleIntervalDefault is how often the scaler looks. RunPod does not
	// document it.
	ScaleIntervalDefault = time.Second

	// QueueDelayScalerValueDefault is RunPod's queue delay threshold, in
	// seconds.
	QueueDelayScalerValueDefault = 4

	// RequestCountScalerValueDefault is the request count scaler's jobs per
	// worker.
	RequestCountScalerValueDefault = 1

	// TTLDefault is RunPod's policy.ttl when a job sends none: from
	// submission, queue and execution together.
	TTLDefault = 24 * time.Hour

	// ExecutionTimeoutDefault is RunPod's policy.executionTimeout when a
	// job sends none: enforced only while the job runs.
	ExecutionTimeoutDefault = 600 * time.Second

	// ModelName is the "model" of the OutputShapeVLLMText output.
	ModelName = "summarizer-emulator"
)

// Scalers of a finite endpoint (Config.Scaler), as RunPod names them.
const (
	// ScalerQueueDelay starts one more worker at a scaler tick while the
	// oldest queued job has waited more than ScalerValue seconds.
	ScalerQueueDelay = "queue_delay"
	// ScalerRequestCount keeps ceil((inQueue + inProgress) / ScalerValue)
	// workers.
	ScalerRequestCount = "request_count"
)

// What becomes of a job whose policy.ttl runs out (Config.TTLExpiry).
// RunPod's pages disagree, so the emulator does either.
const (
	// TTLExpiryDelete forgets the job: /status and /cancel answer 404.
	TTLExpiryDelete = "delete"
	// TTLExpiryTimedOut ends the job TIMED_OUT; its result is kept for
	// Config.Retention like any other.
	TTLExpiryTimedOut = "timed_out"
)

// Output shapes of a COMPLETED job (Config.OutputShape).
const (
	// OutputShapeSummary is {"summary":"..."}.
	OutputShapeSummary = "summary"
	// OutputShapeString is a bare JSON string.
	OutputShapeString = "string"
	// OutputShapeVLLM is worker-vllm's up to v2.23:
	// [{"choices":[{"tokens":["..."]}],"usage":{"input":N,"output":M}}].
	OutputShapeVLLM = "vllm"
	// OutputShapeVLLMText is worker-vllm's from v2.24, an OpenAI text
	// completion in a list:
	// [{"id":"cmpl-...","object":"text_completion","created":N,"model":"...",
	// "choices":[{"index":0,"text":"...","finish_reason":"stop"}],
	// "usage":{"prompt_tokens":N,"completion_tokens":M,"total_tokens":K}}].
	OutputShapeVLLMText = "vllm-text"
)

// outputShapes are the valid Config.OutputShape values but "".
var outputShapes = []string{OutputShapeSummary, OutputShapeString, OutputShapeVLLM, OutputShapeVLLMText}

// Job statuses, as RunPod spells them.
const (
	StatusInQueue    = "IN_QUEUE"
	StatusInProgress = "IN_PROGRESS"
	StatusCompleted  = "COMPLETED"
	StatusFailed     = "FAILED"
	StatusCancelled  = "CANCELLED"
	StatusTimedOut   = "TIMED_OUT"
)

// Operations, the keys of Stats.Requests and the op passed to Config.Fault.
const (
	OpRun     = "run"
	OpRunsync = "runsync"
	OpStatus  = "status"
	OpCancel  = "cancel"
	OpHealth  = "health"
)

// Fault is an injected failure.
type Fault int

const (
	// FaultNone injects nothing.
	FaultNone Fault = iota
	// Fault429 answers the one request with 429 and Retry-After: 1; no job
	// is created or changed.
	Fault429
	// Fault500 answers the one request with 500; no job is created or
	// changed.
	Fault500
	// FaultFailed makes the job end FAILED (with an error) instead of
	// COMPLETED.
	FaultFailed
	// FaultTimedOut makes the job end TIMED_OUT instead of COMPLETED.
	FaultTimedOut
	// FaultStuck makes the job stay IN_PROGRESS until cancelled.
	FaultStuck
	// FaultExpire makes the job vanish as soon as it finishes: /status and
	// /cancel answer 404, as for an expired result. (A /runsync waiting for
	// it still answers with the result.)
	FaultExpire
	// Fault401 answers the one request with 401, as for a revoked or
	// rotated API key; no job is created or changed.
	Fault401
	// Fault503 answers the one request with 503, as RunPod's API does in an
	// outage; no job is created or changed.
	Fault503
)

var faultNames = [...]string{"none", "429", "500", "failed", "timed_out", "stuck", "expire", "401", "503"}

// String returns the name [ParseFault] accepts.
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// ParseFault parses a fault name: none, 429, 500, failed, timed_out, stuck
// or expire (case-insensitive; "" is none), for command-line flags.
func ParseFault(s string) (Fault, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return FaultNone, nil
	}
	for i, n := range faultNames {
		if s == n {
			return Fault(i), nil
		}
	}
	return FaultNone, fmt.Errorf("emulator: unknown fault %q (want one of %s)", s, strings.Join(faultNames[:], ", "))
}

// http reports whether f answers for the request (httpFaults).
func (f Fault) http() bool {
	_, ok := httpFaults[f]
	return ok
}

// Limits are requests allowed per operation in any 10 s window.
type Limits struct {
	Run, Status, Cancel int
}

// LimitWindow is the window of Limits, as RunPod counts them.
const LimitWindow = 10 * time.Second

// Rates are probabilities of random faults, each in [0,1], drawn from a
// source seeded with Config.Seed, so a run is reproducible given the seed
// and the order of requests.
type Rates struct {
	// HTTP429 and HTTP500 apply to each request, of any operation; their
	// sum is at most 1.
	HTTP429, HTTP500 float64
	// Failed, TimedOut and Stuck apply to each job, decided when it is
	// submitted (/run, /runsync); their sum is at most 1.
	Failed, TimedOut, Stuck float64
}

// Config configures a [Server]. The zero value is a working emulator that
// completes every job at once with a {"summary": ...} output.
//
// With MaxWorkers zero the endpoint is unlimited: every job starts
// QueueDelay after it was submitted, as if there were a worker for each.
// With MaxWorkers above zero it is finite: jobs wait in a FIFO queue for a
// worker that a scaler starts, that boots cold, runs WorkerConcurrency jobs
// at once and stops when idle; see the package documentation. The fields
// from MaxWorkers to TTLExpiry apply only to a finite endpoint.
type Config struct {
	// Latency is how long a job stays IN_PROGRESS (the "model" time).
	// Zero completes it as soon as it leaves the queue.
	Latency time.Duration

	// QueueDelay is how long a job stays IN_QUEUE before IN_PROGRESS. On a
	// finite endpoint it is the least time a job waits: it starts when a
	// worker is free, but not before QueueDelay.
	QueueDelay time.Duration

	// MaxWorkers is the most workers the endpoint has at once, in any
	// state (initializing, idle, running, throttled, unhealthy): RunPod's
	// "max workers", 3 by default there. Zero is unlimited mode. It can be
	// changed at run time with [Server.SetMaxWorkers].
	MaxWorkers int

	// MinWorkers are always-on workers ("active workers"): warm and idle
	// at New and Reset, never stopped by the idle timeout, billed all the
	// time. At most MaxWorkers.
	MinWorkers int

	// WorkerConcurrency is how many jobs one worker runs at once (a
	// worker-vllm handler takes up to its MAX_CONCURRENCY). Zero means
	// WorkerConcurrencyDefault (1).
	WorkerConcurrency int

	// ColdStart is how long a new worker initializes (image, model load)
	// before it takes a job. A crash-looping worker's boot takes as long.
	ColdStart time.Duration

	// FlashBoot, when above zero, is how long a worker initializes when it
	// revives a worker that stopped within FlashBootWindow (each stopped
	// worker is revived at most once). Zero is FlashBoot off.
	FlashBoot time.Duration

	// FlashBootWindow is how long after it stopped a worker can be revived
	// by FlashBoot. Zero means FlashBootWindowDefault.
	FlashBootWindow time.Duration

	// IdleTimeout is how long a worker (not one of MinWorkers) stays with
	// no job before it stops. Zero means IdleTimeoutDefault (5 s).
	IdleTimeout time.Duration

	// Scaler is ScalerQueueDelay (default) or ScalerRequestCount.
	Scaler string

	// ScalerValue is the queue delay threshold in seconds for
	// ScalerQueueDelay (zero means 4), or the jobs per worker for
	// ScalerRequestCount (zero means 1).
	ScalerValue int

	// ScaleInterval is how often the scaler looks: its ticks fall at New
	// (or Reset) plus multiples of it. RunPod does not document its own.
	// Zero means ScaleIntervalDefault (1 s).
	ScaleInterval time.Duration

	// TTLExpiry is what becomes of a job whose policy.ttl runs out:
	// TTLExpiryDelete (default) or TTLExpiryTimedOut.
	TTLExpiry string

	// Clock gives the emulator's time; nil means time.Now. Tests inject a
	// fake clock and step it: a finite endpoint's workers, scaler and
	// jobs move only as the clock says, when a request, Stats or Snapshot
	// asks. /runsync and Config.Limits' Retry-After still wait in real
	// time.
	Clock func() time.Time

	// Limits, when set, are RunPod's rate limits per operation: at most
	// that many requests in any 10 s window (RunPod: run 1000, status 2000,
	// cancel 100); past them the answer is 429 with Retry-After. Zero is no
	// limit.
	Limits Limits

	// LatencyFor, when set, gives a job's Latency from its prompt (or url)
	// instead of Latency: tests make some transcripts slower than others.
	LatencyFor func(prompt string) time.Duration

	// APIKey, when set, is required on every request as
	// "Authorization: Bearer <key>"; other requests get 401. It is never
	// logged.
	APIKey string

	// OutputShape is the output of a COMPLETED job: OutputShapeSummary
	// (default), OutputShapeString, OutputShapeVLLM or OutputShapeVLLMText.
	OutputShape string

	// Retention is how long a finished job (COMPLETED, FAILED, TIMED_OUT,
	// CANCELLED) can still be read; after it /status answers 404. Zero
	// means RetentionDefault.
	Retention time.Duration

	// RunsyncWait is how long /runsync waits for its job before answering
	// with the job's current status. Zero means RunsyncWaitDefault.
	RunsyncWait time.Duration

	// Rates injects random faults. /health always reports retried 0.
	Rates Rates

	// Seed seeds the random source of Rates and of job ids.
	Seed int64

	// Fault, when set, injects faults deterministically. It is called for
	// every authorised request with the operation (OpRun, OpRunsync,
	// OpStatus, OpCancel, OpHealth) and n, the count of requests of that
	// operation since New or Reset, starting at 1. An answer other than
	// FaultNone replaces Rates for that request. HTTP faults (Fault429,
	// Fault500) apply to any operation; job faults apply only to OpRun and
	// OpRunsync and are ignored elsewhere. It may be called concurrently.
	Fault func(op string, n int) Fault

	// Logger receives debug logs of jobs and injected faults; nil means
	// zap.NewNop().
	Logger *zap.Logger
}

// Validate reports every problem with c, joined with errors.Join.
func (c Config) Validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"Latency", c.Latency}, {"QueueDelay", c.QueueDelay},
		{"Retention", c.Retention}, {"RunsyncWait", c.RunsyncWait},
		{"ColdStart", c.ColdStart}, {"FlashBoot", c.FlashBoot}, {"FlashBootWindow", c.FlashBootWindow},
		{"IdleTimeout", c.IdleTimeout}, {"ScaleInterval", c.ScaleInterval},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("emulator: %s %v is negative", d.name, d.v))
		}
	}
	if c.OutputShape != "" && !slices.Contains(outputShapes, c.OutputShape) {
		errs = append(errs, fmt.Errorf("emulator: OutputShape %q is not one of %s",
			c.OutputShape, strings.Join(outputShapes, ", ")))
	}
	for _, n := range []struct {
		name string
		v    int
	}{
		{"MaxWorkers", c.MaxWorkers}, {"MinWorkers", c.MinWorkers},
		{"WorkerConcurrency", c.WorkerConcurrency}, {"ScalerValue", c.ScalerValue},
	} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("emulator: %s %d is negative", n.name, n.v))
		}
	}
	if c.MinWorkers > c.MaxWorkers {
		errs = append(errs, fmt.Errorf("emulator: MinWorkers %d exceeds MaxWorkers %d (0 is unlimited mode, which has no workers to keep)",
			c.MinWorkers, c.MaxWorkers))
	}
	switch c.Scaler {
	case "", ScalerQueueDelay, ScalerRequestCount:
	default:
		errs = append(errs, fmt.Errorf("emulator: Scaler %q is not %q or %q", c.Scaler, ScalerQueueDelay, ScalerRequestCount))
	}
	switch c.TTLExpiry {
	case "", TTLExpiryDelete, TTLExpiryTimedOut:
	default:
		errs = append(errs, fmt.Errorf("emulator: TTLExpiry %q is not %q or %q", c.TTLExpiry, TTLExpiryDelete, TTLExpiryTimedOut))
	}
	r := c.Rates
	for _, p := range []struct {
		name string
		v    float64
	}{
		{"HTTP429", r.HTTP429}, {"HTTP500", r.HTTP500},
		{"Failed", r.Failed}, {"TimedOut", r.TimedOut}, {"Stuck", r.Stuck},
	} {
		if !(p.v >= 0 && p.v <= 1) { // also rejects NaN
			errs = append(errs, fmt.Errorf("emulator: Rates.%s %v is not in [0,1]", p.name, p.v))
		}
	}
	if c.Limits.Run < 0 || c.Limits.Status < 0 || c.Limits.Cancel < 0 {
		errs = append(errs, fmt.Errorf("emulator: Limits %+v must not be negative", c.Limits))
	}
	if r.HTTP429+r.HTTP500 > 1 {
		errs = append(errs, fmt.Errorf("emulator: Rates.HTTP429+HTTP500 = %v exceeds 1", r.HTTP429+r.HTTP500))
	}
	if s := r.Failed + r.TimedOut + r.Stuck; s > 1 {
		errs = append(errs, fmt.Errorf("emulator: Rates.Failed+TimedOut+Stuck = %v exceeds 1", s))
	}
	return errors.Join(errs...)
}

// withDefaults returns c with zero values replaced by defaults.
func (c Config) withDefaults() Config {
	if c.Retention == 0 {
		c.Retention = RetentionDefault
	}
	if c.RunsyncWait == 0 {
		c.RunsyncWait = RunsyncWaitDefault
	}
	if c.OutputShape == "" {
		c.OutputShape = OutputShapeDefault
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.WorkerConcurrency == 0 {
		c.WorkerConcurrency = WorkerConcurrencyDefault
	}
	if c.FlashBootWindow == 0 {
		c.FlashBootWindow = FlashBootWindowDefault
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = IdleTimeoutDefault
	}
	if c.ScaleInterval == 0 {
		c.ScaleInterval = ScaleIntervalDefault
	}
	if c.Scaler == "" {
		c.Scaler = ScalerQueueDelay
	}
	if c.ScalerValue == 0 {
		c.ScalerValue = QueueDelayScalerValueDefault
		if c.Scaler == ScalerRequestCount {
			c.ScalerValue = RequestCountScalerValueDefault
		}
	}
	if c.TTLExpiry == "" {
		c.TTLExpiry = TTLExpiryDelete
	}
	return c
}
