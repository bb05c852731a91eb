// Package queue owns the lease mechanics of an SQS consumer: a bounded pool of
// handler goroutines fed by one long-polling receive loop, a heartbeat that
// extends the visibility of every message in flight, batched deletes, the
// dead-letter queue and graceful shutdown.
//
// A message ends in exactly one outcome, decided from the error its Handler
// returns:
//
//   - nil: done, the message is deleted;
//   - an error wrapping ErrSkip: skipped, the message is deleted;
//   - an error wrapping ErrSuperseded: superseded, the message is deleted;
//   - an error from Permanent: dead-lettered, the message is sent to the DLQ
//     with its reason and then deleted;
//   - an error from Hold: held, the failure is not the message's fault (a
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
// On shutdown, receiving stops at once; work in flight has ShutdownTimeout
// to finish, is then cancelled with cause ErrShutdown, and its messages are
// released (visibility 0) for another consumer; pending deletes are flushed.
//
// The package never looks inside a message body: it knows nothing about S3,
// RunPod or what a message means. It retries a handler itself only for a
// hold; any other retry is a redelivery by SQS.
package queue
