package emulator

import (
	"container/heap"
	"errors"
	"slices"
	"time"

	"go.uber.org/zap"
)

// A finite endpoint (Config.MaxWorkers > 0) is a discrete-event
// simulation: its state changes only at events (a job ends, a ttl runs out,
// a worker finishes booting, a worker's idle timeout passes, a queued job
// may start, a scaler tick), and [Server.advanceWorkers] processes them in
// time order up to now whenever a request, Stats or Snapshot asks, under
// Server.mu. No goroutine, timer or ticker runs for a job or a worker, and
// a quiet endpoint costs nothing to advance: only the ticks at which the
// scaler would act are events.

// ErrUnlimited is returned by the run-time switches of a Server in
// unlimited mode (Config.MaxWorkers 0): it has no workers to switch.
var ErrUnlimited = errors.New("emulator: unlimited mode (MaxWorkers 0) has no workers")

// wstate is a worker's state.
type wstate int

const (
	// wThrottled: the host lacks resources; not booting, not billed.
	wThrottled wstate = iota
	// wBooting: initializing until readyAt (/health "initializing").
	wBooting
	// wReady: up and healthy, idle (no job) or running.
	wReady
	// wUnhealthy: crashed at start and crash-looping until the unhealthy
	// switch goes off.
	wUnhealthy
)

// worker is one worker of a finite endpoint.
type worker struct {
	state     wstate
	always    bool      // one of Config.MinWorkers: no idle timeout
	draining  bool      // over a lowered MaxWorkers: takes no job, stops when it has none
	billFrom  time.Time // when its billed time began; zero while it never booted
	readyAt   time.Time // wBooting: when the boot completes
	idleSince time.Time // wReady with no job: since when
	jobs      int       // jobs running on it
}

// pool is the state of a finite endpoint. Guarded by Server.mu.
type pool struct {
	now      time.Time // everything due up to now is processed
	origin   time.Time // scaler ticks fall at origin + k*ScaleInterval
	lastTick time.Time // the last tick at which the scaler acted (origin at first)

	maxWorkers           int
	unhealthy, throttled bool

	queue   []*job      // FIFO by submission; settled jobs are skipped lazily
	queued  int         // jobs IN_QUEUE
	running int         // jobs IN_PROGRESS
	workers []*worker   // every worker that has not stopped, oldest first
	ends    jobHeap     // running jobs by planned end (stale entries skipped)
	ttls    jobHeap     // unsettled jobs by ttl deadline (stale entries skipped)
	warm    []time.Time // when workers stopped, for FlashBoot

	billed time.Duration   // billed time of stopped workers
	peak   int             // most workers initializing, idle or running at once
	delays []time.Duration // delayTime of started jobs, in start order
}

// newPool returns the pool of a finite endpoint at now, its MinWorkers
// warm and idle.
func (s *Server) newPool(now time.Time) *pool {
	p := &pool{now: now, origin: now, lastTick: now, maxWorkers: s.cfg.MaxWorkers}
	for range s.cfg.MinWorkers {
		p.workers = append(p.workers, &worker{state: wReady, always: true, billFrom: now, idleSince: now})
	}
	p.peak = len(p.workers)
	return p
}

// head returns the oldest job IN_QUEUE, or nil.
func (p *pool) head() *job {
	for len(p.queue) > 0 && p.queue[0].settled {
		p.queue[0] = nil
		p.queue = p.queue[1:]
	}
	if len(p.queue) == 0 {
		p.queue = nil
		return nil
	}
	return p.queue[0]
}

// advanceWorkers processes every event of the finite endpoint due by now,
// in time order. The caller holds s.mu.
func (s *Server) advanceWorkers(now time.Time) {
	p := s.pool
	if now.Before(p.now) {
		now = p.now
	}
	same := 0
	for {
		t, ok := s.nextEvent()
		if !ok || t.After(now) {
			break
		}
		if !t.After(p.now) {
			t = p.now
			if same++; same > maxStepsAtOnce {
				// Cannot happen: every event is consumed where it is due.
				s.log.Error("emulator: simulation made no progress", zap.Time("at", t))
				break
			}
		} else {
			same = 0
		}
		p.now = t
		s.process(t)
	}
	p.now = now
	s.process(now)
}

// maxStepsAtOnce bounds the steps advanceWorkers takes at one instant.
const maxStepsAtOnce = 1000

// nextEvent returns the time of the earliest event not yet processed: it
// is never later than the true next event, and an event it returns at
// p.now or before is consumed by process(p.now). The caller holds s.mu.
func (s *Server) nextEvent() (time.Time, bool) {
	p := s.pool
	var next time.Time
	ok := false
	consider := func(t time.Time) {
		if !ok || t.Before(next) {
			next, ok = t, true
		}
	}
	for len(p.ends) > 0 {
		if e := p.ends[0]; e.j.settled || e.j.w == nil || !e.j.endAt.Equal(e.at) {
			heap.Pop(&p.ends)
			continue
		}
		consider(p.ends[0].at)
		break
	}
	for len(p.ttls) > 0 {
		if p.ttls[0].j.settled {
			heap.Pop(&p.ttls)
			continue
		}
		consider(p.ttls[0].at)
		break
	}
	free := false
	for _, w := range p.workers {
		switch w.state {
		case wBooting:
			consider(w.readyAt)
		case wReady:
			if w.jobs == 0 && !w.always && !w.draining && !p.unhealthy {
				consider(w.idleSince.Add(s.cfg.IdleTimeout))
			}
			if !w.draining && w.jobs < s.cfg.WorkerConcurrency {
				free = true
			}
		}
	}
	if free && !p.unhealthy {
		if j := p.head(); j != nil {
			consider(j.eligible)
		}
	}
	if t, due := s.nextTick(); due {
		consider(t)
	}
	return next, ok
}

// process does, at t, everything due by t, in this order: jobs end, ttls
// run out, boots complete, queued jobs start, idle workers stop (or crash
// while unhealthy), the scaler looks. The caller holds s.mu.
func (s *Server) process(t time.Time) {
	p := s.pool
	for len(p.ends) > 0 && !p.ends[0].at.After(t) {
		e := heap.Pop(&p.ends).(entry)
		if j := e.j; !j.settled && j.w != nil && j.endAt.Equal(e.at) {
			if j.timedOut {
				s.counts.timedOutRunning++
			}
			s.finishJob(j, e.at, j.endStatus)
		}
	}
	for len(p.ttls) > 0 && !p.ttls[0].at.After(t) {
		if e := heap.Pop(&p.ttls).(entry); !e.j.settled {
			s.expire(e.j, e.at)
		}
	}
	for _, w := range p.workers {
		if w.state == wBooting && !w.readyAt.After(t) {
			if p.unhealthy {
				w.state = wUnhealthy
				continue
			}
			w.state, w.idleSince = wReady, w.readyAt
		}
	}
	s.dispatch(t)
	kept := p.workers[:0]
	for _, w := range p.workers {
		if w.state == wReady && w.jobs == 0 {
			switch stop := w.idleSince.Add(s.cfg.IdleTimeout); {
			case w.draining:
				s.stopWorker(w, t)
				continue
			case p.unhealthy:
				w.state = wUnhealthy // crashes on its next start
			case !w.always && !stop.After(t):
				s.stopWorker(w, stop)
				continue
			}
		}
		kept = append(kept, w)
	}
	clear(p.workers[len(kept):])
	p.workers = kept
	s.scale(t)
	p.peak = max(p.peak, p.up())
}

// up counts the workers initializing, idle or running.
func (p *pool) up() int {
	n := 0
	for _, w := range p.workers {
		if w.state == wBooting || w.state == wReady {
			n++
		}
	}
	return n
}

// dispatch starts queued jobs, oldest first, on ready workers with a free
// slot (the oldest such worker first), while the endpoint is healthy. The
// caller holds s.mu.
func (s *Server) dispatch(t time.Time) {
	p := s.pool
	if p.unhealthy {
		return
	}
	for {
		j := p.head()
		if j == nil || j.eligible.After(t) {
			return
		}
		i := slices.IndexFunc(p.workers, func(w *worker) bool {
			return w.state == wReady && !w.draining && w.jobs < s.cfg.WorkerConcurrency
		})
		if i < 0 {
			return
		}
		s.startJob(j, p.workers[i], t)
		p.queue[0] = nil
		p.queue = p.queue[1:]
	}
}

// startJob runs the queued job j on w from t. A job that would run longer
// than its executionTimeout (a stuck one always would) ends TIMED_OUT when
// the timeout is up. The caller holds s.mu.
func (s *Server) startJob(j *job, w *worker, t time.Time) {
	p := s.pool
	j.w, j.started = w, t
	w.jobs++
	p.queued--
	p.running++
	status, run := j.end, j.run
	if status == "" || run > j.timeout {
		status, run, j.timedOut = StatusTimedOut, j.timeout, true
	}
	j.endStatus, j.endAt = status, t.Add(run)
	heap.Push(&p.ends, entry{at: j.endAt, j: j})
	if len(p.delays) < MaxInputsRecorded {
		p.delays = append(p.delays, t.Sub(j.created))
	}
	s.log.Debug("job started", zap.String("job_id", j.id), zap.Duration("delay", t.Sub(j.created)))
}

// finishJob ends the finite job j at t with status, freeing its worker's
// slot if it runs. The caller holds s.mu.
func (s *Server) finishJob(j *job, t time.Time, status string) {
	p := s.pool
	if w := j.w; w != nil {
		j.delay, j.exec = j.started.Sub(j.created), t.Sub(j.started)
		if w.jobs--; w.jobs == 0 {
			w.idleSince = t
		}
		p.running--
		j.w = nil
	} else {
		j.delay, j.exec = t.Sub(j.created), 0
		p.queued--
	}
	j.final = status
	s.settle(j, t, status)
}

// expire ends j, whose policy.ttl ran out at t, as Config.TTLExpiry says.
// The caller holds s.mu.
func (s *Server) expire(j *job, t time.Time) {
	if j.w != nil {
		s.counts.expiredRunning++
	} else {
		s.counts.expiredQueued++
	}
	j.timedOut = false // not by executionTimeout
	if s.cfg.TTLExpiry == TTLExpiryDelete {
		j.vanish = true
	}
	s.log.Debug("job expired (ttl)", zap.String("job_id", j.id))
	s.finishJob(j, t, StatusTimedOut)
}

// nextTick returns the scaler tick at which the scaler would act given the
// state now, and whether there is one: the earliest tick after the last
// one it acted at, not before p.now, and for ScalerQueueDelay after the
// oldest queued job has waited ScalerValue seconds. The caller holds s.mu.
func (s *Server) nextTick() (time.Time, bool) {
	p := s.pool
	iv := s.cfg.ScaleInterval
	// after returns the first tick strictly after t; atOrAfter, at or after.
	after := func(t time.Time) time.Time {
		if t.Before(p.origin) {
			return p.origin
		}
		return p.origin.Add((t.Sub(p.origin)/iv + 1) * iv)
	}
	atOrAfter := func(t time.Time) time.Time { return after(t.Add(-1)) }
	tick := later(after(p.lastTick), atOrAfter(p.now))
	switch s.cfg.Scaler {
	case ScalerRequestCount:
		if len(p.workers) >= s.target() {
			return time.Time{}, false
		}
	default:
		j := p.head()
		if j == nil || len(p.workers) >= p.maxWorkers || s.uncovered() <= 0 {
			return time.Time{}, false
		}
		tick = later(tick, after(j.created.Add(time.Duration(s.cfg.ScalerValue)*time.Second)))
	}
	return tick, true
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// target is the request count scaler's worker count:
// ceil((inQueue + inProgress) / ScalerValue), within [MinWorkers, MaxWorkers].
func (s *Server) target() int {
	p := s.pool
	v := s.cfg.ScalerValue
	n := (p.queued + p.running + v - 1) / v
	return min(max(n, s.cfg.MinWorkers), p.maxWorkers)
}

// uncovered counts the queued jobs that no worker will take: beyond the
// free slots of the booting workers and, while healthy, of the ready ones.
// Throttled and unhealthy workers take none.
func (s *Server) uncovered() int {
	p := s.pool
	slots := 0
	for _, w := range p.workers {
		switch {
		case w.draining:
		case w.state == wBooting:
			slots += s.cfg.WorkerConcurrency
		case w.state == wReady && !p.unhealthy:
			slots += s.cfg.WorkerConcurrency - w.jobs
		}
	}
	return p.queued - slots
}

// scale runs the scaler at t. The queue delay scaler starts one worker at
// once when a job waits and there is no worker at all ("with zero workers
// initially, the first request adds one worker"), and one at a tick while
// the oldest queued job has waited over the threshold and some queued job
// has no worker coming. The request count scaler starts workers up to its
// target at a tick. The caller holds s.mu.
func (s *Server) scale(t time.Time) {
	p := s.pool
	if s.cfg.Scaler == ScalerQueueDelay && len(p.workers) == 0 && p.queued > 0 {
		s.startWorker(t)
		return
	}
	tick, ok := s.nextTick()
	if !ok || tick.After(t) {
		return
	}
	p.lastTick = tick
	if s.cfg.Scaler == ScalerRequestCount {
		for n := s.target(); len(p.workers) < n; {
			s.startWorker(t)
		}
		return
	}
	s.startWorker(t)
}

// startWorker adds a worker at t: throttled while the throttled switch is
// on, else booting. The caller holds s.mu.
func (s *Server) startWorker(t time.Time) {
	w := &worker{state: wThrottled}
	if !s.pool.throttled {
		s.boot(w, t, true)
	}
	s.pool.workers = append(s.pool.workers, w)
	s.log.Debug("worker started", zap.Int("workers", len(s.pool.workers)), zap.Bool("throttled", s.pool.throttled))
}

// boot starts w's boot at t: ColdStart long, or FlashBoot when flash
// allows it and a worker stopped within FlashBootWindow is there to
// revive. Its billed time begins, unless it already has. The caller holds
// s.mu.
func (s *Server) boot(w *worker, t time.Time, flash bool) {
	d := s.cfg.ColdStart
	if flash && s.cfg.FlashBoot > 0 && s.takeWarm(t) {
		d = s.cfg.FlashBoot
	}
	w.state, w.readyAt = wBooting, t.Add(d)
	if w.billFrom.IsZero() {
		w.billFrom = t
	}
}

// takeWarm consumes the latest worker stopped within FlashBootWindow of t
// and reports whether there was one.
func (s *Server) takeWarm(t time.Time) bool {
	p := s.pool
	p.warm = slices.DeleteFunc(p.warm, func(at time.Time) bool { return t.Sub(at) > s.cfg.FlashBootWindow })
	if len(p.warm) == 0 {
		return false
	}
	i := 0
	for k, at := range p.warm {
		if at.After(p.warm[i]) {
			i = k
		}
	}
	p.warm = slices.Delete(p.warm, i, i+1)
	return true
}

// stopWorker bills w up to t and, if it was up and FlashBoot is on, keeps
// it for a revival. The caller removes it from p.workers. The caller holds
// s.mu.
func (s *Server) stopWorker(w *worker, t time.Time) {
	p := s.pool
	var billed time.Duration
	if !w.billFrom.IsZero() {
		billed = t.Sub(w.billFrom)
	}
	p.billed += billed
	if w.state == wReady && s.cfg.FlashBoot > 0 {
		p.warm = slices.DeleteFunc(p.warm, func(at time.Time) bool { return t.Sub(at) > s.cfg.FlashBootWindow })
		p.warm = append(p.warm, t)
	}
	s.log.Debug("worker stopped", zap.Duration("billed", billed))
}

// billedAt is the billed time of every worker up to t.
func (p *pool) billedAt(t time.Time) time.Duration {
	d := p.billed
	for _, w := range p.workers {
		if !w.billFrom.IsZero() {
			d += t.Sub(w.billFrom)
		}
	}
	return d
}

// workersNow counts the workers by /health state. Ready is the same count
// as idle: up, healthy and without a job.
func (p *pool) workersNow() Workers {
	var c Workers
	for _, w := range p.workers {
		switch {
		case w.state == wThrottled:
			c.Throttled++
		case w.state == wBooting:
			c.Initializing++
		case w.state == wUnhealthy:
			c.Unhealthy++
		case w.jobs > 0:
			c.Running++
		default:
			c.Idle++
		}
	}
	c.Ready = c.Idle
	return c
}

// SetUnhealthy switches the "unhealthy" fault of a finite endpoint: while
// on, every worker that finishes booting crashes and crash-loops (/health
// "unhealthy"), a ready worker crashes as soon as it has no job, no job
// starts, and queued jobs wait with no error (RunPod's "stuck IN_QUEUE").
// Running jobs finish first. Switched off, each crash-looping worker boots
// once more (ColdStart) and comes up healthy. It returns ErrUnlimited in
// unlimited mode. Safe for concurrent use.
func (s *Server) SetUnhealthy(on bool) error {
	return s.switchWorkers(func(p *pool, now time.Time) error {
		if p.unhealthy == on {
			return nil
		}
		p.unhealthy = on
		if !on {
			for _, w := range p.workers {
				if w.state == wUnhealthy {
					s.boot(w, now, false)
				}
			}
		}
		s.log.Info("emulator: unhealthy switched", zap.Bool("on", on))
		return nil
	})
}

// SetThrottled switches the "throttled" fault of a finite endpoint: while
// on, every worker the scaler starts stays throttled (the host lacks
// resources): it never boots and bills nothing, but counts against
// MaxWorkers. Switched off, the throttled workers boot. Workers already up
// are not affected. It returns ErrUnlimited in unlimited mode. Safe for
// concurrent use.
func (s *Server) SetThrottled(on bool) error {
	return s.switchWorkers(func(p *pool, now time.Time) error {
		if p.throttled == on {
			return nil
		}
		p.throttled = on
		if !on {
			for _, w := range p.workers {
				if w.state == wThrottled {
					s.boot(w, now, true)
				}
			}
		}
		s.log.Info("emulator: throttled switched", zap.Bool("on", on))
		return nil
	})
}

// SetMaxWorkers changes a finite endpoint's MaxWorkers, as RunPod does to
// endpoints idle for days. It must be at least 1 and at least MinWorkers.
// Workers over the new limit stop at once, throttled ones first, then
// initializing, unhealthy and idle ones (newest first, never one of
// MinWorkers); running ones over it take no new job and stop when their
// jobs end. It returns ErrUnlimited
// in unlimited mode. Safe for concurrent use.
func (s *Server) SetMaxWorkers(n int) error {
	return s.switchWorkers(func(p *pool, now time.Time) error {
		if n < 1 || n < s.cfg.MinWorkers {
			return errors.New("emulator: MaxWorkers must be at least 1 and at least MinWorkers")
		}
		p.maxWorkers = n
		excess := -n
		for _, w := range p.workers {
			if !w.draining {
				excess++
			}
		}
		for _, idle := range []func(*worker) bool{
			func(w *worker) bool { return w.state == wThrottled },
			func(w *worker) bool { return w.state == wBooting },
			func(w *worker) bool { return w.state == wUnhealthy },
			func(w *worker) bool { return w.state == wReady && w.jobs == 0 && !w.always },
		} {
			for i := len(p.workers) - 1; i >= 0 && excess > 0; i-- {
				if w := p.workers[i]; !w.draining && idle(w) {
					s.stopWorker(w, now)
					p.workers = slices.Delete(p.workers, i, i+1)
					excess--
				}
			}
		}
		for i := len(p.workers) - 1; i >= 0 && excess > 0; i-- {
			if w := p.workers[i]; !w.draining && !w.always {
				w.draining = true
				excess--
			}
		}
		s.log.Info("emulator: max workers changed", zap.Int("max_workers", n))
		return nil
	})
}

// switchWorkers advances the finite endpoint to now, applies change, and
// processes its consequences at now.
func (s *Server) switchWorkers(change func(p *pool, now time.Time) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pool == nil {
		return ErrUnlimited
	}
	now := s.instant()
	s.advance(now)
	if err := change(s.pool, now); err != nil {
		return err
	}
	s.process(now)
	return nil
}
