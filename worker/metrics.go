package worker

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/summarizer/summarizer/worker/runpod"
)

// Metrics are the worker's Prometheus collectors. A nil *Metrics records
// nothing.
type Metrics struct {
	Stage      *prometheus.HistogramVec // summarizer_stage_seconds{stage}: fetch, summarize, store, total
	EndToEnd   prometheus.Histogram     // summarizer_end_to_end_seconds: S3 eventTime to summary written
	RunPodWait *prometheus.HistogramVec // summarizer_runpod_job_seconds{phase}: delay (queue) and execution, as RunPod reports them
}

// NewMetrics creates the collectors and registers them with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "summarizer_stage_seconds",
			Help:    "Time spent per stage of one record: fetch, summarize, store, total.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900},
		}, []string{"stage"}),
		EndToEnd: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "summarizer_end_to_end_seconds",
			Help:    "From the S3 event time of an upload to its summary written.",
			Buckets: []float64{.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600},
		}),
		RunPodWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "summarizer_runpod_job_seconds",
			Help:    "RunPod's own delayTime (phase=delay: queue and cold start) and executionTime (phase=execution) of completed jobs.",
			Buckets: []float64{.1, .25, .5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900},
		}, []string{"phase"}),
	}
	if reg != nil {
		reg.MustRegister(m.Stage, m.EndToEnd, m.RunPodWait)
	}
	return m
}

func (m *Metrics) observeJob(r runpod.Result) {
	if m == nil {
		return
	}
	m.RunPodWait.WithLabelValues("delay").Observe(r.DelayTime.Seconds())
	m.RunPodWait.WithLabelValues("execution").Observe(r.ExecutionTime.Seconds())
}

func (m *Metrics) observeEndToEnd(eventTime time.Time) {
	if m == nil || eventTime.IsZero() {
		return
	}
	if d := time.Since(eventTime); d >= 0 {
		m.EndToEnd.Observe(d.Seconds())
	}
}
