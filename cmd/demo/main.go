// Command demo runs the whole job on this machine: a moto server (local S3
// and SQS), the RunPod emulator and the worker, as separate processes. It
// uploads the sample transcripts, prints each summary as it lands, and stops
// everything. `make demo` runs it.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/summarizer/summarizer/deploy/localstack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

const bucket = "transcripts"

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	bin := fs.String("bin", "bin/summarizer", "the summarizer binary")
	samples := fs.String("samples", "testdata/transcripts", "folder of transcripts to upload")
	latency := fs.Duration("latency", time.Second, "RunPod emulator latency per job")
	logFile := fs.String("log", "bin/demo.log", "where the worker's and emulator's logs go")
	template := fs.String("template", "deploy/cloudformation.yaml", "the CloudFormation template deployed to moto")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(*samples, "*"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no transcripts in %s", *samples)
	}
	logs, err := os.Create(*logFile)
	if err != nil {
		return err
	}
	defer logs.Close()

	fmt.Fprintln(out, "» starting moto (local S3 + SQS)")
	moto, err := localstack.Start(ctx)
	if err != nil {
		return err
	}
	defer moto.Stop()
	cfg := moto.AWSConfig()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true })
	sqsc := sqs.NewFromConfig(cfg)
	fmt.Fprintf(out, "» deploying %s to moto (stack summarizer-demo)\n", *template)
	outputs, err := moto.DeployStack(ctx, *template, "summarizer-demo", map[string]string{
		"BucketName":      bucket,
		"QueueName":       "summarizer",
		"OidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/DEMO",
	})
	if err != nil {
		return err
	}
	queueURL, dlqURL := outputs["QueueUrl"], outputs["DeadLetterQueueUrl"]
	fmt.Fprintf(out, "  bucket s3://%s → queue %s (DLQ %s)\n", outputs["BucketName"], queueURL, dlqURL)

	emAddr, err := freeAddr()
	if err != nil {
		return err
	}
	metricsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "» starting the RunPod emulator on %s (latency %s)\n", emAddr, *latency)
	emulator, err := start(*bin, logs, nil, "runpod-emulator", "--addr", emAddr, "--latency", latency.String())
	if err != nil {
		return err
	}
	defer stopProcess(emulator)
	env := append(moto.Env(),
		"QUEUE_URL="+queueURL,
		"RUNPOD_ENDPOINT_URL=http://"+emAddr+"/v2/local",
		"METRICS_ADDR="+metricsAddr,
		"CONCURRENCY=8",
		"LOG_FORMAT=console",
	)
	fmt.Fprintf(out, "» starting the worker (metrics on http://%s/metrics, logs in %s)\n", metricsAddr, *logFile)
	worker, err := start(*bin, logs, env, "run")
	if err != nil {
		return err
	}
	defer stopProcess(worker)

	sent := map[string]time.Time{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		key := "uploads/" + filepath.Base(f)
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
			return err
		}
		sent[key] = time.Now()
		fmt.Fprintf(out, "» uploaded s3://%s/%s (%d bytes)\n", bucket, key, len(data))
	}

	type row struct {
		key, output string
		latency     time.Duration
		words       int
	}
	var rows []row
	deadline := time.Now().Add(2 * time.Minute)
	for len(sent) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d summaries after 2 minutes: see %s", len(rows), len(sent), *logFile)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for key, at := range sent {
			outKey := "summaries/" + key + ".summary.txt"
			obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(outKey)})
			if err != nil {
				continue
			}
			body, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			delete(sent, key)
			r := row{key: key, output: outKey, latency: time.Since(at).Round(10 * time.Millisecond), words: len(strings.Fields(string(body)))}
			rows = append(rows, r)
			fmt.Fprintf(out, "\n✔ s3://%s/%s  (%s after upload)\n%s\n", bucket, outKey, r.latency, indent(string(body)))
		}
		if len(sent) > 0 {
			time.Sleep(200 * time.Millisecond)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].key < rows[j].key })
	fmt.Fprintln(out, "\nsummary of the run:")
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  transcript\tsummary\twords\tlatency")
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\n", r.key, r.output, r.words, r.latency)
	}
	tw.Flush()
	left, _ := queueDepth(ctx, sqsc, queueURL)
	dead, _ := queueDepth(ctx, sqsc, dlqURL)
	fmt.Fprintf(out, "  queue: %s left, DLQ: %s\n", left, dead)
	fmt.Fprintf(out, "\nfrom http://%s/metrics:\n", metricsAddr)
	printMetrics(out, "http://"+metricsAddr+"/metrics")
	fmt.Fprintln(out, "» stopping the worker (SIGTERM), the emulator and moto")
	return nil
}

func queueDepth(ctx context.Context, sqsc *sqs.Client, url string) (string, error) {
	a, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		return "?", err
	}
	return a.Attributes["ApproximateNumberOfMessages"], nil
}

func start(bin string, logs io.Writer, env []string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s not found: run 'make build' first", bin)
		}
		return nil, err
	}
	return cmd, nil
}

func stopProcess(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
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

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
}

// printMetrics shows the worker's own counters of the run.
func printMetrics(out io.Writer, url string) {
	resp, err := http.Get(url)
	if err != nil {
		fmt.Fprintln(out, "  metrics unavailable:", err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "summarizer_") && !strings.Contains(line, "_bucket{") {
			fmt.Fprintln(out, "  "+line)
		}
	}
}
