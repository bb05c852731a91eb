package worker

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the worker's Prometheus collectors.
type Metrics struct {
	Stage *prometheus.HistogramVec // summarizer_stage_seconds{stage}: fetch, summarize, store, total
}

// NewMetrics creates the collectors and registers them with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{Stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "summarizer_stage_seconds",
		Help:    "Time spent per stage of one record: fetch, summarize, store, total.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900},
	}, []string{"stage"})}
	if reg != nil {
		reg.MustRegister(m.Stage)
	}
	return m
}
