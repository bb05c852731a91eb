// Package worker owns what one queue message becomes: it parses the
// notification envelope (package worker/event), filters the records, reads
// each object with a size limit, has it summarized by a Summarizer backend
// (RunPod, built-in extractive), and writes the summary back to S3 with the
// metadata that makes a redelivered message cheap: a summary whose
// source-etag matches is not made again.
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
// Errors are classified once, here: Permanent errors carry a Reason and can
// never succeed; IsConfigFault errors are deployment faults (credentials,
// access); everything else is transient. The package never knows where a
// message came from: it has no notion of SQS, receive counts or visibility.
package worker
