package emulator

import (
	"cmp"
	"container/heap"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/summarizer/summarizer/worker/extractive"
)

// Server is the emulated RunPod endpoint. It is safe for concurrent use.
type Server struct {
	cfg Config
	log *zap.Logger

	mu          sync.Mutex
	rng         *rand.Rand
	jobs        map[string]*job
	pool        *pool   // a finite endpoint's workers and queue; nil in unlimited mode
	pending     jobHeap // unlimited mode: unsettled jobs that will finish, by finish time
	expiring    jobHeap // settled jobs, by the time their result expires
	requests    map[string]int
	throttled   map[string]int
	recent      map[string][]time.Time // per limited op, request times in the last LimitWindow
	final       map[string]int
	submitted   int
	inFlight    int
	maxInFlight int
	inputs      []Input
	dropped     int
	counts      counts
}

// counts are the Stats counters kept in both modes.
type counts struct {
	cancelledQueued, cancelledRunning int
	timedOutRunning                   int
	expiredQueued, expiredRunning     int
	executed                          time.Duration
}

// Stats is a snapshot of what a [Server] has seen since New or Reset.
type Stats struct {
	// Requests counts authorised requests per operation (OpRun, ...),
	// those answered with an injected fault or over a limit included.
	Requests map[string]int
	// Throttled counts requests per operation answered 429 because they
	// were over Config.Limits.
	Throttled map[string]int
	// Jobs counts jobs per final status (StatusCompleted, StatusFailed,
	// StatusTimedOut, StatusCancelled), whether or not anyone asked.
	Jobs map[string]int
	// Submitted counts jobs created by /run and /runsync.
	Submitted int
	// InFlight is the number of jobs IN_QUEUE or IN_PROGRESS now;
	// MaxInFlight is the most there ever were at once.
	InFlight, MaxInFlight int
	// Inputs describes the first MaxInputsRecorded submitted jobs, in
	// order; InputsDropped counts the jobs past that cap.
	Inputs        []Input
	InputsDropped int

	// ExecutionSeconds sums the executionTime of the finished jobs.
	ExecutionSeconds float64
	// CancelledQueued and CancelledRunning count the jobs cancelled while
	// IN_QUEUE and while IN_PROGRESS.
	CancelledQueued, CancelledRunning int
	// TimedOutRunning counts the jobs that ran past their
	// policy.executionTimeout and ended TIMED_OUT (FaultTimedOut excluded).
	TimedOutRunning int
	// ExpiredQueued and ExpiredRunning count the jobs whose policy.ttl ran
	// out while IN_QUEUE and while IN_PROGRESS (finite mode only). They are
	// also in Jobs[StatusTimedOut], whatever Config.TTLExpiry.
	ExpiredQueued, ExpiredRunning int

	// The rest is of a finite endpoint only (zero in unlimited mode).

	// WorkerSeconds is the billed worker time: for each worker, from the
	// start of its boot to its stop (or now), cold start, crash loops and
	// idle time included; throttled workers bill nothing.
	WorkerSeconds float64
	// PeakWorkers is the most workers initializing, idle or running at
	// once.
	PeakWorkers int
	// QueueDelays are the delayTime of the jobs that started, in start
	// order, the first MaxInputsRecorded of them.
	QueueDelays []time.Duration
}

// UnlimitedIdle is the idle workers /health reports in unlimited mode
// (Config.MaxWorkers 0), whatever runs: there is always a free one.
const UnlimitedIdle = 1000

// Workers counts an endpoint's workers by state, as /health reports them.
// Ready is the same count as Idle (RunPod does not define it): workers up,
// healthy and without a job. A worker with at least one job is Running.
type Workers struct {
	Idle         int `json:"idle"`
	Running      int `json:"running"`
	Initializing int `json:"initializing"`
	Ready        int `json:"ready"`
	Throttled    int `json:"throttled"`
	Unhealthy    int `json:"unhealthy"`
}

// Snapshot is an endpoint's state at one time, for time-series plots.
type Snapshot struct {
	At         time.Time `json:"at"`
	InQueue    int       `json:"inQueue"`
	InProgress int       `json:"inProgress"`
	Workers    Workers   `json:"workers"`
	// MaxWorkers, Unhealthy and Throttled are the run-time settings of a
	// finite endpoint (MaxWorkers 0 in unlimited mode).
	MaxWorkers int  `json:"maxWorkers"`
	Unhealthy  bool `json:"unhealthy"`
	Throttled  bool `json:"throttled"`
}

// Input describes what one job handed to the "model".
type Input struct {
	JobID     string
	Format    string // FormatText, FormatVLLM or FormatChat
	Text      string // the whole prompt, instruction included
	Bytes     int    // len(Text)
	Words     int    // whitespace-separated words of Text
	Tokens    int    // estimate: ceil(Bytes/3)
	MaxTokens int    // requested output budget (MaxTokensDefault if none)
}

// job is one submitted job. In unlimited mode its status is a function of
// time: it is never updated by a timer. On a finite endpoint the
// simulation moves it (Server.advanceWorkers).
type job struct {
	id       string
	created  time.Time
	queue    time.Duration // unlimited: planned time IN_QUEUE
	run      time.Duration // planned time IN_PROGRESS
	end      string        // planned final status; "" never finishes (FaultStuck)
	prompt   string
	maxWords int
	tokens   int
	cancel   chan struct{} // closed when cancelled
	finite   bool          // on a finite endpoint

	// Finite: when it may start (created + QueueDelay) and its
	// policy.executionTimeout.
	eligible time.Time
	timeout  time.Duration

	// Guarded by Server.mu.
	vanish      bool          // removed as soon as it finishes (FaultExpire, ttl delete)
	timedOut    bool          // ends TIMED_OUT by its executionTimeout
	cancelledAt time.Time     // unlimited
	settled     bool          // counted in Stats.Jobs and no longer in flight
	w           *worker       // finite: the worker running it
	started     time.Time     // finite: when it started
	endAt       time.Time     // finite, running: when it ends unless cancelled
	endStatus   string        // finite, running: how it ends
	final       string        // finite, settled: its final status
	delay, exec time.Duration // finite, settled: its delayTime and executionTime

	once sync.Once
	out  json.RawMessage
}

// status returns the job's status at now and its time in the queue and in
// progress so far. The caller holds Server.mu and, on a finite endpoint,
// has advanced it to now.
func (j *job) status(now time.Time) (status string, delay, exec time.Duration) {
	if j.finite {
		switch {
		case j.settled:
			return j.final, j.delay, j.exec
		case j.w != nil:
			return StatusInProgress, j.started.Sub(j.created), now.Sub(j.started)
		default:
			return StatusInQueue, now.Sub(j.created), 0
		}
	}
	if !j.cancelledAt.IsZero() {
		now, status = j.cancelledAt, StatusCancelled
	}
	elapsed := max(now.Sub(j.created), 0)
	delay, exec = min(elapsed, j.queue), max(elapsed-j.queue, 0)
	switch {
	case status != "":
	case elapsed < j.queue:
		status = StatusInQueue
	case j.end == "" || elapsed < j.queue+j.run:
		status = StatusInProgress
	default:
		status, exec = j.end, j.run
	}
	return status, delay, exec
}

// finishAt is when the job ends unless cancelled (meaningless if stuck).
func (j *job) finishAt() time.Time { return j.created.Add(j.queue + j.run) }

// output returns the job's output, computing the summary on first use.
func (j *job) output(shape string) json.RawMessage {
	j.once.Do(func() {
		summary := extractive.Summarize(stripInstruction(j.prompt), j.maxWords)
		j.out = renderJobOutput(shape, summary, j.tokens, j.id, j.created.Unix())
	})
	return j.out
}

func finished(status string) bool {
	return status != StatusInQueue && status != StatusInProgress
}

// New returns a Server for cfg, or cfg.Validate's error.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg.withDefaults()}
	s.log = s.cfg.Logger
	s.reset()
	return s, nil
}

// Reset forgets every job, count and recorded input, and reseeds the random
// source, as if the Server were new. Requests in flight (a waiting
// /runsync) still answer, from their own job.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}

func (s *Server) reset() {
	seed := uint64(s.cfg.Seed)
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.jobs = make(map[string]*job)
	s.pending, s.expiring = nil, nil
	s.pool = nil
	if s.cfg.MaxWorkers > 0 {
		s.pool = s.newPool(s.cfg.Clock())
	}
	s.counts = counts{}
	s.requests = make(map[string]int)
	s.throttled = make(map[string]int)
	s.recent = make(map[string][]time.Time)
	s.final = make(map[string]int)
	s.submitted, s.inFlight, s.maxInFlight, s.dropped = 0, 0, 0, 0
	s.inputs = nil
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.instant()
	s.advance(now)
	st := Stats{
		Requests:         maps.Clone(s.requests),
		Throttled:        maps.Clone(s.throttled),
		Jobs:             maps.Clone(s.final),
		Submitted:        s.submitted,
		InFlight:         s.inFlight,
		MaxInFlight:      s.maxInFlight,
		Inputs:           slices.Clone(s.inputs),
		InputsDropped:    s.dropped,
		ExecutionSeconds: s.counts.executed.Seconds(),
		CancelledQueued:  s.counts.cancelledQueued,
		CancelledRunning: s.counts.cancelledRunning,
		TimedOutRunning:  s.counts.timedOutRunning,
		ExpiredQueued:    s.counts.expiredQueued,
		ExpiredRunning:   s.counts.expiredRunning,
	}
	if p := s.pool; p != nil {
		st.WorkerSeconds = p.billedAt(now).Seconds()
		st.PeakWorkers = p.peak
		st.QueueDelays = slices.Clone(p.delays)
	}
	return st
}

// Snapshot returns the endpoint's state now: the jobs IN_QUEUE and
// IN_PROGRESS and the workers by state (in unlimited mode, the workers
// /health reports).
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.instant()
	s.advance(now)
	return s.snapshot(now)
}

// snapshot is Snapshot. The caller holds s.mu and has advanced to now.
func (s *Server) snapshot(now time.Time) Snapshot {
	snap := Snapshot{At: now}
	if p := s.pool; p != nil {
		snap.InQueue, snap.InProgress = p.queued, p.running
		snap.Workers = p.workersNow()
		snap.MaxWorkers, snap.Unhealthy, snap.Throttled = p.maxWorkers, p.unhealthy, p.throttled
		return snap
	}
	for _, j := range s.jobs {
		switch st, _, _ := j.status(now); st {
		case StatusInProgress:
			snap.InProgress++
		case StatusInQueue:
			snap.InQueue++
		}
	}
	// Unlimited: one worker per running job, and always UnlimitedIdle
	// more, idle: a client that sizes its work by the endpoint's free
	// workers sees room for everything it has.
	snap.Workers.Running = snap.InProgress
	snap.Workers.Idle, snap.Workers.Ready = UnlimitedIdle, UnlimitedIdle
	return snap
}

// instant is the emulator's time now (Config.Clock), never earlier than
// the time a finite endpoint has reached. The caller holds s.mu.
func (s *Server) instant() time.Time {
	now := s.cfg.Clock()
	if s.pool != nil && now.Before(s.pool.now) {
		now = s.pool.now
	}
	return now
}

// advance settles the jobs that finished by now (moving a finite
// endpoint's workers and queue) and forgets the results that expired by
// now. The caller holds s.mu.
func (s *Server) advance(now time.Time) {
	if s.pool != nil {
		s.advanceWorkers(now)
	}
	for len(s.pending) > 0 && !s.pending[0].at.After(now) {
		e := heap.Pop(&s.pending).(entry)
		if !e.j.settled {
			if e.j.timedOut {
				s.counts.timedOutRunning++
			}
			s.settle(e.j, e.at, e.j.end)
		}
	}
	for len(s.expiring) > 0 && !s.expiring[0].at.After(now) {
		e := heap.Pop(&s.expiring).(entry)
		if s.jobs[e.j.id] == e.j {
			delete(s.jobs, e.j.id)
		}
	}
}

// settle records that j reached status at time at. The caller holds s.mu.
func (s *Server) settle(j *job, at time.Time, status string) {
	j.settled = true
	s.final[status]++
	s.inFlight--
	_, _, exec := j.status(at)
	s.counts.executed += exec
	expiry := at.Add(s.cfg.Retention)
	if j.vanish {
		expiry = at
	}
	heap.Push(&s.expiring, entry{at: expiry, j: j})
}

// ServeHTTP serves the RunPod Serverless API at the root and under any
// /v2/{endpoint_id}/ prefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == AdminPath {
		s.serveAdmin(w, r)
		return
	}
	op, id := route(r.URL.Path)
	if op == "" {
		writeError(w, http.StatusNotFound, "no such route: "+r.URL.Path)
		return
	}
	if allow := allowed(op); !slices.Contains(allow, r.Method) {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed")
		return
	}
	if s.cfg.APIKey != "" && !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "missing or invalid API key")
		return
	}
	s.mu.Lock()
	s.requests[op]++
	n := s.requests[op]
	wait, over := s.overLimit(op, s.instant())
	s.mu.Unlock()
	if over {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		writeError(w, http.StatusTooManyRequests, "rate limit exceeded for "+op)
		return
	}

	fault := s.fault(op, n)
	if answer, ok := httpFaults[fault]; ok {
		s.log.Debug("injected fault", zap.String("op", op), zap.Int("n", n), zap.Stringer("fault", fault))
		if answer.code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		writeError(w, answer.code, answer.msg+" (injected fault)")
		return
	}

	switch op {
	case OpRun, OpRunsync:
		s.serveSubmit(w, r, op, fault)
	case OpStatus:
		s.serveStatus(w, id)
	case OpCancel:
		s.serveCancel(w, id)
	case OpHealth:
		s.serveHealth(w)
	}
}

// httpFaults are the answers of the injected faults that answer for the
// request (no job is created or changed).
var httpFaults = map[Fault]struct {
	code int
	msg  string
}{
	Fault429: {http.StatusTooManyRequests, "throttled"},
	Fault500: {http.StatusInternalServerError, "internal error"},
	Fault503: {http.StatusServiceUnavailable, "service unavailable"},
	Fault401: {http.StatusUnauthorized, "unauthorized"},
}

// overLimit counts a request of op against Config.Limits and reports
// whether it is over, and how long until the window has room. The caller
// holds s.mu.
func (s *Server) overLimit(op string, now time.Time) (time.Duration, bool) {
	limit := 0
	switch op {
	case OpRun, OpRunsync:
		op, limit = OpRun, s.cfg.Limits.Run
	case OpStatus:
		limit = s.cfg.Limits.Status
	case OpCancel:
		limit = s.cfg.Limits.Cancel
	}
	if limit <= 0 {
		return 0, false
	}
	times := s.recent[op]
	i := 0
	for i < len(times) && now.Sub(times[i]) >= LimitWindow {
		i++
	}
	times = times[i:]
	if len(times) >= limit {
		s.recent[op] = times
		s.throttled[op]++
		return LimitWindow - now.Sub(times[0]), true
	}
	s.recent[op] = append(times, now)
	return 0, false
}

// route maps a path to an operation and job id; op is "" for no route.
func route(path string) (op, id string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) >= 3 && segs[0] == "v2" && segs[1] != "" {
		segs = segs[2:]
	}
	switch {
	case len(segs) == 1 && (segs[0] == OpRun || segs[0] == OpRunsync || segs[0] == OpHealth):
		return segs[0], ""
	case len(segs) == 2 && (segs[0] == OpStatus || segs[0] == OpCancel) && segs[1] != "":
		return segs[0], segs[1]
	}
	return "", ""
}

func allowed(op string) []string {
	switch op {
	case OpStatus:
		return []string{http.MethodGet, http.MethodPost}
	case OpHealth:
		return []string{http.MethodGet}
	}
	return []string{http.MethodPost}
}

func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.cfg.APIKey)) == 1
}

// fault decides the fault for the n-th request of op: Config.Fault first,
// then Rates.
func (s *Server) fault(op string, n int) Fault {
	job := op == OpRun || op == OpRunsync
	if s.cfg.Fault != nil {
		switch f := s.cfg.Fault(op, n); {
		case f == FaultNone:
		case f.http():
			return f
		case f >= FaultFailed && f <= FaultExpire:
			if job {
				return f
			}
			return FaultNone
		}
	}
	r := s.cfg.Rates
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.HTTP429+r.HTTP500 > 0 {
		switch x := s.rng.Float64(); {
		case x < r.HTTP429:
			return Fault429
		case x < r.HTTP429+r.HTTP500:
			return Fault500
		}
	}
	if job && r.Failed+r.TimedOut+r.Stuck > 0 {
		switch x := s.rng.Float64(); {
		case x < r.Failed:
			return FaultFailed
		case x < r.Failed+r.TimedOut:
			return FaultTimedOut
		case x < r.Failed+r.TimedOut+r.Stuck:
			return FaultStuck
		}
	}
	return FaultNone
}

func (s *Server) serveSubmit(w http.ResponseWriter, r *http.Request, op string, fault Fault) {
	if r.ContentLength > MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes", MaxBodyBytes))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes", MaxBodyBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	req, err := parseRequest(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.format == FormatURL {
		// A custom worker downloads its input: a URL it cannot read makes
		// the job fail, as it would on RunPod.
		text, err := fetchTranscript(r.Context(), req.url)
		if err != nil {
			s.log.Info("url input unreadable: the job will fail", zap.Error(err))
			fault = FaultFailed
		}
		req.prompt = text
	}
	j := s.submit(req, fault)
	if op == OpRun {
		writeJSON(w, http.StatusOK, struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}{j.id, StatusInQueue})
		return
	}

	if j.finite {
		s.awaitFinite(w, r, j)
		return
	}
	wait := s.cfg.RunsyncWait
	if j.end != "" {
		s.mu.Lock()
		wait = min(wait, j.finishAt().Sub(s.instant()))
		s.mu.Unlock()
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-j.cancel:
		case <-r.Context().Done():
			return // the client left
		}
	}
	s.mu.Lock()
	now := s.instant()
	s.advance(now)
	st, delay, exec := j.status(now)
	s.mu.Unlock()
	s.writeStatus(w, j, st, delay, exec)
}

// runsyncPoll is how often a /runsync on a finite endpoint looks at its
// job: the simulation moves only when asked.
const runsyncPoll = 20 * time.Millisecond

// awaitFinite answers a /runsync on a finite endpoint: it looks at its job
// every runsyncPoll, for up to Config.RunsyncWait (real time), and answers
// with the job's status when it finishes or the wait is over.
func (s *Server) awaitFinite(w http.ResponseWriter, r *http.Request, j *job) {
	deadline := time.NewTimer(s.cfg.RunsyncWait)
	defer deadline.Stop()
	poll := time.NewTicker(runsyncPoll)
	defer poll.Stop()
	for {
		s.mu.Lock()
		now := s.instant()
		s.advance(now)
		st, delay, exec := j.status(now)
		s.mu.Unlock()
		if finished(st) {
			s.writeStatus(w, j, st, delay, exec)
			return
		}
		select {
		case <-poll.C:
			continue
		case <-j.cancel:
			continue
		case <-deadline.C:
		case <-r.Context().Done():
			return // the client left
		}
		s.writeStatus(w, j, st, delay, exec)
		return
	}
}

// submit creates the job for req with fault applied.
func (s *Server) submit(req request, fault Fault) *job {
	run := s.cfg.Latency
	if s.cfg.LatencyFor != nil {
		run = max(s.cfg.LatencyFor(req.prompt), 0)
	}
	j := &job{
		queue:    s.cfg.QueueDelay,
		run:      run,
		end:      StatusCompleted,
		prompt:   req.prompt,
		maxWords: max(req.maxTokens*3/4, 1),
		tokens:   estimateTokens(req.prompt),
		cancel:   make(chan struct{}),
	}
	switch fault {
	case FaultFailed:
		j.end = StatusFailed
	case FaultTimedOut:
		j.end = StatusTimedOut
	case FaultStuck:
		j.end = ""
	case FaultExpire:
		j.vanish = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j.created = s.instant()
	s.advance(j.created)
	for j.id == "" || s.jobs[j.id] != nil {
		j.id = newID(s.rng)
	}
	s.jobs[j.id] = j
	s.submitted++
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	if p := s.pool; p != nil {
		// Finite: the job waits in the queue; ttl and executionTimeout
		// have RunPod's defaults.
		j.finite, j.queue = true, 0
		j.eligible = j.created.Add(s.cfg.QueueDelay)
		j.timeout = cmp.Or(req.executionTimeout, ExecutionTimeoutDefault)
		heap.Push(&p.ttls, entry{at: j.created.Add(cmp.Or(req.ttl, TTLDefault)), j: j})
		p.queue = append(p.queue, j)
		p.queued++
		s.process(j.created)
	} else {
		if t := req.executionTimeout; t > 0 && j.end != "" && j.run > t {
			j.end, j.run, j.timedOut = StatusTimedOut, t, true
		}
		if j.end != "" {
			heap.Push(&s.pending, entry{at: j.finishAt(), j: j})
		}
	}
	if len(s.inputs) < MaxInputsRecorded {
		s.inputs = append(s.inputs, Input{
			JobID:     j.id,
			Format:    req.format,
			Text:      req.prompt,
			Bytes:     len(req.prompt),
			Words:     len(strings.Fields(req.prompt)),
			Tokens:    j.tokens,
			MaxTokens: req.maxTokens,
		})
	} else {
		s.dropped++
	}
	s.log.Debug("job submitted", zap.String("job_id", j.id), zap.String("format", req.format),
		zap.Int("bytes", len(req.prompt)), zap.Stringer("fault", fault))
	return j
}

// newID returns a random UUID (version 4 layout) from rng.
func newID(rng *rand.Rand) string {
	hi, lo := rng.Uint64(), rng.Uint64()
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
		hi>>32, hi>>16&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

func (s *Server) serveStatus(w http.ResponseWriter, id string) {
	s.mu.Lock()
	now := s.instant()
	s.advance(now)
	j := s.jobs[id]
	if j == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "job "+id+" not found or expired")
		return
	}
	st, delay, exec := j.status(now)
	s.mu.Unlock()
	s.writeStatus(w, j, st, delay, exec)
}

func (s *Server) writeStatus(w http.ResponseWriter, j *job, st string, delay, exec time.Duration) {
	resp := statusResponse{
		ID:            j.id,
		Status:        st,
		DelayTime:     delay.Milliseconds(),
		ExecutionTime: exec.Milliseconds(),
	}
	switch st {
	case StatusCompleted:
		resp.Output = j.output(s.cfg.OutputShape)
	case StatusFailed:
		resp.Error = "job failed (injected fault)"
	case StatusTimedOut:
		resp.Error = "job timed out"
	}
	writeJSON(w, http.StatusOK, resp)
}

type statusResponse struct {
	ID            string          `json:"id"`
	Status        string          `json:"status"`
	Output        json.RawMessage `json:"output,omitempty"`
	Error         string          `json:"error,omitempty"`
	DelayTime     int64           `json:"delayTime"`
	ExecutionTime int64           `json:"executionTime"`
}

func (s *Server) serveCancel(w http.ResponseWriter, id string) {
	s.mu.Lock()
	now := s.instant()
	s.advance(now)
	j := s.jobs[id]
	if j == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "job "+id+" not found or expired")
		return
	}
	st, _, _ := j.status(now)
	if !finished(st) {
		if st == StatusInQueue {
			s.counts.cancelledQueued++
		} else {
			s.counts.cancelledRunning++
		}
		close(j.cancel)
		if j.finite {
			// The job leaves the queue, or frees its worker's slot at once.
			s.finishJob(j, now, StatusCancelled)
			s.process(now)
		} else {
			j.cancelledAt = now
			s.settle(j, now, StatusCancelled)
		}
		st = StatusCancelled
		s.log.Debug("job cancelled", zap.String("job_id", id))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}{id, st})
}

// healthResponse is a /health answer.
type healthResponse struct {
	Jobs struct {
		Completed  int `json:"completed"`
		Failed     int `json:"failed"`
		InProgress int `json:"inProgress"`
		InQueue    int `json:"inQueue"`
		Retried    int `json:"retried"`
	} `json:"jobs"`
	Workers Workers `json:"workers"`
}

// serveHealth counts the jobs it still holds: completed and failed (FAILED
// and TIMED_OUT) among the results not yet expired, and the jobs in
// progress and in queue; and the workers by state (Snapshot).
func (s *Server) serveHealth(w http.ResponseWriter) {
	var h healthResponse
	s.mu.Lock()
	now := s.instant()
	s.advance(now)
	snap := s.snapshot(now)
	for _, j := range s.jobs {
		switch st, _, _ := j.status(now); st {
		case StatusCompleted:
			h.Jobs.Completed++
		case StatusFailed, StatusTimedOut:
			h.Jobs.Failed++
		}
	}
	s.mu.Unlock()
	h.Jobs.InProgress, h.Jobs.InQueue, h.Workers = snap.InProgress, snap.InQueue, snap.Workers
	writeJSON(w, http.StatusOK, h)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, struct {
		Error string `json:"error"`
	}{msg})
}

// entry is a job due at a time.
type entry struct {
	at time.Time
	j  *job
}

// jobHeap is a min-heap of entries by time.
type jobHeap []entry

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(a, b int) bool { return h[a].at.Before(h[b].at) }
func (h jobHeap) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *jobHeap) Push(x any)        { *h = append(*h, x.(entry)) }
func (h *jobHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = entry{}
	*h = old[:len(old)-1]
	return e
}
