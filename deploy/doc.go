// Package deploy holds no code that ships: it owns the tests of the
// deployment files, which sit beside it.
//
//   - kubernetes/ (Deployment, ConfigMap, ServiceAccount, KEDA ScaledObject
//     and TriggerAuthentication, PodDisruptionBudget, kustomization):
//     manifests_test.go checks the invariants between them and with the
//     Dockerfile (grace period vs SHUTDOWN_TIMEOUT, queueLength vs
//     CONCURRENCY, probes on the metrics port, secrets only by reference,
//     non-root read-only container, every file listed).
//   - cloudformation.yaml (bucket, queue, dead-letter queue, queue policy,
//     IRSA worker role): cloudformation_test.go creates the stack in a moto
//     server, runs the real `summarizer run` binary against it and waits for
//     a transcript's summary.
//
// The local moto stack itself is package deploy/localstack. These tests never
// talk to real AWS, and never need cfn-lint, kubectl or Docker.
package deploy
