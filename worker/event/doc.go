// Package event turns the body of one SQS message into the S3 objects it is
// about.
//
// It owns the three shapes a bucket notification can arrive in and nothing
// else:
//
//   - an S3 event notification ({"Records":[...]}, eventVersion 2.x), sent
//     by S3 straight to the queue, or the s3:TestEvent S3 sends when the
//     notification is configured;
//   - the same wrapped in an SNS notification delivered to SQS without raw
//     message delivery ({"Type":"Notification","Message":"<JSON string>"}),
//     one level deep;
//   - an EventBridge event from source "aws.s3" ("Object Created", and the
//     other S3 detail-types, which callers skip).
//
// Parse reports what the message says: the records in message order, with
// each object key decoded (see DecodeKey), and whether it is a test event.
// A non-nil error from Parse means the body can never be processed, however
// often it is retried; its text is short and never quotes more than a few
// dozen bytes of the body, so it can travel as a dead-letter reason.
//
// Key encoding. S3 event notifications carry the object key URL-encoded the
// way HTML forms are ("red flower.jpg" arrives as "red+flower.jpg", a '+' as
// "%2B"), as the S3 user guide's "Event message structure" page says
// (docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
// The "EventBridge event message structure" page
// (docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html) documents no
// such encoding, and EventBridge events seen in the wild carry keys with
// literal ':' and '/' that a notification would send as %3A. EventBridge keys
// are therefore taken as they are: Record.Key equals Record.RawKey.
//
// This package never talks to AWS, never reads or writes objects, and never
// decides what happens to a message: filtering by bucket, prefix or suffix,
// skipping test events and non-creation records, deleting and dead-lettering
// are the caller's. It holds no state and is safe for concurrent use.
package event
