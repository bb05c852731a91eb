package main

import (
	"context"
	"strings"
	"time"
)

type idleResult struct {
	Window            string             `json:"window"`
	Receives          float64            `json:"receive_message_calls"`
	ReceivesPerHour   float64            `json:"receive_message_per_hour"`
	IntervalS         float64            `json:"mean_interval_between_receives_s"`
	IntervalPerHour   float64            `json:"receive_message_per_hour_from_intervals"`
	EmptyReceives     float64            `json:"empty_receives"`
	SQSByOp           map[string]float64 `json:"sqs_requests_by_op"`
	S3Requests        int                `json:"s3_requests"`
	CPUSecondsPerHour float64            `json:"worker_cpu_s_per_hour"`
	RSSMB             float64            `json:"worker_rss_mb"`
	LoadBefore        string             `json:"loadavg_before"`
	LoadAt            string             `json:"loadavg_end"`
}

// idleRun measures what a worker (CONCURRENCY 16) costs with an empty queue.
func (b *bench) idleRun(ctx context.Context, window time.Duration) (*idleResult, error) {
	ir := &idleResult{Window: window.String(), LoadBefore: loadAvg()}
	r, err := b.newRig(ctx, "idle", time.Second, false)
	if err != nil {
		return nil, err
	}
	defer r.close()
	// The default SHUTDOWN_TIMEOUT, as deployed: it lets the long poll last
	// its 20 s (the bench's 5 s for quick stops would cap it at 5).
	if err := r.start(ctx, consumerConfig{kind: consumerWorker, concurrency: 16, shutdown: 25 * time.Second}); err != nil {
		return nil, err
	}
	w := r.c.w
	if !sleepCtx(ctx, time.Second) {
		return nil, ctx.Err()
	}
	m0, err := scrape(ctx, w.metricsAddr)
	if err != nil {
		return nil, err
	}
	cpu0, _ := cpuSeconds(w.pid())
	tA := time.Now()
	if !sleepCtx(ctx, window) {
		return nil, ctx.Err()
	}
	tB := time.Now()
	m1, err := scrape(ctx, w.metricsAddr)
	if err != nil {
		return nil, err
	}
	cpu1, _ := cpuSeconds(w.pid())
	secs := tB.Sub(tA).Seconds()
	ir.SQSByOp = delta(m0.byLabel("summarizer_sqs_requests_total", "op"), m1.byLabel("summarizer_sqs_requests_total", "op"))
	ir.Receives = ir.SQSByOp["ReceiveMessage"]
	ir.ReceivesPerHour = ir.Receives * 3600 / secs
	ir.EmptyReceives = m1.sum("summarizer_empty_receives_total", "") - m0.sum("summarizer_empty_receives_total", "")
	// Intervals between receive starts, since the worker's start: exact even
	// when the window holds only one or two 20 s long polls.
	if starts := r.px.receiveStarts(time.Time{}, tB); len(starts) >= 2 {
		ir.IntervalS = starts[len(starts)-1].Sub(starts[0]).Seconds() / float64(len(starts)-1)
		ir.IntervalPerHour = 3600 / ir.IntervalS
	}
	for k, v := range r.px.countBetween(tA, tB) {
		if strings.HasPrefix(k, "s3 ") {
			ir.S3Requests += v
		}
	}
	ir.CPUSecondsPerHour = (cpu1 - cpu0) * 3600 / secs
	if _, rss, err := memKB(w.pid()); err == nil {
		ir.RSSMB = float64(rss) / 1024
	}
	ir.LoadAt = loadAvg()
	return ir, nil
}
