// Command bench measures `summarizer run` end to end on this machine, the
// honest way: open-loop arrivals. A moto server (S3 + SQS) stands in for
// AWS: every arrival is a PutObject to a bucket whose ObjectCreated events
// go to the queue, sent at a steady rate whatever the consumer does. The
// RunPod emulator runs in process (fixed job latency L, exact counts) and
// the worker runs as a separate process whose AWS traffic goes through a
// counting proxy. The seed design (seed.go: one message per receive, /status
// every 3 s) is measured under the same arrivals, in the same run. moto runs
// with three cost patches (motopatch.go) so that it is not what is measured.
//
//	go run ./cmd/bench --bin bin/summarizer [--quick] [--runs load,scale,memory,idle]
//
// Runs:
//   - load: arrivals at 0.5, 0.7, 0.9, 0.95 and 1.0 × C/L (C = CONCURRENCY
//     32, L = 1 s), the worker then the seed at each: added latency,
//     backlog, requests per message.
//   - scale: throughput of the saturated worker and seed at C = 8, 16, 32,
//     64 (L = 1 s), and of the worker at L = 0 (the ceiling of moto and this
//     machine).
//   - memory: one worker with 5,000 jobs in flight (L = 120 s): peak RSS and
//     CPU per message.
//   - idle: an empty queue: ReceiveMessage calls per hour.
//
// About 13 minutes in all; --quick about 2.5. It prints tables, writes
// bench/results.json and draws bench/*.png.
// --print FILE reprints (and with --plots, redraws) an earlier run.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/summarizer/summarizer/deploy/localstack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench holds what every run shares.
type bench struct {
	bin  string
	moto *localstack.Moto
	s3   *s3.Client // the bench's own, straight to moto (uploads)
	sqs  *sqs.Client
	logs io.Writer
}

// results is bench/results.json.
type results struct {
	Command   string         `json:"command"`
	StartedAt string         `json:"started_at"`
	WallS     float64        `json:"wall_s"`
	Host      hostInfo       `json:"host"`
	Setup     setup          `json:"setup"`
	Moto      *motoProbe     `json:"moto_probe,omitempty"`
	Load      []loadPoint    `json:"load"`
	Scale     []scalePoint   `json:"scale"`
	Memory    *memoryResult  `json:"memory,omitempty"`
	Idle      *idleResult    `json:"idle,omitempty"`
	Finite    []finiteResult `json:"finite,omitempty"`
	Targets   []target       `json:"targets"`
}

type hostInfo struct {
	CPUs        int    `json:"cpus"`
	GoVersion   string `json:"go_version"`
	LoadStart   string `json:"loadavg_start"`
	LoadEnd     string `json:"loadavg_end"`
	MotoVersion string `json:"moto_command"`
	MotoPatch   string `json:"moto_patch"`
}

// setup records the parameters of the run.
type setup struct {
	Concurrency  int       `json:"concurrency"`
	L            float64   `json:"latency_l_s"`
	Loads        []float64 `json:"loads_x_c_over_l"`
	Consumers    []string  `json:"consumers"`
	WindowS      float64   `json:"arrival_window_s"`
	DrainCapS    float64   `json:"drain_cap_s"`
	SeedPollS    float64   `json:"seed_poll_s"`
	ScaleC       []int     `json:"scale_concurrency"`
	ScaleWindowS float64   `json:"scale_window_s"`
	MemJobs      int       `json:"memory_jobs"`
	MemL         float64   `json:"memory_latency_l_s"`
	Latency      string    `json:"added_latency_definition"`
	Sustained    string    `json:"sustained_definition"`
}

type target struct {
	Name     string  `json:"name"`
	Measured float64 `json:"measured"`
	Limit    float64 `json:"limit"`
	Unit     string  `json:"unit"`
	Met      bool    `json:"met"`
	Note     string  `json:"note,omitempty"`
}

const (
	latencyDefinition = "from the upload acknowledged by S3 (its event is then in the queue) to the summary PUT acknowledged, " +
		"and to the first /status answer COMPLETED, minus L; messages unfinished at the cut count as their age at the cut (a lower bound, marked ≥)"
	sustainedDefinition = "every summary written within the drain cap after the last upload, the queue depth growing by at most 2% of the " +
		"arrival rate per second over the second half of the arrivals, and its mean over the last quarter at most half a second of arrivals (min 2)"
)

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	bin := fs.String("bin", "bin/summarizer", "the summarizer binary (the worker runs as a separate process)")
	runsFlag := fs.String("runs", "load,scale,memory,idle,finite", "comma list of runs: load, scale, memory, idle, finite")
	quick := fs.Bool("quick", false, "loads 0.5, 0.9, 1; short windows; C = 8, 32; 500 jobs in the memory run; no idle run: under three minutes")
	consumers := fs.String("consumers", "worker,seed", "who drains the queue in load and scale: worker, seed or both")
	loads := fs.String("loads", "0.5,0.7,0.9,0.95,1", "arrival rates of the load run, × C/L")
	conc := fs.Int("concurrency", 32, "C: CONCURRENCY of the worker and goroutines of the seed in the load run")
	latency := fs.Duration("latency", time.Second, "L: the emulator's job latency in the load and scale runs")
	window := fs.Duration("window", 20*time.Second, "how long arrivals last at each load (--quick: 5s)")
	warm := fs.Duration("warm", 2*time.Second, "arrivals before the window at each load, not counted in the latencies (a worker's first jobs poll before it knows the job time)")
	drain := fs.Duration("drain", 10*time.Second, "after the last arrival, how long to wait for the summaries before cutting (--quick: 4s)")
	seedPoll := fs.Duration("seed-poll", seedPollDefault, "the seed's /status interval")
	scaleC := fs.String("scale-c", "8,16,32,64", "concurrencies of the scale run (--quick: 8,32)")
	scaleWindow := fs.Duration("scale-window", 12*time.Second, "measured window of each scale point, after its warm-up (--quick: 6s)")
	scaleWarm := fs.Duration("scale-warm", 5*time.Second, "warm-up of each scale point (--quick: 4s)")
	ceiling := fs.Bool("ceiling", true, "scale: also the worker at L=0 with the largest C (what moto and this machine allow)")
	memJobs := fs.Int("mem-jobs", 5000, "memory: jobs in flight at once (--quick: 500)")
	memVisibility := fs.Duration("mem-visibility", 15*time.Minute, "memory: the worker's VISIBILITY_TIMEOUT (long: moto's extensions cost O(messages in flight) each)")
	memLatency := fs.Duration("mem-latency", 120*time.Second, "memory: L, longer than the worker takes to receive them all (--quick: 15s)")
	idle := fs.Duration("idle", 40*time.Second, "idle window")
	probe := fs.Duration("moto-probe", time.Second, "length of each raw moto rate probe, 0 skips them (--quick: 500ms)")
	motoAsIs := fs.Bool("moto-as-is", false, "run moto unpatched (its SQS receive then costs O(messages in the queue) per message; see motopatch.go)")
	outPath := fs.String("out", "bench/results.json", "where the JSON results go")
	plots := fs.String("plots", "bench", "directory of the PNG plots (empty: none)")
	logPath := fs.String("log", filepath.Join(os.TempDir(), "summarizer-bench.log"), "where the worker's logs go")
	reprint := fs.String("print", "", "print the tables of an earlier results.json (and redraw its plots with --plots) and exit")
	markdown := fs.Bool("markdown", false, "with --print: the tables as markdown, for the README")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *reprint != "" {
		data, err := os.ReadFile(*reprint)
		if err != nil {
			return err
		}
		var old results
		if err := json.Unmarshal(data, &old); err != nil {
			return fmt.Errorf("%s: %w", *reprint, err)
		}
		old.Targets = evaluate(&old)
		if *markdown {
			printMarkdown(out, &old)
		} else {
			fmt.Fprintf(out, "%s (started %s)\n", old.Command, old.StartedAt)
			printResults(out, &old)
		}
		if set["plots"] && *plots != "" {
			return drawPlots(&old, *plots, out)
		}
		return nil
	}
	if *quick {
		for name, v := range map[string]string{"runs": "load,scale,memory,finite", "loads": "0.5,0.9,1", "window": "5s", "drain": "4s",
			"scale-c": "8,32", "scale-window": "6s", "scale-warm": "4s", "mem-jobs": "500", "mem-latency": "15s", "moto-probe": "500ms"} {
			if !set[name] {
				if err := fs.Set(name, v); err != nil {
					return err
				}
			}
		}
	}
	runs, err := parseList(*runsFlag, []string{"load", "scale", "memory", "idle", "finite"})
	if err != nil {
		return fmt.Errorf("--runs: %w", err)
	}
	who, err := parseList(*consumers, []string{consumerWorker, consumerSeed})
	if err != nil {
		return fmt.Errorf("--consumers: %w", err)
	}
	loadXs, err := parseFloats(*loads)
	if err != nil {
		return fmt.Errorf("--loads: %w", err)
	}
	scaleCs, err := parseInts(*scaleC)
	if err != nil {
		return fmt.Errorf("--scale-c: %w", err)
	}
	if *latency <= 0 || *conc <= 0 || *memJobs <= 0 || *memLatency <= 0 || *window <= 0 {
		return errors.New("--latency, --concurrency, --window and --mem-* must be positive")
	}
	binPath, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	if st, err := os.Stat(binPath); err != nil || st.IsDir() {
		return fmt.Errorf("%s not found: build it first (go build -o %s ./cmd/summarizer)", *bin, *bin)
	}
	if err := os.MkdirAll(filepath.Dir(*logPath), 0o755); err != nil {
		return err
	}
	logs, err := os.Create(*logPath)
	if err != nil {
		return err
	}
	defer logs.Close()

	began := time.Now()
	res := &results{
		Command:   strings.Join(append([]string{"go run ./cmd/bench"}, args...), " "),
		StartedAt: began.UTC().Format(time.RFC3339),
		Host:      hostInfo{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadAvg()},
		Setup: setup{Concurrency: *conc, L: latency.Seconds(), Loads: loadXs, Consumers: who, WindowS: window.Seconds(),
			DrainCapS: drain.Seconds(), SeedPollS: seedPoll.Seconds(), ScaleC: scaleCs, ScaleWindowS: scaleWindow.Seconds(),
			MemJobs: *memJobs, MemL: memLatency.Seconds(), Latency: latencyDefinition, Sustained: sustainedDefinition},
	}
	fmt.Fprintf(out, "» bench: %d CPUs, load average %s; worker %s; logs in %s\n", res.Host.CPUs, res.Host.LoadStart, *bin, *logPath)
	res.Host.MotoPatch = "not patched: --moto-as-is"
	if !*motoAsIs {
		how, cleanup, err := patchMoto()
		if err != nil {
			return err
		}
		defer cleanup()
		res.Host.MotoPatch = how
	}
	fmt.Fprintf(out, "» starting moto (%s)\n", res.Host.MotoPatch)
	moto, err := localstack.Start(ctx)
	if err != nil {
		return err
	}
	defer moto.Stop()
	if argv, err := localstack.Command(); err == nil {
		res.Host.MotoVersion = strings.Join(argv, " ")
	}
	cfg := awsConfig(moto, moto.URL)
	b := &bench{bin: binPath, moto: moto, s3: s3Client(cfg), sqs: sqs.NewFromConfig(cfg), logs: logs}
	if *probe > 0 {
		fmt.Fprintln(out, "» probing moto's raw request rate")
		p, err := probeMoto(ctx, b.s3, b.sqs, *probe)
		if err != nil {
			return fmt.Errorf("moto probe: %w", err)
		}
		res.Moto = &p
	}
	for _, name := range runs {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch name {
		case "load":
			for _, x := range loadXs {
				for _, c := range who {
					sp := loadSpec{consumer: c, load: x, c: *conc, latency: *latency, window: *window, warm: *warm, drainCap: *drain, seedPoll: *seedPoll}
					fmt.Fprintf(out, "» load %.2f × C/L = %.1f/s for %s, %s (C=%d, L=%s)\n", x, sp.rate(), *window, c, *conc, *latency)
					start := time.Now()
					lp, err := b.loadPoint(ctx, sp)
					if err != nil {
						return fmt.Errorf("load %.2f %s: %w", x, c, err)
					}
					fmt.Fprintf(out, "  %d uploads, %d summaries; added latency p50 %s p99 %s ms; depth max %d; sustained %v (%s)\n",
						lp.Sent, lp.Written, pnum(lp.AddedToSummaryMS, "p50", 0), pnum(lp.AddedToSummaryMS, "p99", 0), lp.Backlog.DepthMax, lp.Sustained,
						time.Since(start).Round(time.Second))
					res.Load = append(res.Load, *lp)
				}
			}
		case "scale":
			var specs []scaleSpec
			for _, c := range scaleCs {
				for _, k := range who {
					specs = append(specs, scaleSpec{consumer: k, c: c, latency: *latency, warm: *scaleWarm, window: *scaleWindow, seedPoll: *seedPoll})
				}
			}
			if *ceiling && slices.Contains(who, consumerWorker) && len(scaleCs) > 0 {
				specs = append(specs, scaleSpec{consumer: consumerWorker, c: slices.Max(scaleCs), latency: 0, warm: *scaleWarm, window: *scaleWindow})
			}
			for _, sp := range specs {
				fmt.Fprintf(out, "» scale %s C=%d L=%s, saturated, %s window\n", sp.consumer, sp.c, sp.latency, sp.window)
				start := time.Now()
				pt, err := b.scalePoint(ctx, sp)
				if err != nil {
					return fmt.Errorf("scale %s C=%d: %w", sp.consumer, sp.c, err)
				}
				fmt.Fprintf(out, "  %.1f summaries/s (ideal %s) (%s)\n", pt.ThroughputPerS, num(pt.Ideal, 0), time.Since(start).Round(time.Second))
				res.Scale = append(res.Scale, *pt)
			}
		case "memory":
			sp := memorySpec{jobs: *memJobs, latency: *memLatency, visibility: *memVisibility, deadline: 3 * time.Minute}
			fmt.Fprintf(out, "» memory: %d jobs in flight, L=%s; the transcripts uploaded first\n", sp.jobs, sp.latency)
			start := time.Now()
			mr, err := b.memoryRun(ctx, sp)
			if err != nil {
				return fmt.Errorf("memory: %w", err)
			}
			fmt.Fprintf(out, "  peak RSS %.0f MB with %.0f in flight; %.2f ms CPU per message (%s)\n", mr.PeakRSSMB, mr.MaxInflight, mr.CPUMsPerMsg,
				time.Since(start).Round(time.Second))
			res.Memory = mr
		case "finite":
			for i, sp := range finiteSpecs(*quick) {
				fmt.Fprintf(out, "» finite %s: %d transcripts, %s (%s)\n", sp.name, sp.transcripts, sp.title, sp.consumer)
				start := time.Now()
				fr, err := b.finiteRun(ctx, sp, i)
				if err != nil {
					return fmt.Errorf("finite %s: %w", sp.name, err)
				}
				fmt.Fprintf(out, "  %d jobs for %d transcripts, %d cancelled running; drained in %.1f s (ideal %.0f); queue wait p95 %.1f s; %d in flight in SQS at most (%s)\n",
					fr.Jobs, fr.Transcripts, fr.CancelledRunning, fr.DrainedS, fr.IdealS, fr.QueueP95S, fr.MaxSQSInFlight, time.Since(start).Round(time.Second))
				res.Finite = append(res.Finite, *fr)
			}
		case "idle":
			fmt.Fprintf(out, "» idle: empty queue for %s\n", *idle)
			ir, err := b.idleRun(ctx, *idle)
			if err != nil {
				return fmt.Errorf("idle: %w", err)
			}
			res.Idle = ir
		}
	}
	res.Host.LoadEnd = loadAvg()
	res.WallS = time.Since(began).Seconds()
	res.Targets = evaluate(res)
	printResults(out, res)
	scrubNaN(reflect.ValueOf(res))
	if err := os.MkdirAll(filepath.Dir(*outPath), 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*outPath, append(js, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "results written to %s\n", *outPath)
	if *plots != "" {
		return drawPlots(res, *plots, out)
	}
	return nil
}

// evaluate checks the targets against what was measured.
func evaluate(res *results) []target {
	var ts []target
	worker := loadsOf(res.Load, consumerWorker)
	if len(worker) > 0 {
		// The highest load sustained with every lower one sustained too.
		best, note := 0.0, ""
		for _, p := range worker {
			if !p.Sustained {
				note = fmt.Sprintf("at %.2f: throughput %.1f/s of %.1f/s, depth growing %.1f/s, %d unfinished %.0f s after the last upload",
					p.Load, p.ThroughputPerS, p.Rate, p.Backlog.DepthSlope, p.Unfinished, p.CutS)
				break
			}
			best = p.Load
		}
		if note == "" {
			note = fmt.Sprintf("every load up to %.2f sustained", best)
		}
		ts = append(ts, target{Name: "sustained open-loop load, bounded backlog", Measured: best, Limit: 0.95, Unit: "× C/L", Met: best >= 0.95, Note: note})
	}
	if p := pointAt(worker, 0.9); p != nil {
		// The definition: from the SendMessage (here: the upload, whose
		// event the queue then holds) to the RunPod job seen COMPLETED.
		lat := p.AddedToCompletedMS
		ts = append(ts,
			target{Name: "added latency at 0.9 × C/L, p50 (to COMPLETED seen)", Measured: lat.P50, Limit: 100, Unit: "ms", Met: lat.P50 <= 100 && !lat.lowerBound("p50"),
				Note: "to summary written: " + pnum(p.AddedToSummaryMS, "p50", 0) + " ms"},
			target{Name: "added latency at 0.9 × C/L, p99 (to COMPLETED seen)", Measured: lat.P99, Limit: 250, Unit: "ms", Met: lat.P99 <= 250 && !lat.lowerBound("p99"),
				Note: "to summary written: " + pnum(p.AddedToSummaryMS, "p99", 0) + " ms"},
			target{Name: "/status polls per job at 0.9 × C/L", Measured: p.PollsPerJob, Limit: 2, Unit: "polls", Met: p.PollsPerJob <= 2,
				Note: fmt.Sprintf("max %d", p.PollsMax)},
			target{Name: "SQS requests per message at 0.9 × C/L", Measured: p.SQSPerMsg, Limit: 0.35, Unit: "req/msg", Met: p.SQSPerMsg <= 0.35,
				Note: opsNote(p.SQSByOp)},
		)
	}
	if m := res.Memory; m != nil {
		ts = append(ts, target{Name: fmt.Sprintf("peak RSS, %d jobs in flight", m.Jobs), Measured: m.PeakRSSMB, Limit: 300, Unit: "MB",
			Met:  m.PeakRSSMB <= 300 && m.AllInFlight && m.Jobs >= 5000,
			Note: fmt.Sprintf("max in flight %.0f (RunPod %d); %.2f ms CPU per message", m.MaxInflight, m.RunPodMaxInflight, m.CPUMsPerMsg)})
	}
	if ir := res.Idle; ir != nil {
		perHour, how := ir.ReceivesPerHour, "count in the "+ir.Window+" window"
		if ir.IntervalPerHour > 0 {
			perHour, how = ir.IntervalPerHour, fmt.Sprintf("mean interval %.1f s between receive starts", ir.IntervalS)
		}
		ts = append(ts, target{Name: "idle ReceiveMessage calls per hour", Measured: perHour, Limit: 200, Unit: "/h", Met: perHour <= 200, Note: how})
	}
	return append(ts, finiteTargets(res.Finite)...)
}

// pointAt is the point of load x, if measured.
func pointAt(points []loadPoint, x float64) *loadPoint {
	for i := range points {
		if math.Abs(points[i].Load-x) < 1e-9 {
			return &points[i]
		}
	}
	return nil
}

func opsNote(by map[string]float64) string {
	var parts []string
	for op, v := range by {
		parts = append(parts, fmt.Sprintf("%s %.3f", op, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func parseList(s string, allowed []string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slices.Contains(allowed, f) {
			return nil, fmt.Errorf("unknown %q (want %s)", f, strings.Join(allowed, ", "))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || x <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, x)
	}
	return out, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		x, err := strconv.Atoi(f)
		if err != nil || x <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, x)
	}
	return out, nil
}

// scrubNaN sets every NaN or infinite float reachable from v (pointers,
// structs, slices, arrays) to zero: JSON has no NaN. Printed tables show "-"
// for them; a reprinted results.json shows 0.
func scrubNaN(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			scrubNaN(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				scrubNaN(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			scrubNaN(v.Index(i))
		}
	case reflect.Float64:
		if f := v.Float(); (math.IsNaN(f) || math.IsInf(f, 0)) && v.CanSet() {
			v.SetFloat(0)
		}
	}
}
