package deploy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"gopkg.in/yaml.v3"

	"github.com/summarizer/summarizer/deploy/localstack"
	workerpkg "github.com/summarizer/summarizer/worker"
	"github.com/summarizer/summarizer/worker/journal"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

const templatePath = "cloudformation.yaml"

var moto *localstack.Moto

func TestMain(m *testing.M) {
	code := localstack.RunTests(m, &moto)
	removeBinary()
	os.Exit(code)
}

// template is cloudformation.yaml, parsed as plain YAML (long-form
// intrinsics only, so no custom tags to resolve).
func template(t *testing.T) map[string]any {
	t.Helper()
	docs, err := readYAML(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("%s: %d YAML documents, want 1", templatePath, len(docs))
	}
	return docs[0].obj
}

// The template is readable by any YAML parser: no short-form tags like !Ref.
func TestTemplateHasNoShortFormTags(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Tag != "" && !strings.HasPrefix(n.Tag, "!!") {
			t.Errorf("%s:%d: tag %s: use the long form (Ref, Fn::...) as a map", templatePath, n.Line, n.Tag)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
}

// The template agrees with the worker's defaults and the Kubernetes
// ConfigMap: notified suffixes = INPUT_SUFFIXES, writable prefix =
// OUTPUT_PREFIX, queue visibility = VISIBILITY_TIMEOUT, SQS redrive no
// earlier than MAX_RECEIVES. Defaults come from `summarizer run --help`.
func TestTemplateMatchesWorker(t *testing.T) {
	t.Parallel()
	tpl := template(t)
	settings := runSettings(t)
	m := load(t)
	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"notified suffixes are INPUT_SUFFIXES", func(t *testing.T) {
			want := strings.Split(m.setting("INPUT_SUFFIXES", settings["INPUT_SUFFIXES"]), ",")
			var got []string
			for _, qc := range notificationConfig(t, tpl) {
				if qc.event != "s3:ObjectCreated:*" {
					t.Errorf("event %q, want s3:ObjectCreated:*", qc.event)
				}
				got = append(got, qc.suffix)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("notification suffixes %v, want INPUT_SUFFIXES %v", got, want)
			}
		}},
		{"OutputPrefix is OUTPUT_PREFIX", func(t *testing.T) {
			want := m.setting("OUTPUT_PREFIX", settings["OUTPUT_PREFIX"])
			if got := str(tpl, "Parameters", "OutputPrefix", "Default"); got != want {
				t.Errorf("OutputPrefix default %q, want OUTPUT_PREFIX %q", got, want)
			}
		}},
		{"VisibilityTimeout is VISIBILITY_TIMEOUT", func(t *testing.T) {
			raw := m.setting("VISIBILITY_TIMEOUT", settings["VISIBILITY_TIMEOUT"])
			want, err := time.ParseDuration(raw)
			if err != nil {
				t.Fatalf("VISIBILITY_TIMEOUT=%q: %v", raw, err)
			}
			got, _ := strconv.Atoi(str(tpl, "Parameters", "VisibilityTimeout", "Default"))
			if time.Duration(got)*time.Second != want {
				t.Errorf("VisibilityTimeout default %ds, want VISIBILITY_TIMEOUT %v", got, want)
			}
		}},
		{"MaxReceiveCount is twice MAX_RECEIVES", func(t *testing.T) {
			want, err := strconv.Atoi(m.setting("MAX_RECEIVES", settings["MAX_RECEIVES"]))
			if err != nil {
				t.Fatal(err)
			}
			// Releases at scale-in, crashes and lost leases spend receives
			// without any failure: SQS must leave the worker room to decide.
			got, _ := strconv.Atoi(str(tpl, "Parameters", "MaxReceiveCount", "Default"))
			if got < 2*want {
				t.Errorf("MaxReceiveCount default %d < 2×MAX_RECEIVES %d: rollouts could push messages into the DLQ without a reason", got, 2*want)
			}
		}},
		{"job journals never match a notification and expire", func(t *testing.T) {
			jk := strings.ToLower(journal.Key("summaries/a.summary.txt", "d41d8cd98f00b204e9800998ecf8427e"))
			for _, qc := range notificationConfig(t, tpl) {
				if strings.HasSuffix(jk, strings.ToLower(qc.suffix)) {
					t.Errorf("journal key %s matches the notification suffix %s", jk, qc.suffix)
				}
			}
			for _, sfx := range workerpkg.InputSuffixesDefault {
				if strings.HasSuffix(jk, sfx) {
					t.Errorf("journal key %s matches the input suffix %s", jk, sfx)
				}
			}
			key, value, _ := strings.Cut(journal.Tag, "=")
			found := false
			for _, r := range list(tpl, "Resources", "Bucket", "Properties", "LifecycleConfiguration", "Rules") {
				for _, tf := range list(r, "TagFilters") {
					if str(tf, "Key") == key && str(tf, "Value") == value && str(r, "Status") == "Enabled" && str(r, "ExpirationInDays") != "" {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("no enabled lifecycle rule expires objects tagged %s", journal.Tag)
			}
		}},
		{"ConfigMap keys are settings", func(t *testing.T) {
			for k := range m.env {
				if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "GO") {
					continue // read by the SDK or the Go runtime
				}
				if _, ok := settings[k]; !ok {
					t.Errorf("%s is not a setting of summarizer run", k)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.check(t)
		})
	}
}

type queueConfig struct {
	event, suffix string
	queue         any // the template's value, e.g. {"Fn::GetAtt": ["Queue", "Arn"]}
}

// notificationConfig is the Bucket's NotificationConfiguration as the
// template writes it.
func notificationConfig(t *testing.T, tpl map[string]any) []queueConfig {
	t.Helper()
	var out []queueConfig
	for _, qc := range list(tpl, "Resources", "Bucket", "Properties", "NotificationConfiguration", "QueueConfigurations") {
		rules := list(qc, "Filter", "S3Key", "Rules")
		if len(rules) != 1 || str(rules, 0, "Name") != "suffix" {
			t.Fatalf("QueueConfiguration filter %v: want one suffix rule", rules)
		}
		out = append(out, queueConfig{event: str(qc, "Event"), suffix: str(rules, 0, "Value"), queue: get(qc, "Queue")})
	}
	if len(out) == 0 {
		t.Fatal("template: Bucket has no QueueConfigurations")
	}
	return out
}

// The stack, created from the template in moto, is a working deployment:
// the real `summarizer run` binary, pointed only at the stack's QueueUrl,
// turns an upload to the stack's bucket into a summary.
func TestStackEndToEnd(t *testing.T) {
	m := localstack.Need(t, moto)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cfg := m.AWSConfig()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true })
	sqsc := sqs.NewFromConfig(cfg)

	// DeployStack also applies the bucket's notification rules, read from
	// the template: moto's CloudFormation creates the bucket without them.
	out, err := m.DeployStack(ctx, templatePath, "summarizer-e2e", map[string]string{
		"BucketName":      "transcripts-e2e",
		"QueueName":       "transcripts-e2e",
		"OidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"QueueUrl", "DeadLetterQueueUrl", "BucketName", "WorkerRoleArn", "KedaRoleArn", "ReplayPolicyArn"} {
		if out[k] == "" {
			t.Fatalf("stack output %s is missing: %v", k, out)
		}
	}
	bucket := out["BucketName"]
	queueAttrs := queueAttributes(ctx, t, sqsc, out["QueueUrl"])
	dlqAttrs := queueAttributes(ctx, t, sqsc, out["DeadLetterQueueUrl"])

	t.Run("resources as the template says", func(t *testing.T) {
		var redrive struct {
			Target string `json:"deadLetterTargetArn"`
			Max    any    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(queueAttrs["RedrivePolicy"]), &redrive); err != nil {
			t.Fatalf("RedrivePolicy %q: %v", queueAttrs["RedrivePolicy"], err)
		}
		if redrive.Target != dlqAttrs["QueueArn"] || fmt.Sprint(redrive.Max) != "10" {
			t.Errorf("RedrivePolicy %+v, want the DLQ %s after 10 receives", redrive, dlqAttrs["QueueArn"])
		}
		for k, want := range map[string]string{"VisibilityTimeout": "60", "ReceiveMessageWaitTimeSeconds": "20"} {
			if queueAttrs[k] != want {
				t.Errorf("queue %s = %q, want %s", k, queueAttrs[k], want)
			}
		}
		if dlqAttrs["MessageRetentionPeriod"] != "1209600" {
			t.Errorf("DLQ MessageRetentionPeriod = %q, want 1209600", dlqAttrs["MessageRetentionPeriod"])
		}
		// moto's CloudFormation skips AWS::SQS::QueuePolicy (and the bucket's
		// PublicAccessBlock and OwnershipControls); check it where it is set.
		policy := queueAttrs["Policy"]
		if policy == "" {
			t.Log("moto did not apply AWS::SQS::QueuePolicy: queue policy not checked")
		}
		for _, want := range []string{"s3.amazonaws.com", "sqs:SendMessage", "arn:aws:s3:::" + bucket, "aws:SourceAccount"} {
			if policy != "" && !strings.Contains(policy, want) {
				t.Errorf("queue policy lacks %s: %s", want, policy)
			}
		}
		// moto does not implement AWS::S3::BucketPolicy either: the TLS-only
		// statements are checked on the template (TestTemplateLanes) and
		// here only where moto applied them.
		for _, p := range []string{policy, dlqAttrs["Policy"]} {
			if p != "" && !strings.Contains(p, "aws:SecureTransport") {
				t.Errorf("queue policy without the TLS-only statement: %s", p)
			}
		}
		if bp, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &bucket}); err == nil && !strings.Contains(aws.ToString(bp.Policy), "aws:SecureTransport") {
			t.Errorf("bucket policy without the TLS-only statement: %s", aws.ToString(bp.Policy))
		}
		checkDeployedLanes(ctx, t, m, out, queueAttrs["QueueArn"], dlqAttrs["QueueArn"], "")
		enc, err := s3c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &bucket})
		if err != nil {
			t.Fatalf("bucket encryption: %v", err)
		}
		if r := enc.ServerSideEncryptionConfiguration.Rules; len(r) != 1 || r[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != s3types.ServerSideEncryptionAes256 {
			t.Errorf("bucket encryption %+v, want AES256", r)
		}
	})

	// The notification rules DeployStack applied are the template's own.
	nc, err := s3c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if want := notificationConfig(t, template(t)); len(nc.QueueConfigurations) != len(want) {
		t.Fatalf("bucket has %d queue notifications, the template %d", len(nc.QueueConfigurations), len(want))
	}
	for _, qc := range nc.QueueConfigurations {
		if aws.ToString(qc.QueueArn) != queueAttrs["QueueArn"] {
			t.Errorf("notification to %s, want the stack's queue %s", aws.ToString(qc.QueueArn), queueAttrs["QueueArn"])
		}
	}

	const apiKey = "rp-e2e-7c1f"
	em, err := emulator.New(emulator.Config{APIKey: apiKey, Latency: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rp := httptest.NewServer(em)
	defer rp.Close()

	env := append(m.Env(),
		"QUEUE_URL="+out["QueueUrl"], // DLQ_URL left out: the worker reads the RedrivePolicy
		"RUNPOD_ENDPOINT_URL="+rp.URL+"/v2/e2e",
		"RUNPOD_API_KEY="+apiKey,
		"METRICS_ADDR=127.0.0.1:0",
		"SHUTDOWN_TIMEOUT=5s",
		"LOG_LEVEL=debug",
	)
	w := startWorker(t, needBinary(t), env)

	transcript, err := os.ReadFile("../testdata/transcripts/standup-2026-11-23.txt")
	if err != nil {
		t.Fatal(err)
	}
	const key = "meetings/standup-2026-11-23.txt"
	put, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(key), Body: bytes.NewReader(transcript)})
	if err != nil {
		t.Fatal(err)
	}
	etag := strings.Trim(aws.ToString(put.ETag), `"`)

	const summaryKey = "summaries/meetings/standup-2026-11-23.txt.summary.txt"
	var head *s3.HeadObjectOutput
	waitFor(t, w, 60*time.Second, summaryKey, func() bool {
		head, err = s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String(summaryKey)})
		return err == nil
	})
	if got := strings.Trim(head.Metadata["source-etag"], `"`); got != etag {
		t.Errorf("summary metadata source-etag = %q, want the upload's %q", got, etag)
	}
	if n := em.Stats().Submitted; n < 1 {
		t.Errorf("RunPod jobs submitted: %d", n)
	}

	// The summary matches the .txt rule too: its own event comes back and is
	// skipped by the recursion guard. Nothing is left, nothing dead-lettered,
	// and no summary of a summary is written.
	waitFor(t, w, 30*time.Second, "queue drained", func() bool {
		return queueCount(ctx, t, sqsc, out["QueueUrl"]) == 0
	})
	if n := queueCount(ctx, t, sqsc, out["DeadLetterQueueUrl"]); n != 0 {
		t.Errorf("DLQ holds %d messages", n)
	}
	objs, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if want := []string{key, summaryKey}; !slices.Equal(keys, want) {
		t.Errorf("bucket holds %v, want %v", keys, want)
	}

	// The worker found the stack's DLQ through the queue's RedrivePolicy.
	started := w.logLine(t, "consumer started")
	if got := started["dlq"]; got != out["DeadLetterQueueUrl"] {
		t.Errorf(`"consumer started" dlq = %v, want the stack's DeadLetterQueueUrl %s`, got, out["DeadLetterQueueUrl"])
	}

	// The probes of deploy/kubernetes answer on the metrics listener.
	addr, _ := w.logLine(t, "metrics listening")["addr"].(string)
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "summarizer_messages_total"} {
		body, code := httpGet(t, "http://"+addr+path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d %.200q, want 200 with %q", path, code, body, want)
		}
	}

	if code := w.stop(t); code != 0 {
		t.Errorf("worker exited %d after SIGTERM, want 0\n%s", code, w.logs.String())
	}
	if strings.Contains(w.logs.String(), apiKey) {
		t.Error("the RunPod API key appears in the worker's logs")
	}
}

func queueAttributes(ctx context.Context, t *testing.T, c *sqs.Client, url string) map[string]string {
	t.Helper()
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", url, err)
	}
	return out.Attributes
}

// queueCount is visible + in-flight + delayed messages.
func queueCount(ctx context.Context, t *testing.T, c *sqs.Client, url string) int {
	t.Helper()
	attrs := queueAttributes(ctx, t, c, url)
	n := 0
	for _, k := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"} {
		v, _ := strconv.Atoi(attrs[k])
		n += v
	}
	return n
}

func httpGet(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return "", 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// worker is `summarizer run` as a child process.
type worker struct {
	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan struct{}
	err    error // of Wait, once exited is closed
}

func startWorker(t *testing.T, bin string, env []string) *worker {
	t.Helper()
	w := &worker{cmd: exec.Command(bin, "run"), logs: &lockedBuffer{}, exited: make(chan struct{})}
	w.cmd.Env = env
	w.cmd.Stdout, w.cmd.Stderr = w.logs, w.logs
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		w.err = w.cmd.Wait()
		close(w.exited)
	}()
	t.Cleanup(func() {
		_ = w.cmd.Process.Kill()
		<-w.exited
		if t.Failed() {
			t.Logf("worker logs:\n%s", w.logs.String())
		}
	})
	return w
}

// stop sends SIGTERM and returns the exit code (-1: killed after 30 s).
func (w *worker) stop(t *testing.T) int {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.exited:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.exited
		return -1
	}
	var exit *exec.ExitError
	if errors.As(w.err, &exit) {
		return exit.ExitCode()
	}
	if w.err != nil {
		t.Fatal(w.err)
	}
	return 0
}

// logLine is the first JSON log line whose message is msg.
func (w *worker) logLine(t *testing.T, msg string) map[string]any {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(w.logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
			return line
		}
	}
	t.Fatalf("no %q in the worker's logs", msg)
	return nil
}

// waitFor polls cond every 100 ms until it holds; it fails t after timeout
// or when the worker exits first.
func waitFor(t *testing.T, w *worker, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case <-w.exited:
			t.Fatalf("worker exited (%v) while waiting for %s", w.err, what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
