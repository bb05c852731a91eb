package runpod

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/summarizer/summarizer/queue/outcome"
)

// Window is a client's admission window: how many jobs the process may have
// at RunPod at once (IN_QUEUE or IN_PROGRESS) so that a job it submits now
// can start within Config.QueueDelay. An endpoint has a few GPU workers and
// queues what they cannot take; the window keeps a burst waiting where it is
// cheapest and safest to wait (in the caller's queue, for the summarizer
// SQS) instead of in RunPod's queue, where a job's ttl runs and nothing can
// be taken back.
//
// The window is learned, with no coordinator, from what RunPod reports to
// every replica alike (style rule 16: admission follows the bottleneck, as
// Netflix's Gradient limit and CoDel do). Every HealthEvery while the
// client has work at RunPod, GET /health gives the endpoint's workers and
// its queued and running jobs; the jobs' own executionTime gives how long a
// job holds a worker (E), and the running jobs per running worker while
// jobs wait give how many jobs a worker takes at once (c). The endpoint can
// then hold
//
//	N* = slots × (1 + QueueDelay / E),  slots = (running + idle + initializing workers) × c
//
// jobs with none waiting longer than QueueDelay. Each replica scales its
// own jobs by how far the endpoint's jobs N (queued + running) are from
// N*: window = own × N*/N + 1, at most doubling per look. Every replica
// sees the same N and N*, so together they hold about N* jobs, shares that
// stay proportional while the additive 1 lets a new replica in; a replica
// with nothing at RunPod starts at the endpoint's free slots. Booting
// workers count as slots, so while a backlog exists the endpoint has jobs
// waiting a little over their threshold and RunPod's autoscaler (queue
// delay or request count) adds workers up to its maximum; the window grows
// as they come and shrinks as they go. On an endpoint scaled to zero the
// window is 1: one job wakes the autoscaler.
//
// An endpoint holding queued jobs while none of its workers can run them
// (all unhealthy or throttled, or none running, idle or starting for
// StallAfter) is stalled: an outage. The window is then 0 (nothing new is
// taken), and the messages waiting on it are held in place
// (outcome.HoldInPlace, cause outage) until workers recover; no job is
// cancelled or submitted again for it.
//
// When /health cannot be read the window keeps its size and follows the
// queue delays RunPod reports for started jobs instead: it shrinks in
// proportion when they exceed QueueDelay, and grows by one job while they
// stay under half of it and the window is full.
//
// A nil *Window admits everything at once.
type Window struct {
	c          *Client
	target     time.Duration
	ceiling    int
	every      time.Duration
	stallAfter time.Duration
	log        *zap.Logger

	mu          sync.Mutex
	limit       int
	outstanding int
	byGroup     map[any]int
	waiters     []*admission // in arrival order
	changed     chan struct{}
	demandAt    time.Time
	polling     bool
	closed      bool
	stop        chan struct{}
	wg          sync.WaitGroup

	exec       average // executionTime of completed jobs
	delay      average // delayTime of started jobs
	perWorker  float64 // jobs one worker takes at once
	health     Health
	healthAt   time.Time
	healthErrs int // failed /health requests in a row
	// progressAt is the last time the endpoint's queue was seen moving:
	// a job finished, one ran, or none waited.
	progressAt   time.Time
	lastFinished int
	stalled      error // why the endpoint is stalled; nil while it drains
	// recovered is closed, and replaced, when a stall ends.
	recovered chan struct{}
}

// admission is one caller waiting in Acquire.
type admission struct {
	group any
	ready chan struct{}
}

// WindowStats is a snapshot of a Window, for metrics.
type WindowStats struct {
	Limit       int // jobs the process may have at RunPod now
	Outstanding int // jobs it has there (granted by Acquire, not yet released)
	Waiting     int // callers waiting in Acquire
	// Stalled is why the endpoint is stalled, nil while it drains.
	Stalled error
	// Health is the last /health answer and HealthAt when it came (zero
	// before the first).
	Health   Health
	HealthAt time.Time
	// ExecTime is the average execution time of completed jobs (0 before
	// the first), PerWorker the jobs a worker is seen taking at once.
	ExecTime  time.Duration
	PerWorker float64
}

// healthIdle is how long after the last demand the window goes on asking
// /health, counted in HealthEvery.
const healthIdle = 3

func newWindow(c *Client) *Window {
	cfg := c.cfg
	return &Window{
		c:          c,
		target:     cfg.QueueDelay,
		ceiling:    cfg.WindowCeiling,
		every:      cfg.HealthEvery,
		stallAfter: cfg.StallAfter,
		log:        cfg.Logger,
		limit:      1,
		byGroup:    map[any]int{},
		changed:    make(chan struct{}),
		recovered:  make(chan struct{}),
		stop:       make(chan struct{}),
		perWorker:  1,
	}
}

// Acquire waits until the window has room for one more job of group (any
// comparable value naming what the job is for, e.g. its transcript's
// journal), or for ctx, and takes it; release gives it back once the job
// is no longer at RunPod (finished, or no longer waited for). Waiting
// callers are served by the fewest jobs of their group at RunPod first,
// then in order of arrival, so the map jobs of a long transcript and short
// transcripts share the window fairly. While the endpoint is stalled, a
// waiting caller's message is held in place (outcome.HoldInPlace).
func (w *Window) Acquire(ctx context.Context, group any) (release func(), err error) {
	if w == nil {
		return func() {}, nil
	}
	w.mu.Lock()
	w.demand()
	if len(w.waiters) == 0 && w.outstanding < w.limit {
		w.take(group)
		w.mu.Unlock()
		return w.releaser(group), nil
	}
	a := &admission{group: group, ready: make(chan struct{})}
	w.waiters = append(w.waiters, a)
	stalled := w.stalled
	w.mu.Unlock()

	var end func() // the hold in place while the endpoint is stalled
	hold := func(stalled error) {
		switch {
		case stalled != nil && end == nil:
			end = outcome.HoldInPlace(ctx, outcome.CauseOutage, stalled)
		case stalled == nil && end != nil:
			end()
			end = nil
		}
	}
	hold(stalled)
	defer hold(nil)
	tick := time.NewTicker(w.every)
	defer tick.Stop()
	for {
		select {
		case <-a.ready:
			return w.releaser(group), nil
		case <-ctx.Done():
			w.mu.Lock()
			if i := slices.Index(w.waiters, a); i >= 0 {
				w.waiters = slices.Delete(w.waiters, i, i+1)
				w.mu.Unlock()
			} else { // granted meanwhile: give it back
				w.mu.Unlock()
				w.releaser(group)()
			}
			return nil, ctx.Err()
		case <-tick.C:
			w.mu.Lock()
			w.demand()
			stalled = w.stalled
			w.mu.Unlock()
			hold(stalled)
		}
	}
}

// take grants one job of group. The caller holds w.mu.
func (w *Window) take(group any) {
	w.outstanding++
	w.byGroup[group]++
}

func (w *Window) releaser(group any) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.outstanding--
			if w.byGroup[group]--; w.byGroup[group] <= 0 {
				delete(w.byGroup, group)
			}
			w.dispatch()
		})
	}
}

// dispatch grants waiting callers while the window has room: the one
// whose group has the fewest jobs at RunPod first, the earliest among
// equals. The caller holds w.mu.
func (w *Window) dispatch() {
	for w.outstanding < w.limit && len(w.waiters) > 0 {
		best := 0
		for i, a := range w.waiters {
			if w.byGroup[a.group] < w.byGroup[w.waiters[best].group] {
				best = i
			}
		}
		a := w.waiters[best]
		w.waiters = slices.Delete(w.waiters, best, best+1)
		w.take(a.group)
		close(a.ready)
	}
}

// Limit is how many jobs the process may have at RunPod now: 0 while the
// endpoint is stalled. Asking counts as demand: the window keeps looking
// at /health while it is asked.
func (w *Window) Limit() int {
	if w == nil {
		return math.MaxInt
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.demand()
	return w.limit
}

// Changed returns a channel that is closed when Limit grows.
func (w *Window) Changed() <-chan struct{} {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

// Recovered returns a channel that is closed when the endpoint, stalled,
// drains its queue again (nil, never closed, without a window).
func (w *Window) Recovered() <-chan struct{} {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.recovered
}

// Stalled returns why the endpoint is stalled (an outage), nil while it
// drains its queue.
func (w *Window) Stalled() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stalled
}

// Stats returns a snapshot of the window.
func (w *Window) Stats() WindowStats {
	if w == nil {
		return WindowStats{}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	e, _ := w.exec.get()
	return WindowStats{
		Limit: w.limit, Outstanding: w.outstanding, Waiting: len(w.waiters), Stalled: w.stalled,
		Health: w.health, HealthAt: w.healthAt, ExecTime: e, PerWorker: w.perWorker,
	}
}

// Close stops the window's /health requests. Acquire and Limit still
// answer, from what the window last knew.
func (w *Window) Close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.stop)
	}
	w.mu.Unlock()
	w.wg.Wait()
}

// demand records that the window is asked for room, and starts asking
// /health if it is not already. The caller holds w.mu.
func (w *Window) demand() {
	w.demandAt = time.Now()
	if w.polling || w.closed {
		return
	}
	w.polling = true
	w.wg.Go(w.poll)
}

// poll asks /health every HealthEvery while the window is in use: jobs at
// RunPod, callers waiting, or asked within the last few looks.
func (w *Window) poll() {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			w.mu.Lock()
			w.polling = false
			w.mu.Unlock()
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(5*w.every, 5*time.Second))
		go func() { // a Close ends the request under way
			select {
			case <-w.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		h, err := w.c.Health(ctx)
		cancel()
		w.mu.Lock()
		if err == nil {
			w.update(h, time.Now())
		} else if !w.closed {
			w.healthFailed(err)
		}
		if w.closed || w.outstanding == 0 && len(w.waiters) == 0 && time.Since(w.demandAt) > healthIdle*w.every {
			w.polling = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		t.Reset(w.every)
	}
}

// update sets the window from a /health answer h seen at now. The caller
// holds w.mu.
func (w *Window) update(h Health, now time.Time) {
	w.health, w.healthAt, w.healthErrs = h, now, 0
	wk, jobs := h.Workers, h.Jobs
	if jobs.InQueue > 0 && wk.Running > 0 {
		// Jobs wait while workers run: each running worker is full.
		w.perWorker = max(1, math.Round(float64(jobs.InProgress)/float64(wk.Running)))
	}
	w.updateStall(h, now)
	slots := float64(wk.Running+wk.Idle+wk.Initializing) * w.perWorker
	want := 2 * slots // until a job's execution time is known
	if e, ok := w.exec.get(); ok {
		want = slots * (1 + w.target.Seconds()/max(e.Seconds(), 0.001))
	}
	want = max(want, 1) // one job wakes an endpoint scaled to zero
	endpoint := float64(max(jobs.InQueue+jobs.InProgress, w.outstanding))
	var next float64
	switch {
	case w.stalled != nil:
		next = 0
	case endpoint == 0:
		next = max(1, min(slots, want))
	default:
		next = float64(w.outstanding)*want/endpoint + 1
		next = min(next, 2*float64(w.limit)+1)
	}
	w.setLimit(next)
}

// updateStall decides whether the endpoint is stalled. The caller holds
// w.mu.
func (w *Window) updateStall(h Health, now time.Time) {
	wk, jobs := h.Workers, h.Jobs
	finished := jobs.Completed + jobs.Failed
	if w.progressAt.IsZero() || finished != w.lastFinished || jobs.InProgress > 0 || jobs.InQueue == 0 {
		w.progressAt = now
	}
	w.lastFinished = finished
	was := w.stalled
	switch {
	case jobs.InQueue == 0 || wk.Running+wk.Idle > 0:
		w.stalled = nil
	case wk.Unhealthy+wk.Throttled > 0:
		w.stalled = fmt.Errorf("runpod endpoint does not drain its queue: %d jobs wait and no worker can run them (%d unhealthy, %d throttled, %d starting)",
			jobs.InQueue, wk.Unhealthy, wk.Throttled, wk.Initializing)
	case wk.Initializing == 0 && now.Sub(w.progressAt) >= w.stallAfter:
		w.stalled = fmt.Errorf("runpod endpoint does not drain its queue: %d jobs wait and no worker has run, idled or started for %s",
			jobs.InQueue, now.Sub(w.progressAt).Round(time.Second))
	default:
		w.stalled = nil
	}
	switch {
	case was == nil && w.stalled != nil:
		w.log.Warn("runpod endpoint stalled: taking no new work, waiting messages held", zap.Error(w.stalled))
	case was != nil && w.stalled == nil:
		w.log.Info("runpod endpoint drains its queue again")
		close(w.recovered)
		w.recovered = make(chan struct{})
	}
}

// healthFailed records a failed /health request. The caller holds w.mu.
func (w *Window) healthFailed(err error) {
	w.healthErrs++
	if w.healthErrs == 3 || w.healthErrs%60 == 0 {
		w.log.Warn("runpod /health failing: the admission window follows the jobs' queue delays instead",
			zap.Int("failures", w.healthErrs), zap.Error(err))
	}
	if w.healthErrs >= 3 {
		w.stalled = nil // unknown, not stalled: jobs still report their delays
	}
}

// setLimit sets the window to next jobs (floor, within the ceiling), and
// wakes who waits for room when it grew. The caller holds w.mu.
func (w *Window) setLimit(next float64) {
	n := int(math.Floor(max(next, 0)))
	if w.ceiling > 0 {
		n = min(n, w.ceiling)
	}
	grew := n > w.limit
	w.limit = n
	if grew {
		close(w.changed)
		w.changed = make(chan struct{})
	}
	w.dispatch()
}

// started records the queue delay of a job seen started.
func (w *Window) started(delay time.Duration) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.delay.observe(delay)
	if w.healthErrs < 3 || w.target <= 0 {
		return
	}
	// Without /health, follow the delays.
	switch {
	case delay > w.target:
		w.setLimit(max(1, float64(w.limit)*w.target.Seconds()/delay.Seconds()))
	case delay < w.target/2 && w.outstanding >= w.limit:
		w.setLimit(float64(w.limit) + 1)
	}
}

// completed records the execution time of a completed job.
func (w *Window) completed(exec time.Duration) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.exec.observe(exec)
}

// average is a moving average of durations.
type average struct {
	n   int
	avg time.Duration
}

func (a *average) observe(d time.Duration) {
	if d <= 0 {
		return
	}
	if a.n == 0 {
		a.avg = d
	} else {
		a.avg += (d - a.avg) / 5
	}
	a.n++
}

func (a *average) get() (time.Duration, bool) { return a.avg, a.n > 0 }
