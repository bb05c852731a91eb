package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/summarizer/summarizer/deploy/localstack"
)

// The two consumers measured under the same arrivals.
const (
	consumerWorker = "worker" // `summarizer run`, a separate process
	consumerSeed   = "seed"   // the seed design, in this process (seed.go)
)

// rig is one measured run's fresh stack: moto reset, a queue with its DLQ,
// the bucket notifying the queue, the RunPod emulator (fixed latency L)
// behind its tap, the counting proxy in front of moto, and the consumer.
type rig struct {
	b        *bench
	queueURL string
	em       *emuTap
	px       *countingProxy
	c        *consumer

	stopSampling func()
	mu           sync.Mutex
	samples      []sample
}

func (b *bench) newRig(ctx context.Context, name string, latency time.Duration, withBucket bool) (*rig, error) {
	if err := b.moto.Reset(); err != nil {
		return nil, err
	}
	queueURL, err := createQueues(ctx, b.sqs, name)
	if err != nil {
		return nil, err
	}
	if withBucket {
		if err := setupBucket(ctx, b.s3, b.sqs, queueURL); err != nil {
			return nil, err
		}
	}
	em, err := startEmulator(latency)
	if err != nil {
		return nil, err
	}
	px, err := startProxy(b.moto.URL)
	if err != nil {
		em.Close()
		return nil, err
	}
	return &rig{b: b, queueURL: queueURL, em: em, px: px}, nil
}

// close stops sampling, the consumer, the proxy and the emulator.
func (r *rig) close() {
	if r.stopSampling != nil {
		r.stopSampling()
	}
	if r.c != nil {
		r.c.stop()
	}
	r.px.Close()
	r.em.Close()
}

// consumerConfig is what a consumer is started with.
type consumerConfig struct {
	kind        string
	concurrency int
	// worker only: VISIBILITY_TIMEOUT, and SHUTDOWN_TIMEOUT (default 5 s:
	// a point's worker stops quickly; it also caps the long poll).
	visibility time.Duration
	shutdown   time.Duration
	// seed only: the /status interval.
	seedPoll time.Duration
}

func (r *rig) start(ctx context.Context, cc consumerConfig) error {
	c := &consumer{}
	switch cc.kind {
	case consumerWorker:
		w, err := r.b.startWorker(ctx, r.queueURL, r.px.URL, r.em.EndpointURL(), cc)
		if err != nil {
			return err
		}
		c.w = w
	case consumerSeed:
		c.s = startSeed(awsConfig(r.b.moto, r.px.URL), r.queueURL, r.em.EndpointURL(), cc.concurrency, cc.seedPoll)
	default:
		return fmt.Errorf("unknown consumer %q", cc.kind)
	}
	r.c = c
	return nil
}

// sample is the state of the processes at one instant.
type sample struct {
	t                   time.Time
	worker, moto, bench float64 // CPU seconds so far (worker: NaN for the seed)
	inflight            float64 // messages the consumer holds
	rssKB               int     // worker VmRSS
	heapInuse           float64 // worker go_memstats_heap_inuse_bytes
	goroutines          float64 // worker go_goroutines
}

// sampleEvery records a sample every interval until stopSampling.
func (r *rig) sampleEvery(ctx context.Context, interval time.Duration) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	motoPIDs := childrenMatching("moto")
	self := os.Getpid()
	take := func() {
		s := sample{t: time.Now(), moto: cpuOf(motoPIDs), bench: cpuOf([]int{self}), worker: math.NaN(), inflight: math.NaN()}
		switch {
		case r.c.w != nil:
			s.worker = cpuOf([]int{r.c.w.pid()})
			if _, rss, err := memKB(r.c.w.pid()); err == nil {
				s.rssKB = rss
			}
			if m, err := scrape(ctx, r.c.w.metricsAddr); err == nil {
				s.inflight = m.sum("summarizer_inflight_messages", "")
				s.heapInuse = m.sum("go_memstats_heap_inuse_bytes", "")
				s.goroutines = m.sum("go_goroutines", "")
			}
		case r.c.s != nil:
			s.inflight = float64(r.c.s.inflight.Load())
		}
		r.mu.Lock()
		r.samples = append(r.samples, s)
		r.mu.Unlock()
	}
	take()
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				take()
			}
		}
	}()
	r.stopSampling = func() {
		cancel()
		<-done
		r.stopSampling = nil
	}
}

// snapshot returns a copy of the samples so far.
func (r *rig) snapshot() []sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sample(nil), r.samples...)
}

// consumer is the worker process or the seed goroutines.
type consumer struct {
	w *worker
	s *seed
}

func (c *consumer) stop() {
	if c.w != nil {
		c.w.stop()
	}
	if c.s != nil {
		c.s.stop()
	}
}

// cpu is the consumer's CPU seconds so far: NaN for the seed, which shares
// this process with the emulator and the proxy.
func (c *consumer) cpu() float64 {
	if c.w == nil {
		return math.NaN()
	}
	s, err := cpuSeconds(c.w.pid())
	if err != nil {
		return math.NaN()
	}
	return s
}

// metrics scrapes the worker; the seed has none.
func (c *consumer) metrics(ctx context.Context) metrics {
	if c.w == nil {
		return metrics{}
	}
	m, err := scrape(ctx, c.w.metricsAddr)
	if err != nil {
		return metrics{}
	}
	return m
}

// worker is the `summarizer run` process.
type worker struct {
	cmd         *exec.Cmd
	metricsAddr string
	done        chan struct{}
}

func (b *bench) startWorker(ctx context.Context, queueURL, proxyURL, endpoint string, cc consumerConfig) (*worker, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	vis := cc.visibility
	if vis == 0 {
		vis = 60 * time.Second
	}
	env := append(os.Environ(), b.moto.Env()...)
	env = append(env,
		"AWS_ENDPOINT_URL="+proxyURL, // after moto.Env(): the last value wins
		"QUEUE_URL="+queueURL,
		"RUNPOD_ENDPOINT_URL="+endpoint,
		"CONCURRENCY="+strconv.Itoa(cc.concurrency),
		"MODEL_CONCURRENCY="+strconv.Itoa(cc.concurrency),
		"VISIBILITY_TIMEOUT="+vis.String(),
		"SHUTDOWN_TIMEOUT="+cmp.Or(cc.shutdown, 5*time.Second).String(),
		"METRICS_ADDR="+addr,
		"LOG_LEVEL=warn",
		"LOG_FORMAT=json",
	)
	cmd := exec.Command(b.bin, "run")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = b.logs, b.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &worker{cmd: cmd, metricsAddr: addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(w.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-w.done:
			return nil, fmt.Errorf("worker exited at start: %s (see the log)", cmd.ProcessState)
		default:
		}
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return w, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			w.stop()
			return nil, errors.New("worker not ready after 30s (see the log)")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (w *worker) pid() int { return w.cmd.Process.Pid }

func (w *worker) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// cpuPctBetween is the CPU use (% of one core) of get between the samples
// nearest to from and to.
func cpuPctBetween(samples []sample, from, to time.Time, get func(sample) float64) float64 {
	if len(samples) < 2 {
		return math.NaN()
	}
	nearest := func(t time.Time) sample {
		best := samples[0]
		for _, s := range samples {
			if absDur(s.t.Sub(t)) < absDur(best.t.Sub(t)) {
				best = s
			}
		}
		return best
	}
	a, b := nearest(from), nearest(to)
	if !b.t.After(a.t) {
		return math.NaN()
	}
	return 100 * (get(b) - get(a)) / b.t.Sub(a.t).Seconds()
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// awsConfig is moto's SDK configuration with endpoint (moto or the proxy)
// and a connection pool large enough that no request waits for a
// connection or opens a new one.
func awsConfig(m *localstack.Moto, endpoint string) aws.Config {
	cfg := m.AWSConfig()
	cfg.BaseEndpoint = aws.String(endpoint)
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 1024, 512
	})
	return cfg
}

// s3Client is an S3 client of moto for the bench's own uploads.
func s3Client(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true })
}
