package deploy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// The template's IAM lanes, evaluated as AWS would see them (ARNs, not
// template expressions): the worker has exactly what `summarizer run`
// needs, KEDA only reads the queue's attributes, replay rights live in the
// operators' policy, bucket and queues refuse plain HTTP, the DLQ takes
// redrives from its source queue only, and KMS rights exist only with a
// key.
func TestTemplateLanes(t *testing.T) {
	t.Parallel()
	const keyArn = "arn:aws:kms:eu-west-1:123456789012:key/0b6e9f3c-1d2e-4f5a-8b7c-9d0e1f2a3b4c"

	type lanes struct {
		s                        *stack
		bucket, bucketArn        string
		queue, dlq               string // ARNs
		worker, keda, replay     []statement
		workerSA, kedaSA, prefix string
	}
	build := func(t *testing.T, params map[string]string) lanes {
		s := evalTemplate(t, params)
		l := lanes{s: s, bucket: s.name("Bucket"), bucketArn: s.arn("Bucket"), queue: s.arn("Queue"), dlq: s.arn("DeadLetterQueue"),
			worker: s.grants("WorkerRole"), keda: s.grants("KedaRole"), replay: s.policyStatements("ReplayPolicy"),
			workerSA: "system:serviceaccount:" + s.params["ServiceAccountNamespace"] + ":" + s.params["ServiceAccountName"],
			kedaSA:   "system:serviceaccount:" + s.params["KedaServiceAccount"],
			prefix:   s.params["OutputPrefix"]}
		return l
	}
	def := build(t, map[string]string{"BucketName": "acme-transcripts", "OidcProviderArn": oidcArn})
	kms := build(t, map[string]string{"BucketName": "acme-transcripts", "OidcProviderArn": oidcArn, "KmsKeyArn": keyArn})

	// workerWants is what `summarizer run` calls (worker/, queue/): HEAD/GET
	// of transcripts and journals, PUT of summaries and tagged journals,
	// DELETE of journals, LIST for 404 instead of 403; receive, extend,
	// delete on the queue and its attributes (RedrivePolicy, depth); send to
	// the DLQ and its depth.
	workerWants := func(l lanes) map[string]bool {
		out := map[string]bool{}
		for _, g := range []string{
			"s3:GetObject " + l.bucketArn + "/*",
			"s3:PutObject " + l.bucketArn + "/" + l.prefix + "*",
			"s3:PutObjectTagging " + l.bucketArn + "/" + l.prefix + "*",
			"s3:DeleteObject " + l.bucketArn + "/" + l.prefix + "*",
			"s3:ListBucket " + l.bucketArn,
			"sqs:ReceiveMessage " + l.queue,
			"sqs:DeleteMessage " + l.queue,
			"sqs:ChangeMessageVisibility " + l.queue,
			"sqs:GetQueueAttributes " + l.queue,
			"sqs:SendMessage " + l.dlq,
			"sqs:GetQueueAttributes " + l.dlq,
		} {
			out[g] = true
		}
		return out
	}

	t.Run("KEDA role only reads the queue's attributes", func(t *testing.T) {
		for _, l := range []lanes{def, kms} {
			want := []string{"sqs:GetQueueAttributes " + l.queue}
			if got := keys(allowed(l.keda)); !slices.Equal(got, want) {
				t.Errorf("KedaRole may %v, want only %v", got, want)
			}
			for _, st := range l.keda {
				if st.effect == "Allow" && len(st.condition) > 0 {
					t.Errorf("%v: unexpected condition %v", st, st.condition)
				}
			}
			subs, auds := l.s.trustedSubjects("KedaRole")
			if !slices.Equal(subs, []string{l.kedaSA}) || !slices.Equal(auds, []string{"sts.amazonaws.com"}) {
				t.Errorf("KedaRole trusts %v (aud %v), want only %s (aud sts.amazonaws.com)", subs, auds, l.kedaSA)
			}
		}
	})
	t.Run("worker role has exactly what run needs", func(t *testing.T) {
		got, want := allowed(def.worker), workerWants(def)
		if !maps.Equal(got, want) {
			t.Errorf("WorkerRole may\n  %s\nwant exactly\n  %s", strings.Join(keys(got), "\n  "), strings.Join(keys(want), "\n  "))
		}
		subs, auds := def.s.trustedSubjects("WorkerRole")
		if !slices.Equal(subs, []string{def.workerSA}) || !slices.Equal(auds, []string{"sts.amazonaws.com"}) {
			t.Errorf("WorkerRole trusts %v (aud %v), want only %s: KEDA and others have their own lanes", subs, auds, def.workerSA)
		}
	})
	t.Run("worker role cannot replay or drain the DLQ", func(t *testing.T) {
		for _, l := range []lanes{def, kms} {
			for g := range allowed(l.worker) {
				action, res, _ := strings.Cut(g, " ")
				switch {
				case strings.Contains(action, "*") || strings.HasSuffix(res, ":*") || res == "*":
					t.Errorf("WorkerRole: wildcard grant %s", g)
				case res == l.dlq && slices.Contains([]string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:PurgeQueue"}, action):
					t.Errorf("WorkerRole may %s on the DLQ: that is replay's lane", action)
				case strings.Contains(action, "MessageMoveTask"):
					t.Errorf("WorkerRole may %s: that is replay's lane", g)
				case res == l.queue && action == "sqs:SendMessage":
					t.Errorf("WorkerRole may send to its own queue: that is replay's lane")
				}
			}
		}
	})
	t.Run("operator policy replays and nothing else", func(t *testing.T) {
		got := allowed(def.replay)
		for _, g := range []string{
			"sqs:ReceiveMessage " + def.dlq, "sqs:DeleteMessage " + def.dlq, "sqs:ChangeMessageVisibility " + def.dlq,
			"sqs:GetQueueAttributes " + def.dlq, "sqs:StartMessageMoveTask " + def.dlq,
			"sqs:SendMessage " + def.queue, "sqs:GetQueueAttributes " + def.queue,
		} {
			if !got[g] {
				t.Errorf("ReplayPolicy lacks %s", g)
			}
		}
		for g := range got {
			action, res, _ := strings.Cut(g, " ")
			if !strings.HasPrefix(action, "sqs:") || (res != def.queue && res != def.dlq) {
				t.Errorf("ReplayPolicy may %s: replay needs the two queues only", g)
			}
			if res == def.queue && action != "sqs:SendMessage" && action != "sqs:GetQueueAttributes" {
				t.Errorf("ReplayPolicy may %s: replay only sends to the source queue", g)
			}
		}
		// Attached to no role of the stack: the operators attach it.
		if roles := get(def.s.resource("ReplayPolicy"), "Properties", "Roles"); roles != nil {
			t.Errorf("ReplayPolicy is attached to %v", roles)
		}
		for _, role := range def.s.ofType("AWS::IAM::Role") {
			for _, st := range def.s.grants(role) {
				if st.from == "ReplayPolicy" {
					t.Errorf("%s has the ReplayPolicy", role)
				}
			}
		}
	})
	t.Run("KMS rights only with a key", func(t *testing.T) {
		for _, l := range []lanes{def, kms} {
			for lane, sts := range map[string][]statement{"KedaRole": l.keda, "ReplayPolicy": l.replay} {
				for g := range allowed(sts) {
					if strings.HasPrefix(g, "kms:") {
						t.Errorf("%s may %s", lane, g)
					}
				}
			}
		}
		for g := range allowed(def.worker) {
			if strings.HasPrefix(g, "kms:") {
				t.Errorf("without KmsKeyArn, WorkerRole may %s", g)
			}
		}
		if got := str(def.s.resource("Bucket"), "Properties", "BucketEncryption", "ServerSideEncryptionConfiguration", 0, "ServerSideEncryptionByDefault", "SSEAlgorithm"); got != "AES256" {
			t.Errorf("without KmsKeyArn, bucket SSE %q, want AES256", got)
		}

		want := workerWants(kms)
		want["kms:Decrypt "+keyArn], want["kms:GenerateDataKey "+keyArn] = true, true
		if got := allowed(kms.worker); !maps.Equal(got, want) {
			t.Errorf("with KmsKeyArn, WorkerRole may\n  %s\nwant exactly\n  %s", strings.Join(keys(got), "\n  "), strings.Join(keys(want), "\n  "))
		}
		for _, st := range kms.worker {
			if slices.ContainsFunc(st.actions, func(a string) bool { return strings.HasPrefix(a, "kms:") }) {
				if got, want := str(st.condition, "StringEquals", "kms:ViaService"), "s3."+evalRegion+".amazonaws.com"; got != want {
					t.Errorf("%v: kms:ViaService %q, want %q: the key is for S3 only", st, got, want)
				}
			}
		}
		sse := dict(kms.s.resource("Bucket"), "Properties", "BucketEncryption", "ServerSideEncryptionConfiguration", 0)
		if str(sse, "ServerSideEncryptionByDefault", "SSEAlgorithm") != "aws:kms" || str(sse, "ServerSideEncryptionByDefault", "KMSMasterKeyID") != keyArn {
			t.Errorf("with KmsKeyArn, bucket SSE %v, want aws:kms with %s", sse, keyArn)
		}
	})
	t.Run("bucket and both queues deny requests without TLS", func(t *testing.T) {
		s := def.s
		// resource policies by what they protect
		protected := map[string][]statement{}
		for _, id := range s.ofType("AWS::S3::BucketPolicy") {
			b := str(s.resource(id), "Properties", "Bucket")
			protected["bucket "+b] = append(protected["bucket "+b], s.policyStatements(id)...)
		}
		for _, id := range s.ofType("AWS::SQS::QueuePolicy") {
			for _, q := range strings1(get(s.resource(id), "Properties", "Queues")) {
				protected["queue "+q] = append(protected["queue "+q], s.policyStatements(id)...)
			}
		}
		denies := func(sts []statement, service, arn string) bool {
			for _, st := range sts {
				if st.effect == "Deny" && fmt.Sprint(st.principal) == "*" &&
					slices.Contains(st.actions, service+":*") && slices.Contains(st.resources, arn) &&
					str(st.condition, "Bool", "aws:SecureTransport") == "false" {
					return true
				}
			}
			return false
		}
		for _, c := range []struct{ holder, service, arn string }{
			{"bucket " + def.bucket, "s3", def.bucketArn},
			{"bucket " + def.bucket, "s3", def.bucketArn + "/*"},
			{"queue " + s.name("Queue"), "sqs", def.queue},
			{"queue " + s.name("DeadLetterQueue"), "sqs", def.dlq},
		} {
			if !denies(protected[c.holder], c.service, c.arn) {
				t.Errorf("%s: no policy denies %s:* on %s when aws:SecureTransport is false", c.holder, c.service, c.arn)
			}
		}
		// The S3 notification grant survived next to the deny.
		if !allowed(protected["queue "+s.name("Queue")])["sqs:SendMessage "+def.queue] {
			t.Error("the source queue's policy no longer lets S3 send")
		}
	})
	t.Run("DLQ takes redrives from its source queue only", func(t *testing.T) {
		for _, q := range []string{"transcripts", "other-name"} {
			s := evalTemplate(t, map[string]string{"BucketName": "acme-transcripts", "OidcProviderArn": oidcArn, "QueueName": q})
			rap := dict(s.resource("DeadLetterQueue"), "Properties", "RedriveAllowPolicy")
			if got := str(rap, "redrivePermission"); got != "byQueue" {
				t.Errorf("QueueName=%s: RedriveAllowPolicy redrivePermission %q, want byQueue", q, got)
			}
			if got, want := strings1(get(rap, "sourceQueueArns")), []string{s.arn("Queue")}; !slices.Equal(got, want) {
				t.Errorf("QueueName=%s: RedriveAllowPolicy sourceQueueArns %v, want the source queue %v", q, got, want)
			}
			if got := str(s.resource("Queue"), "Properties", "RedrivePolicy", "deadLetterTargetArn"); got != s.arn("DeadLetterQueue") {
				t.Errorf("QueueName=%s: the queue dead-letters to %q, want %s", q, got, s.arn("DeadLetterQueue"))
			}
		}
	})
	t.Run("outputs name every lane", func(t *testing.T) {
		for _, o := range []string{"QueueUrl", "DeadLetterQueueUrl", "BucketName", "WorkerRoleArn", "KedaRoleArn", "ReplayPolicyArn"} {
			if get(def.s.tpl, "Outputs", o, "Value") == nil {
				t.Errorf("no output %s", o)
			}
		}
	})
}

const oidcArn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
