// Package backend owns what makes a summary: the Summarizer a worker calls
// for one transcript, and the backends behind it. A Model answers one
// prompt (RunPod Serverless jobs, journaled so that each is paid once, with
// their admission, resubmission and cancellation rules; or an
// OpenAI-compatible chat API); URLMode sends a presigned URL instead of text; Extractive is the
// built-in summarizer. Map-reduce over a Model is package mapreduce.
//
// Optional capabilities are interfaces in the open: an Abandoner cancels the
// backend jobs of a transcript given up for good; an ObjectReader reads the
// object itself, so the worker only checks it with HEAD.
//
// Errors reach the caller classified in the outcome vocabulary
// (queue/outcome) by the client that met them. A backend never decides
// whether a transcript is given up: the caller says so by cancelling the
// context with cause ErrGiveUp (outcome.GivenUp decides).
package backend
