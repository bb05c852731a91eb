package main

import (
	"fmt"
	"io"
	"strings"
)

// printMarkdown writes the tables of res as GitHub markdown, for the
// README's Performance section.
func printMarkdown(out io.Writer, res *results) {
	s := res.Setup
	if len(res.Load) > 0 {
		fmt.Fprintf(out, "Open-loop arrivals, C = %d, L = %s s, %s s of uploads per point (cut %s s after the last); "+
			"added latency in ms, ≥ = lower bound (unfinished at the cut):\n\n", s.Concurrency, num(s.L, 0), num(s.WindowS, 0), num(s.DrainCapS, 0))
		fmt.Fprintln(out, "| load × C/L | consumer | added → summary p50 / p95 / p99 | added → COMPLETED p50 / p99 | throughput/s (arrivals/s) | queue depth max / at last upload / growth per s | after last upload: summaries (tail s) | unfinished | SQS / S3 / RunPod req per msg | /status polls per job | sustained |")
		fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|---|")
		for _, p := range res.Load {
			tail := "-"
			if p.Unfinished == 0 {
				tail = num(p.TailS, 1)
			}
			fmt.Fprintf(out, "| %.2f | %s | %s | %s | %s (%.1f) | %d / %d / %s | %d (%s) | %d | %s / %s / %s | %s | %s |\n",
				p.Load, p.Consumer, p3(p.AddedToSummaryMS, 0), p2(p.AddedToCompletedMS, 0), num(p.ThroughputPerS, 1), p.Rate,
				p.Backlog.DepthMax, p.Backlog.DepthAtLastSend, num(p.Backlog.DepthSlope, 1), p.WrittenAfterLastSend, tail, p.Unfinished,
				num(p.SQSPerMsg, 2), num(p.S3PerMsg, 2), num(p.RunPodPerMsg, 2), num(p.PollsPerJob, 2), yes(p.Sustained))
		}
		fmt.Fprintln(out)
		fmt.Fprintln(out, "Where the worker's added latency goes (p50 / p99, ms), and the harness itself:")
		fmt.Fprintln(out)
		fmt.Fprintln(out, "| load × C/L | upload → received | received → /run | COMPLETED seen − /run − L | COMPLETED → summary | worker CPU s per 1,000 msgs | CPU % worker / moto / bench | pacer lag p99 |")
		fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|")
		for _, p := range res.Load {
			if p.Consumer != consumerWorker {
				continue
			}
			fmt.Fprintf(out, "| %.2f | %s | %s | %s | %s | %s | %s / %s / %s | %s |\n", p.Load, p2(p.UploadToReceiveMS, 0), p2(p.ReceiveToRunMS, 0),
				p2(p.PollOvershootMS, 0), p2(p.CompletedToWriteMS, 0), num(p.WorkerCPUPer1000, 1),
				num(p.WorkerCPUPct, 0), num(p.MotoCPUPct, 0), num(p.BenchCPUPct, 0), pnum(p.PacerLagMS, "p99", 0))
		}
		fmt.Fprintln(out)
	}
	if len(res.Scale) > 0 {
		fmt.Fprintln(out, "Throughput of a saturated consumer (C + max(20, C/2) messages always sent and not yet summarized):")
		fmt.Fprintln(out)
		fmt.Fprintln(out, "| consumer | C | L s | ideal C/L | throughput/s | × ideal | slot time per msg s (C / throughput) | SQS / S3 req per msg | moto CPU % |")
		fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|")
		for _, p := range res.Scale {
			ideal, ratio := num(p.Ideal, 0), num(p.Ratio, 2)
			if p.L == 0 {
				ideal, ratio = "-", "-"
			}
			fmt.Fprintf(out, "| %s | %d | %s | %s | %.1f | %s | %s | %s / %s | %s |\n", p.Consumer, p.Concurrency, num(p.L, 0), ideal,
				p.ThroughputPerS, ratio, num(p.SlotS, 2), num(p.SQSPerMsg, 2), num(p.S3PerMsg, 2), num(p.MotoCPUPct, 0))
		}
		fmt.Fprintln(out)
	}
	if m := res.Memory; m != nil {
		fmt.Fprintf(out, "Memory: %d jobs, CONCURRENCY = %d, L = %s s, VISIBILITY_TIMEOUT = %s s; at most %.0f messages in flight (RunPod %d), all at once: %s. "+
			"Worker peak RSS **%.0f MB** (%.0f MB at the most in flight; Go heap in use at most %.0f MB; %.0f goroutines); "+
			"CPU **%.1f ms per message** (%.1f s for %d messages, start to last summary %.0f s); %s /status polls per job; redeliveries %d.\n\n",
			m.Jobs, m.Concurrency, num(m.L, 0), num(m.VisibilityS, 0), m.MaxInflight, m.RunPodMaxInflight, yes(m.AllInFlight),
			m.PeakRSSMB, m.RSSAtMaxMB, m.HeapInuseMB, m.GoroutinesMax, m.CPUMsPerMsg, m.CPUSeconds, m.Written, m.DurationS,
			num(m.PollsPerJob, 1), m.Redelivered)
	}
	if ir := res.Idle; ir != nil {
		fmt.Fprintf(out, "Idle, empty queue: %.0f ReceiveMessage calls per hour (mean interval %.1f s), %d S3 requests, %.1f CPU-seconds per hour, %.0f MB RSS.\n\n",
			ir.IntervalPerHour, ir.IntervalS, ir.S3Requests, ir.CPUSecondsPerHour, ir.RSSMB)
	}
	if len(res.Finite) > 0 {
		printFinite(out, res.Finite, true)
		fmt.Fprintln(out)
	}
	if len(res.Targets) > 0 {
		fmt.Fprintln(out, "| target | measured | limit | |")
		fmt.Fprintln(out, "|---|---|---|---|")
		for _, t := range res.Targets {
			mark := "met"
			if !t.Met {
				mark = "**missed**"
			}
			fmt.Fprintf(out, "| %s | %s %s | %s | %s |\n", t.Name, num(t.Measured, 2), t.Unit, num(t.Limit, 2), mark)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "Host: %d CPUs, load average %s at the start, %s at the end; %s; run took %.0f s: `%s`.\n",
		res.Host.CPUs, strings.Fields(res.Host.LoadStart + " ?")[0], strings.Fields(res.Host.LoadEnd + " ?")[0], res.Host.MotoPatch, res.WallS, res.Command)
}
