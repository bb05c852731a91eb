// Command bench measures `summarizer run` end to end on this machine: a moto
// server (S3 + SQS), the RunPod emulator (in process, for exact counts) and
// the worker as a separate process, reached through a counting proxy in
// front of moto. It prints one table and writes it as JSON to
// bench/results.json. `make bench` runs it after building the binary:
//
//	go run ./cmd/bench --bin bin/summarizer [--runs a,b,c,idle] [--n N] [--quick]
//
// Runs: (a) L=1s, CONCURRENCY=64, N=1000; (b) L=30s, 1000 in flight at once;
// (c) L=0, CONCURRENCY=64 (worker and moto overhead only); idle: an empty
// queue for --idle, ReceiveMessage calls extrapolated to an hour.
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

// spec is one load run.
type spec struct {
	Name        string
	Latency     time.Duration
	Concurrency int
	N           int
	// Probe adds a paced latency phase after the drain (runs where the
	// backlog would otherwise make send→summary latency mostly queue time).
	Probe bool
	// Send is how the drain's N events are sent: sendBoundedBacklog,
	// sendAllAtOnce or sendPreload.
	Send string
}

// Send modes of the drain.
const (
	// sendBoundedBacklog keeps CONCURRENCY + max(20, CONCURRENCY/2) messages
	// sent and not yet summarized: the worker always has work waiting, moto
	// never holds a deep queue (its ReceiveMessage cost grows with depth).
	sendBoundedBacklog = "bounded"
	// sendAllAtOnce sends all N as fast as moto takes them, the worker running.
	sendAllAtOnce = "all"
	// sendPreload sends all N before the worker starts.
	sendPreload = "preload"
)

var specs = map[string]spec{
	"a": {Name: "a", Latency: time.Second, Concurrency: 64, N: 1000, Probe: true, Send: sendBoundedBacklog},
	"b": {Name: "b", Latency: 30 * time.Second, Concurrency: 1000, N: 1000, Send: sendPreload},
	// b120 is b with jobs long enough (120 s) to outlast moto's receive ramp,
	// so that all 1,000 are really in flight at once for the RSS measurement.
	"b120": {Name: "b120", Latency: 120 * time.Second, Concurrency: 1000, N: 1000, Send: sendPreload},
	"c":    {Name: "c", Latency: 0, Concurrency: 64, N: 1000, Probe: true, Send: sendBoundedBacklog},
}

// bench holds what every run shares.
type bench struct {
	bin  string
	moto *localstack.Moto
	s3   *s3.Client
	sqs  *sqs.Client
	logs io.Writer
	out  io.Writer
	// pacedRate is the send rate of the latency phase of runs a and c.
	pacedRate float64
}

// results is bench/results.json.
type results struct {
	Command   string      `json:"command"`
	StartedAt string      `json:"started_at"`
	Host      hostInfo    `json:"host"`
	Moto      *motoProbe  `json:"moto_probe,omitempty"`
	Runs      []runResult `json:"runs"`
	Idle      *idleResult `json:"idle,omitempty"`
	Targets   []target    `json:"targets"`
}

type hostInfo struct {
	CPUs        int    `json:"cpus"`
	GoVersion   string `json:"go_version"`
	LoadStart   string `json:"loadavg_start"`
	LoadEnd     string `json:"loadavg_end"`
	MotoVersion string `json:"moto_command"`
}

type target struct {
	Name     string  `json:"name"`
	Measured float64 `json:"measured"`
	Limit    float64 `json:"limit"`
	Unit     string  `json:"unit"`
	Met      bool    `json:"met"`
	Note     string  `json:"note,omitempty"`
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	bin := fs.String("bin", "bin/summarizer", "the summarizer binary (the worker runs as a separate process)")
	runsFlag := fs.String("runs", "a,b,b120,c,idle", "comma list of runs: a (L=1s, C=64), b (L=30s, C=1000), b120 (L=120s, C=1000: all 1000 in flight despite moto's slow ramp), c (L=0, C=64), idle (--quick: a,b,c,idle)")
	n := fs.Int("n", 0, "messages per run (default 1000; 100 with --quick)")
	quick := fs.Bool("quick", false, "N=100 and a 30s idle window: about two minutes in all")
	idle := fs.Duration("idle", 60*time.Second, "idle window of the idle run")
	probe := fs.Duration("moto-probe", 1500*time.Millisecond, "length of each raw moto rate probe (0 skips them)")
	paced := fs.Float64("paced-rate", 10, "messages/s of the latency phase of runs a and c (moto must not be the queue)")
	send := fs.String("send", "", "override how each run's N events are sent: bounded (a, c), all (as fast as moto takes them, worker running) or preload (b: before the worker starts)")
	outPath := fs.String("out", "bench/results.json", "where the JSON results go")
	logPath := fs.String("log", filepath.Join(os.TempDir(), "summarizer-bench.log"), "where the worker's logs go")
	reprint := fs.String("print", "", "print the table of an earlier results.json and exit (no run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *reprint != "" {
		data, err := os.ReadFile(*reprint)
		if err != nil {
			return err
		}
		var old results
		if err := json.Unmarshal(data, &old); err != nil {
			return fmt.Errorf("%s: %w", *reprint, err)
		}
		fmt.Fprintf(out, "%s (started %s)\n", old.Command, old.StartedAt)
		old.Targets = evaluate(&old)
		printResults(out, &old)
		return nil
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick {
		if !set["n"] {
			*n = 100
		}
		if !set["idle"] {
			*idle = 30 * time.Second
		}
		if !set["runs"] {
			*runsFlag = "a,b,c,idle"
		}
	}
	switch *send {
	case "", sendBoundedBacklog, sendAllAtOnce, sendPreload:
	default:
		return fmt.Errorf("--send: %q is not bounded, all or preload", *send)
	}
	if *paced <= 0 {
		return errors.New("--paced-rate must be positive")
	}
	var names []string
	for _, r := range strings.Split(*runsFlag, ",") {
		r = strings.TrimSpace(r)
		if _, ok := specs[r]; !ok && r != "idle" {
			return fmt.Errorf("--runs: unknown run %q (want a, b, b120, c or idle)", r)
		}
		names = append(names, r)
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

	res := &results{
		Command:   strings.Join(append([]string{"go run ./cmd/bench"}, args...), " "),
		StartedAt: time.Now().UTC().Format(time.RFC3339),
		Host:      hostInfo{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadAvg()},
	}
	fmt.Fprintf(out, "» bench: %d CPUs, load average %s; worker %s; logs in %s\n", res.Host.CPUs, res.Host.LoadStart, *bin, *logPath)
	fmt.Fprintln(out, "» starting moto")
	moto, err := localstack.Start(ctx)
	if err != nil {
		return err
	}
	defer moto.Stop()
	if argv, err := localstack.Command(); err == nil {
		res.Host.MotoVersion = strings.Join(argv, " ")
	}
	cfg := moto.AWSConfig()
	b := &bench{
		bin:       binPath,
		moto:      moto,
		s3:        s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true }),
		sqs:       sqs.NewFromConfig(cfg),
		logs:      logs,
		out:       out,
		pacedRate: *paced,
	}
	if *probe > 0 {
		fmt.Fprintln(out, "» probing moto's raw request rate")
		p, err := probeMoto(ctx, b.s3, b.sqs, *probe)
		if err != nil {
			return fmt.Errorf("moto probe: %w", err)
		}
		res.Moto = &p
	}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := moto.Reset(); err != nil {
			return err
		}
		if name == "idle" {
			fmt.Fprintf(out, "» run idle: empty queue for %s\n", *idle)
			ir, err := b.idleRun(ctx, *idle)
			if err != nil {
				return fmt.Errorf("run idle: %w", err)
			}
			res.Idle = ir
			continue
		}
		sp := specs[name]
		if *n > 0 {
			sp.N = *n
		}
		if *send != "" {
			sp.Send = *send
		}
		fmt.Fprintf(out, "» run %s: L=%s CONCURRENCY=%d N=%d, send %s\n", sp.Name, sp.Latency, sp.Concurrency, sp.N, sp.Send)
		rr, err := b.loadRun(ctx, sp)
		if err != nil {
			return fmt.Errorf("run %s: %w", sp.Name, err)
		}
		res.Runs = append(res.Runs, *rr)
	}
	res.Host.LoadEnd = loadAvg()
	res.Targets = evaluate(res)
	printResults(out, res)
	if err := os.MkdirAll(filepath.Dir(*outPath), 0o755); err != nil {
		return err
	}
	scrubNaN(reflect.ValueOf(res))
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*outPath, append(js, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "results written to %s\n", *outPath)
	return nil
}

// evaluate checks the targets of the issue against what was measured.
func evaluate(res *results) []target {
	var ts []target
	byName := map[string]*runResult{}
	for i := range res.Runs {
		byName[res.Runs[i].Name] = &res.Runs[i]
	}
	if a := byName["a"]; a != nil {
		ts = append(ts,
			target{Name: "(a) throughput / ideal (steady 10-90%)", Measured: a.RatioSteady, Limit: 0.95, Unit: "×", Met: a.RatioSteady >= 0.95,
				Note: fmt.Sprintf("%.1f of %.0f/s; moto %.0f req/s at %.0f%% CPU, worker %.0f%% CPU%s", a.ThroughputSteady, a.Ideal, a.MotoReqPerS, a.MotoCPUPct, a.WorkerCPUPct, ceiling(byName["c"]))},
			target{Name: "(a) p99 excess over L (paced)", Measured: a.Latency.ExcessMS.P99, Limit: 250, Unit: "ms", Met: a.Latency.ExcessMS.P99 <= 250},
			target{Name: "(a) SQS requests per message, steady state", Measured: a.SQSSteadyPerMsg, Limit: 0.35, Unit: "req/msg", Met: a.SQSSteadyPerMsg <= 0.35},
		)
	}
	if b := byName["b"]; b != nil {
		ts = append(ts, target{Name: "(b) RunPod /status polls per 30 s job (mean)", Measured: b.PollsPerJobMean, Limit: 8, Unit: "polls",
			Met: b.PollsPerJobMean <= 8, Note: fmt.Sprintf("max %d", b.PollsPerJobMax)})
	}
	// Peak RSS: the run that held the most messages in flight.
	var held *runResult
	for _, name := range []string{"b", "b120"} {
		if r := byName[name]; r != nil && (held == nil || r.MaxInflight > held.MaxInflight) {
			held = r
		}
	}
	if held != nil {
		ts = append(ts, target{Name: "(" + held.Name + ") worker peak RSS, 1,000 in flight", Measured: held.PeakRSSMB, Limit: 150, Unit: "MB",
			Met: held.PeakRSSMB <= 150 && held.MaxInflight >= 1000, Note: fmt.Sprintf("max in flight %d", held.MaxInflight)})
	}
	if ir := res.Idle; ir != nil {
		perHour, how := ir.ReceivesPerHour, "count in the "+ir.Window+" window"
		if ir.IntervalPerHour > 0 {
			perHour, how = ir.IntervalPerHour, fmt.Sprintf("mean interval %.1f s between receive starts; %.0f/h by count in the %s window", ir.IntervalS, ir.ReceivesPerHour, ir.Window)
		}
		ts = append(ts, target{Name: "idle ReceiveMessage calls per hour", Measured: perHour, Limit: 200, Unit: "/h", Met: perHour <= 200, Note: how})
	}
	return ts
}

var errTimeout = errors.New("timed out")

// ceiling describes run c, the pipeline with no RunPod wait: what moto and
// the worker can do at most on this machine.
func ceiling(c *runResult) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf("; run (c), L=0, does %.1f/s", c.ThroughputSteady)
}

// scrubNaN sets every NaN or infinite float reachable from v (pointers,
// structs, slices) to zero: JSON has no NaN. Printed tables show "-" for
// them; a reprinted results.json shows 0.
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
	case reflect.Slice:
		for i := range v.Len() {
			scrubNaN(v.Index(i))
		}
	case reflect.Float64:
		if f := v.Float(); (math.IsNaN(f) || math.IsInf(f, 0)) && v.CanSet() {
			v.SetFloat(0)
		}
	}
}
