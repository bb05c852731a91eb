// Package deploy holds no code that ships: it owns the tests of the
// deployment files, which sit beside it.
//
//   - kubernetes/ (Deployment, ConfigMap, ServiceAccount, KEDA ScaledObject
//     and TriggerAuthentication, PodDisruptionBudget, kustomization):
//     manifests_test.go checks the invariants between them and with the
//     Dockerfile (grace period vs SHUTDOWN_TIMEOUT, queueLength vs
//     CONCURRENCY, probes on the metrics port, secrets only by reference,
//     non-root read-only container, every file listed, KEDA on its own
//     role, one AWS account, ALLOWED_BUCKETS set, pprof on loopback);
//     memory_test.go checks that GOMEMLIMIT, MAX_INFLIGHT_BYTES and
//     MAX_OBJECT_BYTES follow the container's memory limit.
//   - cloudformation.yaml (bucket, queue, dead-letter queue, TLS-only
//     bucket and queue policies, and three IAM lanes: the worker's IRSA
//     role, KEDA's read-only role, the operators' replay policy; optional
//     KMS key): lanes_test.go evaluates the template (cfneval_test.go, a
//     small CloudFormation evaluator) and checks each lane as ARNs, with
//     and without a KMS key; cloudformation_test.go creates the stack in a
//     moto server, reads the deployed roles and policies back
//     (iam_moto_test.go), runs the real `summarizer run` binary against it
//     and waits for a transcript's summary.
//   - prometheus/ (rules.yml: recording and alerting rules, the source;
//     prometheusrule.yaml generated from it for the Prometheus Operator;
//     podmonitor.yaml; rules_test.yml; README.md, the runbook):
//     prometheus_test.go runs promtool check rules and promtool test rules,
//     checks that every alert has a runbook, a firing and a healthy test, and
//     that prometheusrule.yaml is what rules.yml generates (-update rewrites
//     it).
//   - grafana/summarizer.json: grafana_test.go checks the dashboard's shape
//     and that promtool parses every query.
//   - observability_test.go: a real Prometheus server scrapes two real
//     workers running against moto and the RunPod emulator (one with a wrong
//     RunPod key) with rules.yml loaded, shows the not-ready, held and
//     dead-letter alerts firing, and runs every dashboard query.
//
// The local moto stack itself is package deploy/localstack. These tests never
// talk to real AWS, and never need cfn-lint, kubectl, Docker or Grafana;
// promtool and prometheus come from Debian's prometheus package (make
// promtool), and the tests that need them skip without them unless CI=true.
package deploy
