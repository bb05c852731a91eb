// Package worker owns what one queue message becomes: it parses the
// notification envelope (package worker/event), filters the records, reads
// each object (with If-Match on the event's ETag, and a size limit), has it
// summarized by a Summarizer backend (RunPod, an OpenAI-compatible API, the
// built-in extractive one), and writes the summary back to S3 with the
// metadata that makes a redelivered message cheap: a summary whose
// source-etag matches is not made again.
//
// GPU work is paid once: the RunPod jobs of a transcript version are
// journaled in S3 (JournalKey), each prompt claimed with a conditional write
// before its job is submitted, so every delivery of that version (a retry,
// another replica after a shutdown or a crash, a duplicate notification)
// waits for the same jobs. RunPodModel is the one place that submits,
// resubmits and cancels jobs; a job is cancelled only when its transcript is
// given up for good (ErrGiveUp: dead-lettered, superseded) or at its
// JOB_TIMEOUT. Summaries are written with conditional PUTs: once per
// version, never over a newer version's.
//
// The worker traces what its caller traces: its spans are children of the
// span in the context (the queue's delivery span), made with that span's
// TracerProvider, and cost nothing when there is none. Per record: "record"
// (aws.s3.bucket, aws.s3.key, summarizer.record.status: done, already_done,
// skipped, superseded or failed, with summarizer.why or the error), and
// under it "fetch" (etag, size), "summarize" (model, chunks, jobs), with a
// "map" span and one "reduce" span per merge level under it, and "store"
// (summarizer.output). Each model call of RunPodModel is one "runpod.job"
// span: runpod.job.id, .status, .source (submitted, or journal when an
// earlier delivery's job was resumed), .delay_time_ms and
// .execution_time_ms as RunPod reports them, .polls, .resubmits, and
// events for each job submitted, resumed or ended. Log lines about a record
// or a job carry trace_id and span_id. No span attribute holds a prompt,
// an API key or a presigned URL.
//
// Errors are classified once, where they happen, in the outcome vocabulary
// of package queue/outcome that the queue stores: S3 answers by
// worker/internal/s3x, RunPod's and the chat API's by their clients. The
// worker adds the permanent failures it finds itself (bad_message,
// bucket_not_allowed, not_found, too_large, bad_format) and asks
// outcome.GivenUp, the rule the queue also follows, before it cancels a
// transcript's jobs or deletes its journal. A record whose object changed
// since its event is StatusSuperseded. The package never
// knows where a message came from: it has no notion of SQS, receive counts
// or visibility; Delivery tells it what it needs (attempt, last attempt,
// whether the delivery still owns its message).
package worker
