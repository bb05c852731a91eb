package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

func num(x float64, prec int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, x)
}

func p3(p pct, prec int) string {
	return num(p.P50, prec) + " / " + num(p.P95, prec) + " / " + num(p.P99, prec)
}

func p2(p pct, prec int) string { return num(p.P50, prec) + " / " + num(p.P99, prec) }

func printResults(out io.Writer, res *results) {
	fmt.Fprintln(out)
	runs := res.Runs
	if len(runs) > 0 {
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		row := func(label string, f func(r *runResult) string) {
			cells := []string{label}
			for i := range runs {
				cells = append(cells, f(&runs[i]))
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		row("run", func(r *runResult) string { return "(" + r.Name + ")" })
		row("L / CONCURRENCY (= MODEL_CONCURRENCY) / N", func(r *runResult) string {
			return fmt.Sprintf("%s / %d / %d", r.L, r.Concurrency, r.N)
		})
		row("drain: how the N events are sent", func(r *runResult) string { return r.Send })
		row("summaries written / outcome done", func(r *runResult) string {
			return fmt.Sprintf("%d / %.0f", r.Completed, r.Outcomes["done"])
		})
		row("time to send the N events (s)", func(r *runResult) string { return num(r.SendS, 2) })
		row("last message first received after (s)", func(r *runResult) string { return num(r.ReceiveRampS, 1) })
		row("throughput, steady 10-90% (summaries/s)", func(r *runResult) string { return num(r.ThroughputSteady, 1) })
		row("throughput, N / (1st send→last summary)", func(r *runResult) string { return num(r.ThroughputOverall, 1) })
		row("ideal C/L; ratio steady (overall)", func(r *runResult) string {
			if r.Ideal == 0 {
				return "n/a (L=0)"
			}
			if r.Send == sendPreload {
				return num(r.Ideal, 1) + "; n/a (one burst, no steady state)"
			}
			return fmt.Sprintf("%s; %s (%s)", num(r.Ideal, 1), num(r.RatioSteady, 2), num(r.RatioOverall, 2))
		})
		row("latency measured on", func(r *runResult) string { return r.Latency.Mode })
		row("send→summary PUT p50/p95/p99 (s)", func(r *runResult) string { return p3(r.Latency.E2ES, 3) })
		row("excess over L p50/p95/p99 (ms)", func(r *runResult) string { return p3(r.Latency.ExcessMS, 0) })
		row("  · send→ReceiveMessage p50/p99 (ms)", func(r *runResult) string { return p2(r.Latency.SendToReceiveMS, 0) })
		row("  · receive→RunPod /run p50/p99 (ms)", func(r *runResult) string { return p2(r.Latency.ReceiveToRunMS, 0) })
		row("  · COMPLETED seen − /run − L p50/p99 (ms)", func(r *runResult) string { return p2(r.Latency.PollOvershootMS, 0) })
		row("  · COMPLETED→summary PUT p50/p99 (ms)", func(r *runResult) string { return p2(r.Latency.CompletedToPutMS, 0) })
		row("drain: 1st S3 request→summary PUT p50/p99 (s)", func(r *runResult) string { return p2(r.ServiceS, 3) })
		row("SQS req/msg, drain (worker /metrics)", func(r *runResult) string { return num(r.SQSPerMsgTotal, 3) })
		var ops []string
		for _, r := range runs {
			for op := range r.SQSPerMsg {
				if !slices.Contains(ops, op) {
					ops = append(ops, op)
				}
			}
		}
		slices.Sort(ops)
		for _, op := range ops {
			row("  · "+op, func(r *runResult) string { return num(r.SQSPerMsg[op], 3) })
		}
		row("SQS req/msg, steady 10-90% window (proxy)", func(r *runResult) string { return num(r.SQSSteadyPerMsg, 3) })
		row("SQS req/msg, paced latency phase", func(r *runResult) string {
			if !strings.HasPrefix(r.Latency.Mode, "paced") {
				return "-"
			}
			return num(r.Latency.SQSPerMsg, 3)
		})
		row("S3 req/msg, drain (proxy)", func(r *runResult) string { return num(r.S3PerMsgTotal, 2) })
		var kinds []string
		for _, r := range runs {
			for k := range r.S3PerMsg {
				if !slices.Contains(kinds, k) {
					kinds = append(kinds, k)
				}
			}
		}
		slices.Sort(kinds)
		for _, k := range kinds {
			row("  · "+k, func(r *runResult) string { return num(r.S3PerMsg[k], 2) })
		}
		row("RunPod jobs/msg; /status polls per job mean (max)", func(r *runResult) string {
			return fmt.Sprintf("%s; %s (%d)", num(r.JobsPerMsg, 2), num(r.PollsPerJobMean, 2), r.PollsPerJobMax)
		})
		row("  polls/job from worker metrics", func(r *runResult) string { return num(r.PollsMetricPerJob, 2) })
		row("worker CPU s per 1,000 msgs (drain)", func(r *runResult) string { return num(r.CPUPer1000, 2) })
		row("worker peak RSS VmHWM / RSS at end (MB)", func(r *runResult) string {
			return num(r.PeakRSSMB, 1) + " / " + num(r.EndRSSMB, 1)
		})
		row("max in flight: worker gauge / RunPod", func(r *runResult) string {
			return fmt.Sprintf("%d / %d", r.MaxInflight, r.EmulatorMaxInFlight)
		})
		row("visibility extensions; redeliveries", func(r *runResult) string {
			return fmt.Sprintf("%.0f; %d", r.VisibilityExtensions, r.Redelivered)
		})
		row("steady window: moto req/s; moto CPU %", func(r *runResult) string {
			return num(r.MotoReqPerS, 0) + "; " + num(r.MotoCPUPct, 0) + "%"
		})
		row("steady: moto round trip ReceiveMessage (msgs each); S3 ms", func(r *runResult) string {
			return num(r.RecvMS, 0) + " (" + num(r.MsgsPerRecv, 1) + "); " + num(r.S3MS, 0)
		})
		row("steady window: worker CPU %; bench CPU %", func(r *runResult) string {
			return num(r.WorkerCPUPct, 0) + "%; " + num(r.BenchCPUPct, 0) + "%"
		})
		row("load average before → after", func(r *runResult) string {
			return strings.Fields(r.LoadBefore)[0] + " → " + strings.Fields(r.LoadAfter)[0]
		})
		tw.Flush()
	}
	if ir := res.Idle; ir != nil {
		interval := "- (fewer than 2 receives in the window)"
		if ir.IntervalS > 0 {
			interval = fmt.Sprintf("%.1f s (%.0f/h)", ir.IntervalS, ir.IntervalPerHour)
		}
		fmt.Fprintf(out, "\nidle (empty queue, %s window, CONCURRENCY 16): %.0f ReceiveMessage → %.0f/h; mean interval between receive starts %s;"+
			" empty receives %.0f; other SQS %v; S3 requests %d; worker CPU %.1f s/h; RSS %.1f MB\n",
			ir.Window, ir.Receives, ir.ReceivesPerHour, interval, ir.EmptyReceives, otherOps(ir.SQSByOp), ir.S3Requests,
			ir.CPUSecondsPerHour, ir.RSSMB)
	}
	if p := res.Moto; p != nil {
		fmt.Fprintf(out, "moto raw rate (bench→moto direct, %s each): SendMessageBatch %.0f/s (queue filling 0→%d); ReceiveMessage empty queue %.0f/s (1 client), %.0f/s (8 clients);"+
			" ReceiveMessage of 10 from the %d-deep queue %.1f/s; HeadObject %.0f/s (1), %.0f/s (8)\n",
			p.Window, p.SendMessageBatch1, p.DeepDepth, p.ReceiveMessage1, p.ReceiveMessage8, p.DeepDepth, p.ReceiveDeep1, p.HeadObject1, p.HeadObject8)
	}
	fmt.Fprintf(out, "host: %d CPUs, load average at start %s, at end %s\n", res.Host.CPUs, res.Host.LoadStart, res.Host.LoadEnd)
	fmt.Fprintln(out, "\ntargets:")
	for _, t := range res.Targets {
		mark := "MET "
		if !t.Met {
			mark = "MISS"
		}
		note := ""
		if t.Note != "" {
			note = " (" + t.Note + ")"
		}
		fmt.Fprintf(out, "  [%s] %-46s %s %s (limit %s)%s\n", mark, t.Name, num(t.Measured, 2), t.Unit, num(t.Limit, 2), note)
	}
	for _, r := range runs {
		for _, n := range r.Notes {
			fmt.Fprintf(out, "note (%s): %s\n", r.Name, n)
		}
	}
}

func otherOps(m map[string]float64) string {
	var parts []string
	for op, v := range m {
		if op != "ReceiveMessage" {
			parts = append(parts, fmt.Sprintf("%s=%.0f", op, v))
		}
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}
