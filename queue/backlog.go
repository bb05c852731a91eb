package queue

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/summarizer/summarizer/queue/outcome"
)

// backlogRefresh is the least time between two GetQueueAttributes calls
// made for metrics. They are made only when metrics are scraped, so an idle
// worker nobody watches makes no AWS call but its receives.
const backlogRefresh = 30 * time.Second

var (
	backlogDesc = prometheus.NewDesc("summarizer_backlog_seconds",
		"Estimated time to work off the queue: visible and in-flight messages divided by this replica's measured throughput (+Inf when messages wait and none finished lately).", nil, nil)
	depthDesc = prometheus.NewDesc("summarizer_queue_messages",
		"Messages in the source queue by state (visible, in_flight), from GetQueueAttributes at most every 30s.", []string{"state"}, nil)
	oldestDesc = prometheus.NewDesc("summarizer_oldest_message_age_seconds",
		"Age (from SentTimestamp) of the oldest message this replica holds.", nil, nil)
	dlqDesc = prometheus.NewDesc("summarizer_dlq_messages",
		"Messages in the dead-letter queue (visible and in flight), from GetQueueAttributes at most every 30s.", nil, nil)
	readyDesc = prometheus.NewDesc("summarizer_ready",
		"1 while the consumer can receive and is not draining (what /readyz answers 200 to), else 0.", nil, nil)
)

// backlog is the collector behind the gauges above.
type backlog struct {
	c *Consumer

	mu                sync.Mutex
	fetched           time.Time
	visible, inFlight float64
	dlq               float64
	lastFinished      float64
	lastAt            time.Time
	rate              float64 // messages finished per second, over the last refresh window
}

// Collectors are the consumer's scrape-time gauges: backlog estimate, queue
// and dead-letter queue depth, oldest message age, readiness. Register them with the registry that
// serves /metrics.
func (c *Consumer) Collectors() []prometheus.Collector {
	return []prometheus.Collector{&backlog{c: c, lastAt: time.Now()}}
}

func (b *backlog) Describe(ch chan<- *prometheus.Desc) {
	ch <- backlogDesc
	ch <- depthDesc
	ch <- oldestDesc
	ch <- dlqDesc
	ch <- readyDesc
}

func (b *backlog) Collect(ch chan<- prometheus.Metric) {
	b.refresh()
	b.mu.Lock()
	visible, inFlight, rate, dlq := b.visible, b.inFlight, b.rate, b.dlq
	b.mu.Unlock()
	est := 0.0
	switch depth := visible + inFlight; {
	case depth == 0:
	case rate > 0:
		est = depth / rate
	default:
		est = math.Inf(1)
	}
	ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, est)
	ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, visible, "visible")
	ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, inFlight, "in_flight")
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, b.c.leases.oldestAge().Seconds())
	ch <- prometheus.MustNewConstMetric(dlqDesc, prometheus.GaugeValue, dlq)
	ready := 0.0
	if b.c.Ready() == nil {
		ready = 1
	}
	ch <- prometheus.MustNewConstMetric(readyDesc, prometheus.GaugeValue, ready)
}

// refresh reads the queue's depth and this replica's throughput, at most
// once per backlogRefresh.
func (b *backlog) refresh() {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if now.Sub(b.fetched) < backlogRefresh {
		return
	}
	b.fetched = now
	finished := b.c.finished()
	if dt := now.Sub(b.lastAt).Seconds(); dt > 0 {
		b.rate = (finished - b.lastFinished) / dt
	}
	b.lastFinished, b.lastAt = finished, now
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if d, err := b.c.depth(ctx, b.c.url); err == nil {
		b.visible, b.inFlight = float64(d.visible), float64(d.inFlight)
	} // else keep the last values
	if !b.c.running.Load() { // the DLQ is known once Run has started
		return
	}
	if d, err := b.c.depth(ctx, b.c.dlqURL); err == nil {
		b.dlq = float64(d.visible + d.inFlight)
	} // else keep the last value
}

// finished counts messages this replica has finished (any outcome but
// retried or released).
func (c *Consumer) finished() float64 {
	var n float64
	for _, o := range []outcome.Kind{outcome.Done, outcome.Skipped, outcome.Superseded, outcome.DeadLettered} {
		n += counterValue(c.m.Messages.WithLabelValues(o.String()))
	}
	return n
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil || m.Counter == nil {
		return 0
	}
	return m.Counter.GetValue()
}
