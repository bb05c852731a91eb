// Package queue owns the lease mechanics of an SQS consumer: a bounded pool of
// handler goroutines fed by one long-polling receive loop, a heartbeat that
// extends the visibility of every message in flight, batched deletes, the
// dead-letter queue and graceful shutdown.
//
// A message ends in exactly one outcome, decided by outcome.Decide (package
// queue/outcome, the vocabulary the worker classifies its errors in) from the
// error its Handler returns and whether the delivery is its last:
//
//   - nil: done, the message is deleted;
//   - an error from outcome.Skip: skipped, the message is deleted;
//   - an error from outcome.Supersede: superseded, the message is deleted;
//   - an error from outcome.Permanent: dead-lettered, the message is sent to
//     the DLQ with its reason and then deleted;
//   - an error from outcome.Hold: held, the failure is not the message's fault (a
//     configuration fault, throttling, an outage): the consumer keeps the
//     message, its lease extended and its receive count unchanged, pauses
//     receiving and calls the handler again after a backoff, until it
//     returns something else. A held message is never dead-lettered;
//   - any other error: retried, the message stays in the queue and becomes
//     visible again after a backoff that grows with its receive count; once
//     the receive count reaches MaxReceives it is dead-lettered with reason
//     retries_exhausted.
//
// Visibility is a lease. A message whose lease runs out before it could be
// extended (a frozen process), or whose receipt SQS reports gone, is lost:
// its handler's context is cancelled with cause ErrLeaseLost, Message.LeaseErr
// reports it, and the consumer stores no outcome for it (no delete, no
// release, no dead letter): another consumer may own it now.
//
// Nothing is deleted from the source queue before its outcome is stored: a
// done message is deleted only after the handler returned, a dead-lettered
// one only after the DLQ accepted it.
//
// On shutdown, no receive starts any more. A long poll under way is let
// finish (SQS would go on serving it, and hide the messages it delivers
// to nobody for the visibility timeout; its wait is never longer than
// ShutdownTimeout): what it brings is handed back at once (visibility 0),
// to no handler. Work in flight has ShutdownTimeout
// to finish, is then cancelled with cause ErrShutdown, and its messages
// are released (visibility 0) for another consumer; pending deletes are
// flushed.
//
// Each delivery of a message is traced when Config.TracerProvider is set:
// one span, "process QUEUE_NAME" (kind consumer, a new trace, from the
// receive until the outcome is stored), carries the messaging attributes
// (messaging.system aws_sqs, messaging.destination.name,
// messaging.message.id), summarizer.receive_count, the outcome
// (summarizer.outcome: done, skipped, superseded, dead_lettered, retried,
// released or lease_lost; summarizer.reason for a dead letter) and a status:
// Ok for the outcomes that finish the message, Error with the cause for the
// others. Holds and a lost lease are span events. The handler's context
// carries the span, so the handler's own spans are its children, and the
// consumer's log lines about a message carry its trace_id and span_id.
//
// The package never looks inside a message body: it knows nothing about S3,
// RunPod or what a message means. It retries a handler itself only for a
// hold; any other retry is a redelivery by SQS.
package queue
