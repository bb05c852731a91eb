package backend

import (
	"strconv"

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
			Buckets: []float64{.1, .25, .5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900},
		}, []string{"phase"}),
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
		reg.MustRegister(m.Jobs, m.Polls, m.Requests, m.JobTime)
	}
	return m
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
}
