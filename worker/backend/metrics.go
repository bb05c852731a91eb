package backend

import (
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/summarizer/summarizer/worker/runpod"
)

// Metrics are the RunPod backend's Prometheus collectors. A nil *Metrics
// records nothing.
type Metrics struct {
	Jobs     *prometheus.CounterVec   // summarizer_runpod_jobs_total{status}
	Polls    prometheus.Counter       // summarizer_runpod_polls_total
	Requests *prometheus.CounterVec   // summarizer_runpod_requests_total{op,code}
	JobTime  *prometheus.HistogramVec // summarizer_runpod_job_seconds{phase}: delay (queue) and execution, as RunPod reports them
	// Execution is summarizer_runpod_execution_seconds_total: the GPU time
	// of completed jobs, as RunPod reports it.
	Execution prometheus.Counter

	window atomic.Pointer[runpod.Window] // read by the window collector
}

// NewMetrics creates the collectors and registers them with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "summarizer_runpod_jobs_total",
			Help: "RunPod jobs by final status: COMPLETED, FAILED, CANCELLED, TIMED_OUT, EXPIRED, ABANDONED.",
		}, []string{"status"}),
		Polls: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "summarizer_runpod_polls_total",
			Help: "RunPod /status requests.",
		}),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "summarizer_runpod_requests_total",
			Help: "RunPod HTTP requests by operation (run, status, cancel) and answer code (0: no answer); code 429 is throttling.",
		}, []string{"op", "code"}),
		JobTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "summarizer_runpod_job_seconds",
			Help:    "RunPod's own delayTime (phase=delay: queue and cold start) and executionTime (phase=execution) of completed jobs.",
			Buckets: []float64{.1, .25, .5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900, 1800, 3600, 7200},
		}, []string{"phase"}),
		Execution: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "summarizer_runpod_execution_seconds_total",
			Help: "Execution time of completed RunPod jobs, as RunPod reports it: the GPU time the summaries cost (billed worker time adds cold starts and idle time).",
		}),
	}
	// Series that exist from the start: a rate over them sees the first
	// observations too.
	for _, phase := range []string{"delay", "execution"} {
		m.JobTime.WithLabelValues(phase)
	}
	for _, op := range []string{"run", "status", "cancel"} {
		for _, code := range []string{"200", "429"} {
			m.Requests.WithLabelValues(op, code)
		}
	}
	if reg != nil {
		reg.MustRegister(m.Jobs, m.Polls, m.Requests, m.JobTime, m.Execution, windowCollector{m})
	}
	return m
}

// watch makes the metrics report w, the RunPod client's admission window.
func (m *Metrics) watch(w *runpod.Window) {
	if m != nil && w != nil {
		m.window.Store(w)
	}
}

var (
	windowDesc = prometheus.NewDesc("summarizer_runpod_window_jobs",
		"Admission window: RunPod jobs this replica may have queued or running at once, learned so that each starts within RUNPOD_QUEUE_DELAY (0: the endpoint is stalled).", nil, nil)
	outstandingDesc = prometheus.NewDesc("summarizer_runpod_outstanding_jobs",
		"RunPod jobs this replica has queued or running (admitted by the window, not yet finished).", nil, nil)
	waitingDesc = prometheus.NewDesc("summarizer_runpod_waiting_calls",
		"Model calls of this replica waiting for a place in the admission window.", nil, nil)
	endpointJobsDesc = prometheus.NewDesc("summarizer_runpod_endpoint_jobs",
		"The endpoint's jobs by state (in_queue, in_progress), from its /health: the same for every replica.", []string{"state"}, nil)
	endpointWorkersDesc = prometheus.NewDesc("summarizer_runpod_endpoint_workers",
		"The endpoint's workers by state (idle, running, initializing, ready, throttled, unhealthy), from its /health: the same for every replica.", []string{"state"}, nil)
	stalledDesc = prometheus.NewDesc("summarizer_runpod_endpoint_stalled",
		"1 while the endpoint holds queued jobs that none of its workers can run (unhealthy, throttled, or none running or starting): an outage; its waiting messages are held.", nil, nil)
)

// windowCollector reports the admission window at scrape time; nothing
// before the window exists (SUMMARIZER=runpod with RUNPOD_QUEUE_DELAY > 0).
type windowCollector struct{ m *Metrics }

func (c windowCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{windowDesc, outstandingDesc, waitingDesc, endpointJobsDesc, endpointWorkersDesc, stalledDesc} {
		ch <- d
	}
}

func (c windowCollector) Collect(ch chan<- prometheus.Metric) {
	w := c.m.window.Load()
	if w == nil {
		return
	}
	s := w.Stats()
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	gauge(windowDesc, s.Limit)
	gauge(outstandingDesc, s.Outstanding)
	gauge(waitingDesc, s.Waiting)
	h := s.Health
	gauge(endpointJobsDesc, h.Jobs.InQueue, "in_queue")
	gauge(endpointJobsDesc, h.Jobs.InProgress, "in_progress")
	for _, st := range []struct {
		name string
		n    int
	}{{"idle", h.Workers.Idle}, {"running", h.Workers.Running}, {"initializing", h.Workers.Initializing},
		{"ready", h.Workers.Ready}, {"throttled", h.Workers.Throttled}, {"unhealthy", h.Workers.Unhealthy}} {
		gauge(endpointWorkersDesc, st.n, st.name)
	}
	stalled := 0
	if s.Stalled != nil {
		stalled = 1
	}
	gauge(stalledDesc, stalled)
}

// instrument sets the RunPod client's callbacks to count into m.
func (m *Metrics) instrument(cfg *runpod.Config) {
	if m == nil {
		return
	}
	cfg.OnPoll = m.Polls.Inc
	cfg.OnJob = func(status string) { m.Jobs.WithLabelValues(status).Inc() }
	cfg.OnResponse = func(op string, code int) { m.Requests.WithLabelValues(op, strconv.Itoa(code)).Inc() }
}

func (m *Metrics) observeJob(r runpod.Result) {
	if m == nil {
		return
	}
	m.JobTime.WithLabelValues("delay").Observe(r.DelayTime.Seconds())
	m.JobTime.WithLabelValues("execution").Observe(r.ExecutionTime.Seconds())
	m.Execution.Add(r.ExecutionTime.Seconds())
}
