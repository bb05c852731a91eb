package event_test

import (
	"fmt"

	"github.com/summarizer/summarizer/worker/event"
)

func ExampleParse() {
	body := []byte(`{"Records":[{
		"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-1",
		"eventTime":"2024-05-01T09:30:12.345Z","eventName":"ObjectCreated:Put",
		"s3":{"bucket":{"name":"acme-transcripts"},
		      "object":{"key":"inbox/caf%C3%A9+notes%2Fday+1%2B2.txt","size":4821,
		                "eTag":"9b2cf535f27731c974343645a3985328"}}}]}`)

	env, err := event.Parse(body)
	if err != nil {
		fmt.Println("dead-letter (bad_message):", err)
		return
	}
	if env.TestEvent {
		fmt.Println("skip: test event")
		return
	}
	for _, r := range env.Records {
		if !r.Created() {
			fmt.Println("skip:", r.EventName)
			continue
		}
		fmt.Printf("%s from %s: s3://%s/%s (%d bytes)\n", env.Source, r.EventName, r.Bucket, r.Key, r.Size)
	}

	_, err = event.Parse([]byte(`{"Records":[]}`))
	fmt.Println("dead-letter (bad_message):", err)
	// Output:
	// s3 from ObjectCreated:Put: s3://acme-transcripts/inbox/café notes/day 1+2.txt (4821 bytes)
	// dead-letter (bad_message): S3 event has no records
}

func ExampleDecodeKey() {
	key, err := event.DecodeKey("transcripts/team+standup+%281%29%2B%C3%BCbersicht.txt")
	fmt.Println(key, err)
	_, err = event.DecodeKey("notes%zz.txt")
	fmt.Println(err)
	// Output:
	// transcripts/team standup (1)+übersicht.txt <nil>
	// object key "notes%zz.txt": invalid URL escape "%zz"
}
