// Package worker handles one queue message: it parses the notification
// envelope (package worker/event), filters the records, reads each object
// (with If-Match on the event's ETag, and a size limit), has it summarized
// by a backend.Summarizer, and writes the summary back to S3 with the
// metadata that makes a redelivered message cheap: a summary whose source
// matches is not made again. Summaries are written with conditional PUTs:
// once per version, never over a newer version's.
//
// A record whose recording has a richer transcript (Whisper's standup.txt
// beside standup.json) is skipped: SIBLINGS=richest, the rule of package
// worker/sibling, one listing per record, made while the object and the
// existing summary are read (a poorer sibling wastes one GET, every other
// record saves the listing's round trip). Object bytes
// in memory are admitted against MaxInflightBytes by what they hold, a
// gzipped object by its inflated size too (fetchObject).
//
// The packages below it each own one concept:
//
//   - worker/event: S3, SNS and EventBridge envelopes;
//   - worker/sibling: which transcripts of one recording are summarized;
//   - worker/transcript: formats (SRT, WebVTT, Transcribe and Whisper JSON,
//     gzip) into plain text;
//   - worker/journal: the job journal that makes GPU work paid once (claim,
//     record, takeover, and its timing rule);
//   - worker/mapreduce: chunking a transcript to the model's budget and
//     merging the partial summaries;
//   - worker/backend: the Summarizer and Model interfaces and the backends
//     (RunPod jobs with resubmission, OpenAI-compatible chat, URL mode, the
//     built-in extractive one), with their metrics and spans;
//   - worker/runpod and worker/openai: the HTTP clients, which classify
//     their own errors.
//
// GPU work is paid once: the jobs of a transcript version are journaled in
// S3 (journal.Key), each prompt claimed with a conditional write before its
// job is submitted, so every delivery of that version (a retry, another
// replica after a shutdown or a crash, a duplicate notification) waits for
// the same jobs. A job is cancelled only when its transcript is given up for
// good (outcome.GivenUp: dead-lettered, superseded) or at the end of its
// budget at RunPod (JOB_TIMEOUT of execution, JOB_TTL unstarted); never for
// waiting in RunPod's queue. Jobs take a place in the RunPod client's
// admission window before they are submitted, so a burst waits in the
// queue the message came from, not in RunPod's.
//
// Errors are classified once, where they happen, in the outcome vocabulary
// of package queue/outcome that the queue stores: S3 answers by
// worker/internal/s3x, RunPod's and the chat API's by their clients. The
// worker adds the permanent failures it finds itself (bad_message,
// bucket_not_allowed, not_found, too_large, bad_format) and asks
// outcome.GivenUp, the rule the queue also follows, before it cancels a
// transcript's jobs or deletes its journal. A record whose object changed
// since its event is StatusSuperseded.
//
// The worker traces what its caller traces: its spans are children of the
// span in the context (the queue's delivery span). Per record: "record"
// (aws.s3.bucket, aws.s3.key, summarizer.record.status), and under it
// "fetch", "summarize" (with "map", "reduce" and one "runpod.job" per model
// call below it) and "store". No span attribute holds a prompt, an API key
// or a presigned URL.
//
// The package never knows where a message came from: it has no notion of
// SQS, receive counts or visibility; Delivery tells it what it needs
// (attempt, last attempt, whether the delivery still owns its message).
package worker
