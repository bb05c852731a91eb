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
// Errors are classified once, here: Permanent errors carry a Reason and can
// never succeed; HoldCause names failures that are not the message's fault
// (configuration, throttling, outages: the caller holds the message);
// everything else is a transient failure of this message. A record whose
// object changed since its event is StatusSuperseded. The package never
// knows where a message came from: it has no notion of SQS, receive counts
// or visibility; Delivery tells it what it needs (attempt, last attempt,
// whether the delivery still owns its message).
package worker
