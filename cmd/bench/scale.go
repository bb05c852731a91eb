package main

import (
	"context"
	"fmt"
	"math"
	"time"
)

// scaleSpec is one capacity point: the consumer kept saturated.
type scaleSpec struct {
	consumer string
	c        int
	latency  time.Duration
	warm     time.Duration // before the measured window
	window   time.Duration
	seedPoll time.Duration
}

// scalePoint is the throughput of a saturated consumer: uploads are fed so
// that max(20, C/2) messages always wait in the queue beyond the C being
// worked on (sent − summarized ≤ C + max(20, C/2)), i.e. arrivals at exactly
// the rate the consumer drains, never a deep queue (moto's receive slows
// with depth).
type scalePoint struct {
	Consumer       string  `json:"consumer"`
	Concurrency    int     `json:"concurrency"`
	L              float64 `json:"latency_l_s"`
	Ideal          float64 `json:"ideal_c_over_l_per_s"`
	ThroughputPerS float64 `json:"throughput_per_s"`
	Ratio          float64 `json:"ratio_to_ideal"`
	// SlotS is C / throughput: how long each message held one of the C
	// slots on average (Little's law; every slot is busy when saturated).
	SlotS        float64  `json:"mean_slot_s"`
	WindowS      float64  `json:"window_s"`
	Lookahead    int      `json:"outstanding_limit"`
	Written      int      `json:"summaries_in_window"`
	SQSPerMsg    float64  `json:"sqs_requests_per_message"`
	S3PerMsg     float64  `json:"s3_requests_per_message"`
	PollsPerJob  float64  `json:"runpod_polls_per_job_mean"`
	MaxInflight  float64  `json:"max_inflight"`
	WorkerCPUPct float64  `json:"worker_cpu_pct"`
	MotoCPUPct   float64  `json:"moto_cpu_pct"`
	BenchCPUPct  float64  `json:"bench_cpu_pct"`
	MotoReqPerS  float64  `json:"consumer_requests_to_moto_per_s"`
	LoadBefore   string   `json:"loadavg_before"`
	Notes        []string `json:"notes,omitempty"`
}

func (b *bench) scalePoint(ctx context.Context, sp scaleSpec) (*scalePoint, error) {
	L := sp.latency
	pt := &scalePoint{Consumer: sp.consumer, Concurrency: sp.c, L: L.Seconds(), WindowS: sp.window.Seconds(),
		Lookahead: sp.c + max(20, sp.c/2), LoadBefore: loadAvg(), Ideal: math.NaN(), Ratio: math.NaN()}
	if L > 0 {
		pt.Ideal = float64(sp.c) / L.Seconds()
	}
	r, err := b.newRig(ctx, fmt.Sprintf("scale-%s-%d", sp.consumer, sp.c), L, true)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if err := r.start(ctx, consumerConfig{kind: sp.consumer, concurrency: sp.c, seedPoll: sp.seedPoll}); err != nil {
		return nil, err
	}
	r.sampleEvery(ctx, 500*time.Millisecond)
	fctx, stopFeeding := context.WithCancel(ctx)
	fed := make(chan []arrival, 1)
	go func() {
		f := feeder{s3c: b.s3, n: 999_999, par: 16, limit: pt.Lookahead, ahead: func(started int) int {
			return started - r.px.progress()
		}}
		fed <- f.run(fctx)
	}()
	if !sleepCtx(ctx, sp.warm) {
		stopFeeding()
		return nil, ctx.Err()
	}
	w0 := time.Now()
	if !sleepCtx(ctx, sp.window) {
		stopFeeding()
		return nil, ctx.Err()
	}
	w1 := time.Now()
	stopFeeding()
	as := <-fed
	r.stopSampling()
	samples := r.snapshot()
	if _, failed, _, err := arrivalStats(as); failed > 0 {
		pt.Notes = append(pt.Notes, fmt.Sprintf("%d uploads failed: %v", failed, err))
	}
	_, written, _ := r.px.times()
	for _, t := range written {
		if !t.Before(w0) && t.Before(w1) {
			pt.Written++
		}
	}
	win := w1.Sub(w0).Seconds()
	pt.ThroughputPerS = float64(pt.Written) / win
	pt.SlotS = math.NaN()
	if pt.Written > 0 {
		pt.SlotS = float64(sp.c) / pt.ThroughputPerS
	}
	if L > 0 {
		pt.Ratio = pt.ThroughputPerS / pt.Ideal
	}
	perMsg := float64(max(pt.Written, 1))
	counts := r.px.countBetween(w0, w1)
	_, _, pt.SQSPerMsg, pt.S3PerMsg = perMessage(counts, perMsg)
	var all int
	for _, v := range counts {
		all += v
	}
	pt.MotoReqPerS = float64(all) / win
	_, _, jobs := r.em.snapshot()
	runs, polls, _ := pollStats(jobs, nil)
	pt.PollsPerJob = pollsPerJob(runs, polls)
	pt.WorkerCPUPct = cpuPctBetween(samples, w0, w1, func(s sample) float64 { return s.worker })
	pt.MotoCPUPct = cpuPctBetween(samples, w0, w1, func(s sample) float64 { return s.moto })
	pt.BenchCPUPct = cpuPctBetween(samples, w0, w1, func(s sample) float64 { return s.bench })
	for _, s := range samples {
		if !math.IsNaN(s.inflight) && !s.t.Before(w0) {
			pt.MaxInflight = max(pt.MaxInflight, s.inflight)
		}
	}
	if r.c.s != nil {
		if n, err := r.c.s.failures(); err != nil {
			pt.Notes = append(pt.Notes, fmt.Sprintf("seed: %d failed attempts, first: %v", n, err))
		}
	}
	return pt, nil
}
