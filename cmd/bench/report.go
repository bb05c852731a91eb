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

// pnum is one field of p (p50, p95, p99, max), "≥" when only a lower bound,
// "-" when nothing was measured.
func pnum(p pct, name string, prec int) string {
	if p.N == 0 {
		return "-"
	}
	var x float64
	switch name {
	case "p50":
		x = p.P50
	case "p95":
		x = p.P95
	case "p99":
		x = p.P99
	default:
		x = p.Max
	}
	s := num(x, prec)
	if p.lowerBound(name) {
		s = "≥" + s
	}
	return s
}

func p3(p pct, prec int) string {
	return pnum(p, "p50", prec) + " / " + pnum(p, "p95", prec) + " / " + pnum(p, "p99", prec)
}

func p2(p pct, prec int) string { return pnum(p, "p50", prec) + " / " + pnum(p, "p99", prec) }

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

func printResults(out io.Writer, res *results) {
	fmt.Fprintln(out)
	if len(res.Load) > 0 {
		s := res.Setup
		fmt.Fprintf(out, "open-loop load: C=%d, L=%s s, arrivals (uploads) at a steady rate for %s s, cut %s s after the last one\n",
			s.Concurrency, num(s.L, 1), num(s.WindowS, 0), num(s.DrainCapS, 0))
		fmt.Fprintln(out, "added latency = upload acknowledged → summary written (→ /status COMPLETED seen) − L; ≥: lower bound (unfinished at the cut)")
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "load\tconsumer\tarrivals/s\tuploads\tsummaries\tthroughput/s\tadded→summary p50/p95/p99 ms\tadded→COMPLETED p50/p95/p99 ms\t"+
			"depth max / at last upload / growth/s\tafter last upload (tail s)\tunfinished\tSQS/msg\tS3/msg\tRunPod/msg\tpolls/job\tsustained")
		for _, p := range res.Load {
			tail := "-"
			if p.Unfinished == 0 {
				tail = num(p.TailS, 1)
			}
			fmt.Fprintf(tw, "%.2f\t%s\t%.1f\t%d\t%d\t%s\t%s\t%s\t%d / %d / %s\t%d (%s)\t%d\t%s\t%s\t%s\t%s\t%s\n",
				p.Load, p.Consumer, p.Rate, p.Sent, p.Written, num(p.ThroughputPerS, 1), p3(p.AddedToSummaryMS, 0), p3(p.AddedToCompletedMS, 0),
				p.Backlog.DepthMax, p.Backlog.DepthAtLastSend, num(p.Backlog.DepthSlope, 2), p.WrittenAfterLastSend, tail, p.Unfinished,
				num(p.SQSPerMsg, 3), num(p.S3PerMsg, 2), num(p.RunPodPerMsg, 2), num(p.PollsPerJob, 2), yes(p.Sustained))
		}
		tw.Flush()
		fmt.Fprintln(out, "\nwhere the time goes (finished messages), and the harness:")
		tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "load\tconsumer\tupload→receive p50/p99 ms\treceive→/run\tCOMPLETED seen − /run − L\tCOMPLETED→summary\t"+
			"upload round trip p50/p99\tpacer lag p99\tworker CPU s/1k msgs\tCPU % worker / moto / bench\tmoto req/s\tmax in flight\tredeliveries")
		for _, p := range res.Load {
			fmt.Fprintf(tw, "%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s / %s / %s\t%s\t%.0f\t%d\n",
				p.Load, p.Consumer, p2(p.UploadToReceiveMS, 0), p2(p.ReceiveToRunMS, 0), p2(p.PollOvershootMS, 0), p2(p.CompletedToWriteMS, 0),
				p2(p.UploadRoundTripMS, 0), pnum(p.PacerLagMS, "p99", 0), num(p.WorkerCPUPer1000, 2),
				num(p.WorkerCPUPct, 0), num(p.MotoCPUPct, 0), num(p.BenchCPUPct, 0), num(p.MotoReqPerS, 0), p.MaxInflight, p.Redelivered)
		}
		tw.Flush()
		var ops []string
		for _, p := range res.Load {
			for op := range p.SQSByOp {
				if !slices.Contains(ops, "sqs "+op) {
					ops = append(ops, "sqs "+op)
				}
			}
			for k := range p.S3ByKind {
				if !slices.Contains(ops, "s3 "+k) {
					ops = append(ops, "s3 "+k)
				}
			}
			for k := range p.RunPodByOp {
				if !slices.Contains(ops, "runpod "+k) {
					ops = append(ops, "runpod "+k)
				}
			}
		}
		slices.Sort(ops)
		fmt.Fprintln(out, "\nrequests per message summarized:")
		tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "load\tconsumer\t"+strings.Join(ops, "\t"))
		for _, p := range res.Load {
			cells := []string{fmt.Sprintf("%.2f", p.Load), p.Consumer}
			for _, op := range ops {
				kind, name, _ := strings.Cut(op, " ")
				var v float64
				switch kind {
				case "sqs":
					v = p.SQSByOp[name]
				case "s3":
					v = p.S3ByKind[name]
				default:
					v = p.RunPodByOp[name]
				}
				cells = append(cells, num(v, 3))
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		tw.Flush()
	}
	if len(res.Scale) > 0 {
		fmt.Fprintln(out, "\nthroughput against concurrency (saturated: C + max(20, C/2) messages sent and not yet summarized):")
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "consumer\tC\tL s\tideal C/L\tthroughput/s\tratio\tslot s/msg (C/throughput)\tSQS/msg\tS3/msg\tpolls/job\tmax in flight\tCPU % worker / moto / bench\tmoto req/s")
		for _, p := range res.Scale {
			if p.L == 0 { // a reprinted results.json has 0 for NaN
				p.Ideal, p.Ratio = math.NaN(), math.NaN()
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t%.0f\t%s / %s / %s\t%s\n", p.Consumer, p.Concurrency, num(p.L, 1), num(p.Ideal, 0),
				p.ThroughputPerS, num(p.Ratio, 2), num(p.SlotS, 3), num(p.SQSPerMsg, 3), num(p.S3PerMsg, 2), num(p.PollsPerJob, 2), p.MaxInflight,
				num(p.WorkerCPUPct, 0), num(p.MotoCPUPct, 0), num(p.BenchCPUPct, 0), num(p.MotoReqPerS, 0))
		}
		tw.Flush()
	}
	if m := res.Memory; m != nil {
		fmt.Fprintf(out, "\nmemory: %d jobs, CONCURRENCY=%d, L=%s s, VISIBILITY_TIMEOUT=%s s; uploaded in %.0f s before the worker started; it received them all in %.0f s;"+
			" max in flight %.0f (RunPod %d); all at once: %s\n",
			m.Jobs, m.Concurrency, num(m.L, 0), num(m.VisibilityS, 0), m.UploadS, m.IntakeS, m.MaxInflight, m.RunPodMaxInflight, yes(m.AllInFlight))
		fmt.Fprintf(out, "  worker peak RSS %.1f MB (%.1f MB at the most in flight), Go heap in use max %.1f MB, goroutines max %.0f\n",
			m.PeakRSSMB, m.RSSAtMaxMB, m.HeapInuseMB, m.GoroutinesMax)
		fmt.Fprintf(out, "  worker CPU %.1f s for %d messages = %.2f ms per message (start to last summary %.0f s); outcomes %v; redeliveries %d\n",
			m.CPUSeconds, m.Written, m.CPUMsPerMsg, m.DurationS, m.Outcomes, m.Redelivered)
		fmt.Fprintf(out, "  SQS %.3f/msg (%s); S3 %.2f/msg (%s); ReceiveMessage round trip p50/p99 %s ms; polls/job %s (max %d); visibility extensions %.0f; moto CPU %s%%\n",
			m.SQSPerMsg, opsNote(m.SQSByOp), m.S3PerMsg, opsNote(m.S3ByKind), p2(m.ReceiveRoundTripMS, 0), num(m.PollsPerJob, 2), m.PollsMax,
			m.VisibilityExtensions, num(m.MotoCPUPct, 0))
	}
	if ir := res.Idle; ir != nil {
		interval := "- (fewer than 2 receives)"
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
	printFinite(out, res.Finite, false)
	fmt.Fprintf(out, "host: %d CPUs, load average at start %s, at end %s; wall %.0f s\n", res.Host.CPUs, res.Host.LoadStart, res.Host.LoadEnd, res.WallS)
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
	for _, p := range res.Load {
		for _, n := range p.Notes {
			fmt.Fprintf(out, "note (load %.2f %s): %s\n", p.Load, p.Consumer, n)
		}
	}
	for _, p := range res.Scale {
		for _, n := range p.Notes {
			fmt.Fprintf(out, "note (scale %s C=%d): %s\n", p.Consumer, p.Concurrency, n)
		}
	}
	if m := res.Memory; m != nil {
		for _, n := range m.Notes {
			fmt.Fprintf(out, "note (memory): %s\n", n)
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
