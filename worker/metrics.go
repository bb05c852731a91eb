package worker

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the worker's Prometheus collectors. A nil *Metrics records
// nothing.
type Metrics struct {
	Stage    *prometheus.HistogramVec // summarizer_stage_seconds{stage}: fetch, summarize, store, total
	EndToEnd prometheus.Histogram     // summarizer_end_to_end_seconds: S3 eventTime to summary written
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
	}
	if reg != nil {
		reg.MustRegister(m.Stage, m.EndToEnd)
	}
	return m
}

func (m *Metrics) observeEndToEnd(eventTime time.Time) {
	if m == nil || eventTime.IsZero() {
		return
	}
	if d := time.Since(eventTime); d >= 0 {
		m.EndToEnd.Observe(d.Seconds())
	}
}
