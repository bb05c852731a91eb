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
//   - an error from Permanent: dead-lettered, the message is sent to the DLQ
//     with its reason and then deleted;
//   - any other error: retried, the message stays in the queue and becomes
//     visible again after a backoff that grows with its receive count; once
//     the receive count reaches MaxReceives it is dead-lettered with reason
//     retries_exhausted, unless the error came from ConfigFault, which is
//     never dead-lettered.
//
// Nothing is deleted from the source queue before its outcome is stored: a
// done message is deleted only after the handler returned, a dead-lettered
// one only after the DLQ accepted it.
//
// The package never looks inside a message body: it knows nothing about S3,
// RunPod or what a message means. It never retries a handler itself; a retry
// is a redelivery by SQS.
package queue
