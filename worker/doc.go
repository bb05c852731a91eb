// Package worker owns what one queue message becomes: it parses the
// notification envelope (package worker/event), filters the records, reads
// each object with a size limit, has it summarized by a Summarizer backend
// (RunPod, built-in extractive), and writes the summary back to S3 with the
// metadata that makes a redelivered message cheap: a summary whose
// source-etag matches is not made again.
//
// Errors are classified once, here: Permanent errors carry a Reason and can
// never succeed; IsConfigFault errors are deployment faults (credentials,
// access); everything else is transient. The package never knows where a
// message came from: it has no notion of SQS, receive counts or visibility.
package worker
