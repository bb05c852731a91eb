package queue

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/summarizer/summarizer/queue/outcome"
)

// Metrics are the consumer's Prometheus collectors.
type Metrics struct {
	Messages            *prometheus.CounterVec // summarizer_messages_total{outcome}
	Inflight            prometheus.Gauge       // summarizer_inflight_messages
	SQSRequests         *prometheus.CounterVec // summarizer_sqs_requests_total{op}
	EmptyReceives       prometheus.Counter     // summarizer_empty_receives_total
	VisibilityExtension prometheus.Counter     // summarizer_visibility_extensions_total
	LeasesLost          prometheus.Counter     // summarizer_leases_lost_total
	Held                *prometheus.GaugeVec   // summarizer_held_messages{cause}
}

// NewMetrics creates the collectors and registers them with reg; a nil reg
// leaves them unregistered (they still count, nobody reads them).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "summarizer_messages_total",
			Help: "Messages by outcome: done, skipped, superseded, dead_lettered, retried, released (shutdown or visibility ceiling).",
		}, []string{"outcome"}),
		Inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "summarizer_inflight_messages",
			Help: "Messages received and not yet finished.",
		}),
		SQSRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "summarizer_sqs_requests_total",
			Help: "SQS API requests by operation.",
		}, []string{"op"}),
		EmptyReceives: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "summarizer_empty_receives_total",
			Help: "Receives that returned no message.",
		}),
		VisibilityExtension: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "summarizer_visibility_extensions_total",
			Help: "Visibility extensions of messages in flight.",
		}),
		LeasesLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "summarizer_leases_lost_total",
			Help: "Messages whose lease ran out or was reported gone while in flight: their work stopped and nothing was written for them.",
		}),
		Held: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "summarizer_held_messages",
			Help: "Messages held (lease kept, handler retried later) by cause: config, throttled, outage.",
		}, []string{"cause"}),
	}
	for _, o := range []outcome.Kind{outcome.Done, outcome.Skipped, outcome.Superseded, outcome.DeadLettered, outcome.Retried, outcome.Released} {
		m.Messages.WithLabelValues(o.String())
	}
	for _, c := range []outcome.Cause{outcome.CauseConfig, outcome.CauseThrottled, outcome.CauseOutage} {
		m.Held.WithLabelValues(string(c))
	}
	if reg != nil {
		reg.MustRegister(m.Messages, m.Inflight, m.SQSRequests, m.EmptyReceives, m.VisibilityExtension, m.LeasesLost, m.Held)
	}
	return m
}

func (m *Metrics) request(op string) { m.SQSRequests.WithLabelValues(op).Inc() }
