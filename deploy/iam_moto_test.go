package deploy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/summarizer/summarizer/deploy/localstack"
)

// iamAPI reads IAM from moto through the Query API (a signed form POST):
// the module has no IAM client, and the tests only need to read.
type iamAPI struct {
	m *localstack.Moto
	t *testing.T
}

// call runs action and decodes the XML answer into out.
func (c iamAPI) call(ctx context.Context, action string, params map[string]string, out any) {
	c.t.Helper()
	form := url.Values{"Action": {action}, "Version": {"2010-05-08"}}
	for k, v := range params {
		form.Set(k, v)
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.m.URL+"/", strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	cfg := c.m.AWSConfig()
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", localstack.Region, time.Now()); err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("IAM %s: %v", action, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("IAM %s %v: HTTP %d: %s", action, params, resp.StatusCode, b)
	}
	if err := xml.NewDecoder(bytes.NewReader(b)).Decode(out); err != nil {
		c.t.Fatalf("IAM %s: %v: %s", action, err, b)
	}
}

// policyDoc decodes a policy document as IAM returns it (URL-encoded JSON).
func policyDoc(t *testing.T, from, raw string) []statement {
	t.Helper()
	if dec, err := url.QueryUnescape(raw); err == nil && !strings.HasPrefix(strings.TrimSpace(raw), "{") {
		raw = dec
	}
	// moto renders the inline policies of roles created by CloudFormation
	// as a Python dict ({'Version': ...}); the template's policies hold no
	// quote or apostrophe, so swapping the quotes makes it JSON.
	if strings.HasPrefix(raw, "{'") {
		raw = strings.NewReplacer("'", `"`, "True", "true", "False", "false", "None", "null").Replace(raw)
	}
	return statements(from, raw)
}

// role is a deployed role: its trust policy and every statement of its
// inline and attached policies.
type deployedRole struct {
	name     string
	trust    string
	inline   map[string][]statement // policy name -> statements
	attached []string               // managed policy ARNs
}

func (c iamAPI) role(ctx context.Context, arn string) deployedRole {
	c.t.Helper()
	_, name, ok := strings.Cut(arn, ":role/")
	if !ok {
		c.t.Fatalf("%q is not a role ARN", arn)
	}
	name = name[strings.LastIndex(name, "/")+1:]
	r := deployedRole{name: name, inline: map[string][]statement{}}
	var got struct {
		Doc string `xml:"GetRoleResult>Role>AssumeRolePolicyDocument"`
	}
	c.call(ctx, "GetRole", map[string]string{"RoleName": name}, &got)
	r.trust = got.Doc
	if dec, err := url.QueryUnescape(got.Doc); err == nil {
		r.trust = dec
	}
	var names struct {
		Names []string `xml:"ListRolePoliciesResult>PolicyNames>member"`
	}
	c.call(ctx, "ListRolePolicies", map[string]string{"RoleName": name}, &names)
	for _, p := range names.Names {
		var doc struct {
			Doc string `xml:"GetRolePolicyResult>PolicyDocument"`
		}
		c.call(ctx, "GetRolePolicy", map[string]string{"RoleName": name, "PolicyName": p}, &doc)
		r.inline[p] = policyDoc(c.t, name+"/"+p, doc.Doc)
	}
	var att struct {
		ARNs []string `xml:"ListAttachedRolePoliciesResult>AttachedPolicies>member>PolicyArn"`
	}
	c.call(ctx, "ListAttachedRolePolicies", map[string]string{"RoleName": name}, &att)
	r.attached = att.ARNs
	return r
}

func (r deployedRole) statements() []statement {
	var out []statement
	for _, sts := range r.inline {
		out = append(out, sts...)
	}
	return out
}

// managedPolicy is a deployed managed policy's default version and how
// many principals it is attached to.
func (c iamAPI) managedPolicy(ctx context.Context, arn string) (sts []statement, attachments int) {
	c.t.Helper()
	var p struct {
		Version     string `xml:"GetPolicyResult>Policy>DefaultVersionId"`
		Attachments int    `xml:"GetPolicyResult>Policy>AttachmentCount"`
	}
	c.call(ctx, "GetPolicy", map[string]string{"PolicyArn": arn}, &p)
	var v struct {
		Doc string `xml:"GetPolicyVersionResult>PolicyVersion>Document"`
	}
	c.call(ctx, "GetPolicyVersion", map[string]string{"PolicyArn": arn, "VersionId": p.Version}, &v)
	return policyDoc(c.t, arn, v.Doc), p.Attachments
}

// checkDeployedLanes checks the IAM of a stack deployed to moto: each lane
// has its own principal with its own rights, on the stack's real ARNs.
func checkDeployedLanes(ctx context.Context, t *testing.T, m *localstack.Moto, out map[string]string, queueArn, dlqArn, kmsKey string) {
	t.Helper()
	iam := iamAPI{m: m, t: t}
	for _, k := range []string{"KedaRoleArn", "ReplayPolicyArn", "WorkerRoleArn"} {
		if out[k] == "" {
			t.Fatalf("stack output %s is missing: %v", k, out)
		}
	}

	keda := iam.role(ctx, out["KedaRoleArn"])
	if got, want := keys(allowed(keda.statements())), []string{"sqs:GetQueueAttributes " + queueArn}; !slices.Equal(got, want) {
		t.Errorf("deployed KedaRole may %v, want only %v", got, want)
	}
	if len(keda.attached) > 0 {
		t.Errorf("deployed KedaRole has managed policies %v", keda.attached)
	}
	if !strings.Contains(keda.trust, "system:serviceaccount:keda:keda-operator") || strings.Contains(keda.trust, "system:serviceaccount:summarizer:") {
		t.Errorf("deployed KedaRole trust policy %s: want the KEDA operator only", keda.trust)
	}

	worker := iam.role(ctx, out["WorkerRoleArn"])
	if strings.Contains(worker.trust, "keda") {
		t.Errorf("deployed WorkerRole trusts KEDA: %s", worker.trust)
	}
	if len(worker.attached) > 0 {
		t.Errorf("deployed WorkerRole has managed policies %v", worker.attached)
	}
	grants := allowed(worker.statements())
	for _, g := range []string{"sqs:ReceiveMessage " + queueArn, "sqs:DeleteMessage " + queueArn, "sqs:SendMessage " + dlqArn} {
		if !grants[g] {
			t.Errorf("deployed WorkerRole lacks %s", g)
		}
	}
	for g := range grants {
		action, res, _ := strings.Cut(g, " ")
		if (res == dlqArn && action != "sqs:SendMessage" && action != "sqs:GetQueueAttributes") || strings.Contains(action, "MessageMoveTask") {
			t.Errorf("deployed WorkerRole may %s", g)
		}
		if strings.HasPrefix(action, "kms:") && (kmsKey == "" || res != kmsKey) {
			t.Errorf("deployed WorkerRole may %s (KmsKeyArn %q)", g, kmsKey)
		}
	}
	if kmsKey != "" && (!grants["kms:Decrypt "+kmsKey] || !grants["kms:GenerateDataKey "+kmsKey]) {
		t.Errorf("deployed WorkerRole lacks kms:Decrypt/GenerateDataKey on %s: %v", kmsKey, keys(grants))
	}

	replay, attachments := iam.managedPolicy(ctx, out["ReplayPolicyArn"])
	rg := allowed(replay)
	for _, g := range []string{"sqs:ReceiveMessage " + dlqArn, "sqs:DeleteMessage " + dlqArn, "sqs:StartMessageMoveTask " + dlqArn, "sqs:SendMessage " + queueArn} {
		if !rg[g] {
			t.Errorf("deployed ReplayPolicy lacks %s", g)
		}
	}
	if attachments != 0 {
		t.Errorf("deployed ReplayPolicy is attached %d times; the operators attach it", attachments)
	}
}

// With KmsKeyArn set, the stack still deploys; the bucket encrypts with the
// key and the worker, only it, may use the key.
func TestStackWithKMSKey(t *testing.T) {
	m := localstack.Need(t, moto)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const key = "arn:aws:kms:us-east-1:123456789012:key/0b6e9f3c-1d2e-4f5a-8b7c-9d0e1f2a3b4c"
	out, err := m.DeployStack(ctx, templatePath, "summarizer-kms", map[string]string{
		"BucketName":      "transcripts-kms",
		"QueueName":       "transcripts-kms",
		"OidcProviderArn": oidcArn,
		"KmsKeyArn":       key,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := m.AWSConfig()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	enc, err := s3c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(out["BucketName"])})
	if err != nil {
		t.Fatal(err)
	}
	if r := enc.ServerSideEncryptionConfiguration.Rules; len(r) != 1 || string(r[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm) != "aws:kms" ||
		aws.ToString(r[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID) != key {
		t.Errorf("bucket encryption %s, want aws:kms with %s", fmt.Sprint(r), key)
	}
	sqsc := sqsClient(m)
	queueArn := queueAttributes(ctx, t, sqsc, out["QueueUrl"])["QueueArn"]
	dlqArn := queueAttributes(ctx, t, sqsc, out["DeadLetterQueueUrl"])["QueueArn"]
	checkDeployedLanes(ctx, t, m, out, queueArn, dlqArn, key)
}

func sqsClient(m *localstack.Moto) *sqs.Client { return sqs.NewFromConfig(m.AWSConfig()) }
