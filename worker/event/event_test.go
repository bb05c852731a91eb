package event_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/event"
)

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatalf("read fixture: %v", err)
	}
	return b
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file        string
		want        event.Envelope
		wantCreated []bool
	}{
		{
			file: "s3_put.json",
			want: event.Envelope{Source: event.SourceS3, Records: []event.Record{{
				Bucket:    "acme-transcripts",
				Key:       "transcripts/2024-05-01/team standup (final).txt",
				RawKey:    "transcripts/2024-05-01/team+standup+%28final%29.txt",
				Size:      48213,
				ETag:      "9b2cf535f27731c974343645a3985328",
				EventName: "ObjectCreated:Put",
				EventTime: ts("2024-05-01T09:30:12.345Z"),
			}}},
			wantCreated: []bool{true},
		},
		{
			file: "s3_two_records.json",
			want: event.Envelope{Source: event.SourceS3, Records: []event.Record{
				{
					Bucket:    "acme-transcripts",
					Key:       "meetings/q1/kickoff.txt",
					RawKey:    "meetings/q1/kickoff.txt",
					Size:      1204,
					ETag:      "d41d8cd98f00b204e9800998ecf8427e",
					EventName: "ObjectCreated:Put",
					EventTime: ts("2024-05-02T14:00:01.002Z"),
				},
				{
					Bucket:    "acme-transcripts",
					Key:       "meetings/q1/café notes/day 1+2.txt",
					RawKey:    "meetings/q1/caf%C3%A9+notes%2Fday+1%2B2.txt",
					Size:      15728640,
					ETag:      "4af981f98d22a0b9979da24b259e5e42-3",
					VersionID: "uhggCJ2_B6gU2JaXWXebnXFDstO0ID6G",
					EventName: "ObjectCreated:CompleteMultipartUpload",
					EventTime: ts("2024-05-02T14:00:03.990Z"),
				},
			}},
			wantCreated: []bool{true, true},
		},
		{
			file: "s3_removed.json",
			want: event.Envelope{Source: event.SourceS3, Records: []event.Record{{
				Bucket:    "acme-transcripts",
				Key:       "transcripts/old/2023 retro.txt",
				RawKey:    "transcripts/old/2023+retro.txt",
				EventName: "ObjectRemoved:Delete",
				EventTime: ts("2024-05-03T08:15:00Z"),
			}}},
			wantCreated: []bool{false},
		},
		{
			file: "s3_test_event.json",
			want: event.Envelope{Source: event.SourceS3, TestEvent: true},
		},
		{
			file: "sns_s3_put.json",
			want: event.Envelope{Source: event.SourceSNS, Records: []event.Record{{
				Bucket:    "acme-transcripts",
				Key:       "inbox/会议记录 №3.txt",
				RawKey:    "inbox/%E4%BC%9A%E8%AE%AE%E8%AE%B0%E5%BD%95+%E2%84%963.txt",
				Size:      9876,
				ETag:      "f31d8546bb67845b4d3048cde533b937",
				EventName: "ObjectCreated:Put",
				EventTime: ts("2024-05-01T09:30:12.345Z"),
			}}},
			wantCreated: []bool{true},
		},
		{
			file: "sns_test_event.json",
			want: event.Envelope{Source: event.SourceSNS, TestEvent: true},
		},
		{
			file: "eventbridge_created.json",
			want: event.Envelope{Source: event.SourceEventBridge, Records: []event.Record{{
				Bucket: "acme-transcripts",
				// Not URL-encoded: the '+' is a plus, spaces are spaces.
				Key:       "transcripts/2024-05-01/team standup (final)+notes.txt",
				RawKey:    "transcripts/2024-05-01/team standup (final)+notes.txt",
				Size:      48213,
				ETag:      "b1946ac92492d2347c6235b4d2611184",
				VersionID: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
				EventName: "Object Created",
				EventTime: ts("2024-05-01T09:30:12Z"),
			}}},
			wantCreated: []bool{true},
		},
		{
			file: "eventbridge_deleted.json",
			want: event.Envelope{Source: event.SourceEventBridge, Records: []event.Record{{
				Bucket:    "acme-transcripts",
				Key:       "transcripts/2024-05-01/old.txt",
				RawKey:    "transcripts/2024-05-01/old.txt",
				ETag:      "d41d8cd98f00b204e9800998ecf8427e",
				VersionID: "1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF",
				EventName: "Object Deleted",
				EventTime: ts("2024-05-01T09:30:12Z"),
			}}},
			wantCreated: []bool{false},
		},
		{
			file: "moto_put.json",
			want: event.Envelope{Source: event.SourceS3, Records: []event.Record{{
				Bucket:    "local-transcripts",
				Key:       "uploads/2024/weekly sync+übersicht.txt",
				RawKey:    "uploads%2F2024%2Fweekly+sync%2B%C3%BCbersicht.txt",
				Size:      321,
				ETag:      "0cdef8885755dff42b6fbd91732ae506",
				EventName: "ObjectCreated:Put",
				EventTime: ts("2024-05-04T11:22:33Z"),
			}}},
			wantCreated: []bool{true},
		},
		{
			file: "minio_put.json",
			want: event.Envelope{Source: event.SourceS3, Records: []event.Record{{
				Bucket:    "acme-transcripts",
				Key:       "calls/2024/05/call-0412.vtt",
				RawKey:    "calls%2F2024%2F05%2Fcall-0412.vtt",
				Size:      20480,
				ETag:      "b7ce786cd89b182bfd5ae765557bbc37",
				EventName: "s3:ObjectCreated:Put",
				EventTime: ts("2024-05-05T07:34:32.118Z"),
			}}},
			wantCreated: []bool{true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			got, err := event.Parse(readFixture(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, tt.want)
			}
			if len(got.Records) != len(tt.wantCreated) {
				t.Fatalf("got %d records, want %d", len(got.Records), len(tt.wantCreated))
			}
			for i, r := range got.Records {
				if r.Created() != tt.wantCreated[i] {
					t.Errorf("record %d (%q): Created() = %v, want %v", i, r.EventName, r.Created(), tt.wantCreated[i])
				}
			}
		})
	}
}

// s3Body builds a minimal S3 event notification with one record per key.
func s3Body(version, name string, keys ...string) string {
	var recs []string
	for _, k := range keys {
		recs = append(recs, fmt.Sprintf(
			`{"eventVersion":%q,"eventSource":"aws:s3","eventTime":"2024-05-01T00:00:00.000Z","eventName":%q,`+
				`"s3":{"bucket":{"name":"bkt"},"object":{"key":%q,"size":1,"eTag":"e"}}}`, version, name, k))
	}
	return `{"Records":[` + strings.Join(recs, ",") + `]}`
}

// snsBody wraps message as an SNS notification's Message.
func snsBody(message string) string {
	m, err := json.Marshal(message)
	if err != nil {
		panic(err)
	}
	return `{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:eu-west-1:1:t","Message":` + string(m) + `}`
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, want string
	}{
		{"plain", "a/b/c.txt", "a/b/c.txt"},
		{"spaces", "my+meeting+notes.txt", "my meeting notes.txt"},
		{"plus", "c%2B%2B+tips.txt", "c++ tips.txt"},
		{"encoded slash", "caf%C3%A9+notes%2Fday+1%2B2.txt", "café notes/day 1+2.txt"},
		{"moto-style slashes", "in%2F2024%2F05%2Fa.txt", "in/2024/05/a.txt"},
		{"nested prefixes", "a/b/c/d/e/f/g.srt", "a/b/c/d/e/f/g.srt"},
		{"unicode", "%E6%97%A5%E6%9C%AC%E8%AA%9E/%F0%9F%8E%99%EF%B8%8F.vtt", "日本語/🎙️.vtt"},
		{"percent itself", "100%25+done.txt", "100% done.txt"},
		{"reserved", "q%3F%26%3D%23%3A.json", "q?&=#:.json"},
		{"space as %20", "a%20b.txt", "a b.txt"},
		{"literal unicode", "ä/ö.txt", "ä/ö.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := event.Parse([]byte(s3Body("2.1", "ObjectCreated:Put", tt.raw)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			r := env.Records[0]
			if r.Key != tt.want || r.RawKey != tt.raw {
				t.Errorf("Key, RawKey = %q, %q; want %q, %q", r.Key, r.RawKey, tt.want, tt.raw)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		body        string
		wantSource  event.Source
		wantRecords int
		check       func(t *testing.T, env event.Envelope)
	}{
		{
			name:        "eventVersion 2.2",
			body:        s3Body("2.2", "ObjectCreated:Copy", "a.txt"),
			wantSource:  event.SourceS3,
			wantRecords: 1,
		},
		{
			name:        "eventVersion 2.3 and later minors",
			body:        s3Body("2.10", "ObjectCreated:Put", "a.txt"),
			wantSource:  event.SourceS3,
			wantRecords: 1,
		},
		{
			name:        "eventVersion 2 with no minor",
			body:        s3Body("2", "ObjectCreated:Put", "a.txt"),
			wantSource:  event.SourceS3,
			wantRecords: 1,
		},
		{
			name:        "unknown eventName is returned, not created",
			body:        s3Body("2.3", "LifecycleTransition", "a.txt"),
			wantSource:  event.SourceS3,
			wantRecords: 1,
			check: func(t *testing.T, env event.Envelope) {
				if env.Records[0].Created() {
					t.Error("Created() = true for LifecycleTransition")
				}
			},
		},
		{
			name:        "records keep message order",
			body:        s3Body("2.1", "ObjectCreated:Put", "1.txt", "2.txt", "3.txt"),
			wantSource:  event.SourceS3,
			wantRecords: 3,
			check: func(t *testing.T, env event.Envelope) {
				for i, r := range env.Records {
					if want := fmt.Sprintf("%d.txt", i+1); r.Key != want {
						t.Errorf("record %d key %q, want %q", i, r.Key, want)
					}
				}
			},
		},
		{
			name:        "SNS with several records",
			body:        snsBody(s3Body("2.1", "ObjectCreated:Post", "x+y.txt", "z.txt")),
			wantSource:  event.SourceSNS,
			wantRecords: 2,
			check: func(t *testing.T, env event.Envelope) {
				if env.Records[0].Key != "x y.txt" {
					t.Errorf("key %q, want decoded %q", env.Records[0].Key, "x y.txt")
				}
			},
		},
		{
			name:        "unparseable eventTime is zero",
			body:        `{"Records":[{"eventVersion":"2.1","eventTime":"yesterday","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"bkt"},"object":{"key":"k"}}}]}`,
			wantSource:  event.SourceS3,
			wantRecords: 1,
			check: func(t *testing.T, env event.Envelope) {
				if !env.Records[0].EventTime.IsZero() {
					t.Errorf("EventTime = %v, want zero", env.Records[0].EventTime)
				}
			},
		},
		{
			name:        "eventTime of the wrong type is zero",
			body:        `{"Records":[{"eventVersion":"2.1","eventTime":12,"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"bkt"},"object":{"key":"k"}}}]}`,
			wantSource:  event.SourceS3,
			wantRecords: 1,
		},
		{
			name:        "null versionId and size",
			body:        `{"Records":[{"eventVersion":"2.1","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"bkt"},"object":{"key":"k","size":null,"versionId":null}}}]}`,
			wantSource:  event.SourceS3,
			wantRecords: 1,
		},
		{
			name:        "EventBridge inside SNS",
			body:        snsBody(string(readFixture(t, "eventbridge_created.json"))),
			wantSource:  event.SourceSNS,
			wantRecords: 1,
		},
		{
			name:        "surrounding whitespace",
			body:        "\n\t " + s3Body("2.1", "ObjectCreated:Put", "k") + "\r\n",
			wantSource:  event.SourceS3,
			wantRecords: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := event.Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if env.Source != tt.wantSource || len(env.Records) != tt.wantRecords || env.TestEvent {
				t.Fatalf("got source %q, %d records, test %v; want %q, %d, false",
					env.Source, len(env.Records), env.TestEvent, tt.wantSource, tt.wantRecords)
			}
			if tt.check != nil {
				tt.check(t, env)
			}
		})
	}
}

// errorBodies are bodies Parse must refuse, with a fragment of the error text.
var errorBodies = []struct {
	name, body, wantErr string
}{
	{"empty", "", "empty message body"},
	{"blank", " \n\t", "empty message body"},
	{"not JSON", "hello, world", "invalid JSON"},
	{"XML", "<Event>s3:TestEvent</Event>", "invalid JSON"},
	{"truncated", s3Body("2.1", "ObjectCreated:Put", "a.txt")[:90], "invalid JSON"},
	{"trailing garbage", s3Body("2.1", "ObjectCreated:Put", "a.txt") + "}", "invalid JSON"},
	{"two documents", s3Body("2.1", "ObjectCreated:Put", "a.txt") + s3Body("2.1", "ObjectCreated:Put", "b.txt"), "invalid JSON"},
	{"array", "[]", "JSON array, not an object"},
	{"string", `"Records"`, "JSON string, not an object"},
	{"number", `42`, "not an object"},
	{"null", "null", "JSON null, not an object"},
	{"empty object", "{}", "unrecognized message (empty object)"},
	{"unknown shape", `{"hello":"world","foo":[1]}`, `unrecognized message (keys: "foo", "hello")`},
	{"case matters", `{"records":[]}`, "unrecognized message"},
	{"no records", `{"Records":[]}`, "no records"},
	{"null records", `{"Records":null}`, "no records"},
	{"records object", `{"Records":{}}`, "Records is a JSON object, want array"},
	{"record not object", `{"Records":[1]}`, "record 0: the record is a JSON number, want object"},
	{"record null", `{"Records":[null]}`, "record 0: missing eventVersion"},
	{"missing eventVersion", `{"Records":[{"s3":{"bucket":{"name":"bkt"},"object":{"key":"k"}}}]}`, "missing eventVersion"},
	{"eventVersion 1", s3Body("1.0", "ObjectCreated:Put", "k"), `unsupported eventVersion "1.0"`},
	{"eventVersion 3", s3Body("3.0", "ObjectCreated:Put", "k"), `unsupported eventVersion "3.0"`},
	{"eventVersion 20", s3Body("20.1", "ObjectCreated:Put", "k"), "unsupported eventVersion"},
	{"eventVersion empty", s3Body("", "ObjectCreated:Put", "k"), "unsupported eventVersion"},
	{"eventVersion junk minor", s3Body("2.x", "ObjectCreated:Put", "k"), "unsupported eventVersion"},
	{"eventVersion trailing dot", s3Body("2.", "ObjectCreated:Put", "k"), "unsupported eventVersion"},
	{"eventVersion number", `{"Records":[{"eventVersion":2.1,"s3":{"bucket":{"name":"bkt"},"object":{"key":"k"}}}]}`, "record 0: eventVersion is a JSON number, want string"},
	{"missing s3", `{"Records":[{"eventVersion":"2.1","eventName":"ObjectCreated:Put"}]}`, "missing s3"},
	{"missing bucket name", `{"Records":[{"eventVersion":"2.1","s3":{"bucket":{},"object":{"key":"k"}}}]}`, "missing s3.bucket.name"},
	{"missing key", `{"Records":[{"eventVersion":"2.1","s3":{"bucket":{"name":"bkt"},"object":{"size":3}}}]}`, "missing s3.object.key"},
	{"empty key", s3Body("2.1", "ObjectCreated:Put", ""), "missing s3.object.key"},
	{"second record bad", s3Body("2.1", "ObjectCreated:Put", "ok.txt", "bad%zz.txt"), "record 1: object key"},
	{"size as string", `{"Records":[{"eventVersion":"2.1","s3":{"bucket":{"name":"bkt"},"object":{"key":"k","size":"12"}}}]}`, "record 0: s3.object.size is a JSON string, want integer"},
	{"size fractional", `{"Records":[{"eventVersion":"2.1","s3":{"bucket":{"name":"bkt"},"object":{"key":"k","size":12.5}}}]}`, "size is a JSON number 12.5, want integer"},
	{"bucket ARN", `{"Records":[{"eventVersion":"2.1","s3":{"bucket":{"name":"arn:aws:s3:::other-account-bucket"},"object":{"key":"k"}}}]}`, "only lowercase letters"},
	{"bucket path", `{"Records":[{"eventVersion":"2.1","s3":{"bucket":{"name":"bkt/../x"},"object":{"key":"k"}}}]}`, "only lowercase letters"},
	{"bucket IP", `{"Records":[{"eventVersion":"2.1","s3":{"bucket":{"name":"192.168.1.1"},"object":{"key":"k"}}}]}`, "is not valid"},
	{"size negative", `{"Records":[{"eventVersion":"2.1","s3":{"bucket":{"name":"bkt"},"object":{"key":"k","size":-1}}}]}`, "negative s3.object.size"},
	{"size overflow", `{"Records":[{"eventVersion":"2.1","s3":{"bucket":{"name":"bkt"},"object":{"key":"k","size":99999999999999999999}}}]}`, "want integer"},
	{"key as number", `{"Records":[{"eventVersion":"2.1","s3":{"bucket":{"name":"bkt"},"object":{"key":7}}}]}`, "record 0: s3.object.key is a JSON number, want string"},
	{"bad escape", s3Body("2.1", "ObjectCreated:Put", "notes%zz.txt"), `invalid URL escape "%zz"`},
	{"trailing percent", s3Body("2.1", "ObjectCreated:Put", "notes.txt%"), `invalid URL escape "%"`},
	{"short escape", s3Body("2.1", "ObjectCreated:Put", "notes%4.txt"), "invalid URL escape"},
	{"invalid UTF-8 key", s3Body("2.1", "ObjectCreated:Put", "caf%C3%28.txt"), "not valid UTF-8"},
	{"lone continuation byte", s3Body("2.1", "ObjectCreated:Put", "%80.txt"), "not valid UTF-8"},
	{"SNS Message object", `{"Type":"Notification","Message":{"Records":[]}}`, "SNS Message is a JSON object, want string"},
	{"SNS Message number", `{"Type":"Notification","Message":5}`, "SNS Message is a JSON number, want string"},
	{"SNS Message null", `{"Type":"Notification","Message":null}`, "SNS notification has an empty Message"},
	{"SNS Message empty", snsBody(""), "SNS notification has an empty Message"},
	{"SNS Message blank", snsBody("  "), "SNS notification has an empty Message"},
	{"SNS Message missing", `{"Type":"Notification","MessageId":"m"}`, "SNS notification has no Message"},
	{"SNS Message not JSON", snsBody("Hello world!"), "SNS Message: invalid JSON"},
	{"SNS Message array", snsBody("[1,2]"), "SNS Message: message is a JSON array"},
	{"SNS Message unknown", snsBody(`{"greeting":"hi"}`), "SNS Message: unrecognized message"},
	{"SNS inner no records", snsBody(`{"Records":[]}`), "SNS Message: S3 event has no records"},
	{"SNS inner bad key", snsBody(s3Body("2.1", "ObjectCreated:Put", "%zz")), "SNS Message: record 0: object key"},
	{"SNS inside SNS", snsBody(snsBody(s3Body("2.1", "ObjectCreated:Put", "k"))), "SNS notification inside an SNS notification"},
	{"SNS subscription confirmation", `{"Type":"SubscriptionConfirmation","Token":"t","SubscribeURL":"https://sns.example/"}`, `SNS message of type "SubscriptionConfirmation"`},
	{"SNS type not string", `{"Type":1,"Message":"{}"}`, "SNS Type is a JSON number, want string"},
	{"other S3 Event", `{"Service":"Amazon S3","Event":"s3:Other"}`, `unsupported S3 message Event "s3:Other"`},
	{"Event not string", `{"Service":"Amazon S3","Event":true}`, "Event is a JSON bool, want string"},
	{"EventBridge other source", `{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}`, `EventBridge event from source "aws.ec2"`},
	{"EventBridge no source", `{"detail-type":"Object Created","detail":{"bucket":{"name":"bkt"},"object":{"key":"k"}}}`, `EventBridge event from source ""`},
	{"EventBridge no detail-type", `{"source":"aws.s3","detail":{"bucket":{"name":"bkt"},"object":{"key":"k"}}}`, "no detail-type"},
	{"EventBridge no detail", `{"detail-type":"Object Created","source":"aws.s3"}`, "EventBridge event has no detail"},
	{"EventBridge no bucket", `{"detail-type":"Object Created","source":"aws.s3","detail":{"object":{"key":"k"}}}`, "missing detail.bucket.name"},
	{"EventBridge no key", `{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"bkt"},"object":{}}}`, "missing detail.object.key"},
	{"EventBridge size string", `{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"bkt"},"object":{"key":"k","size":"5"}}}`, "EventBridge event: detail.object.size is a JSON string, want integer"},
	{"EventBridge size negative", `{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"bkt"},"object":{"key":"k","size":-5}}}`, "negative detail.object.size"},
	{"EventBridge CloudTrail event", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":{"eventName":"PutObject","requestParameters":{"bucketName":"b","key":"k"}}}`, "missing detail.bucket.name"},
	{"deep nesting", strings.Repeat("[", 100000) + strings.Repeat("]", 100000), "invalid JSON"},
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range errorBodies {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := event.Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want error containing %q", env, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if len(err.Error()) > 200 {
				t.Errorf("error text is %d bytes, want it brief: %q", len(err.Error()), err)
			}
			if !reflect.DeepEqual(env, event.Envelope{}) {
				t.Errorf("Parse returned %+v with its error, want the zero Envelope", env)
			}
		})
	}
}

func TestParseErrorsWrapJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		target any
	}{
		{"syntax", `{"Records":[`, new(*json.SyntaxError)},
		{"type", `{"Records":[{"eventVersion":"2.1","s3":{"bucket":{"name":"bkt"},"object":{"key":"k","size":"1"}}}]}`, new(*json.UnmarshalTypeError)},
		{"top-level type", `[1]`, new(*json.UnmarshalTypeError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := event.Parse([]byte(tt.body))
			if !errors.As(err, tt.target) {
				t.Errorf("errors.As(%v, %T) = false", err, tt.target)
			}
		})
	}
}

// Error texts may travel as DLQ attributes: they must not carry the body.
func TestParseErrorsDoNotEchoBody(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 10_000)
	tests := []struct{ name, body string }{
		{"long bad key", s3Body("2.1", "ObjectCreated:Put", long+"%zz")},
		{"long invalid UTF-8 key", s3Body("2.1", "ObjectCreated:Put", long+"%FF")},
		{"long eventVersion", s3Body("2."+long, "ObjectCreated:Put", "k")},
		{"long SNS type", `{"Type":"` + long + `"}`},
		{"long SNS message", snsBody(long)},
		{"long Event", `{"Event":"` + long + `"}`},
		{"long EventBridge source", `{"source":"` + long + `","detail-type":"x"}`},
		{"long unknown keys", `{"` + long + `a":1,"` + long + `b":2,"c":3,"d":4,"e":5,"f":6}`},
		{"long number", `{"Records":[{"eventVersion":"2.1","s3":{"bucket":{"name":"bkt"},"object":{"key":"k","size":1` + strings.Repeat("0", 10_000) + `}}}]}`},
		{"long garbage", long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := event.Parse([]byte(tt.body))
			if err == nil {
				t.Fatal("Parse succeeded, want error")
			}
			if len(err.Error()) > 200 {
				t.Errorf("error text is %d bytes: %.300q", len(err.Error()), err)
			}
		})
	}
}

func TestParseBodySize(t *testing.T) {
	t.Parallel()
	// A message near the SQS limit with many records parses.
	keys := make([]string, 2500)
	for i := range keys {
		keys[i] = fmt.Sprintf("batch/%04d+part.txt", i)
	}
	big := s3Body("2.1", "ObjectCreated:Put", keys...)
	if len(big) < 256<<10 {
		t.Fatalf("test body is only %d bytes", len(big))
	}
	env, err := event.Parse([]byte(big))
	if err != nil {
		t.Fatalf("Parse of %d-byte body: %v", len(big), err)
	}
	if len(env.Records) != len(keys) || env.Records[2499].Key != "batch/2499 part.txt" {
		t.Fatalf("got %d records, last %+v", len(env.Records), env.Records[len(env.Records)-1])
	}

	// Anything over MaxBodyBytes is refused before decoding.
	huge := append([]byte(big), bytes.Repeat([]byte(" "), event.MaxBodyBytes)...)
	_, err = event.Parse(huge)
	if err == nil || !strings.Contains(err.Error(), "over the") {
		t.Fatalf("Parse of %d-byte body: err %v, want size error", len(huge), err)
	}
}

func TestRecordCreated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want bool
	}{
		{"ObjectCreated:Put", true},
		{"ObjectCreated:Post", true},
		{"ObjectCreated:Copy", true},
		{"ObjectCreated:CompleteMultipartUpload", true},
		{"s3:ObjectCreated:Put", true},
		{"Object Created", true},
		{"ObjectRemoved:Delete", false},
		{"ObjectRemoved:DeleteMarkerCreated", false},
		{"ObjectRestore:Completed", false},
		{"LifecycleExpiration:Delete", false},
		{"Object Deleted", false},
		{"ObjectCreated", false},
		{"objectcreated:put", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (event.Record{EventName: tt.name}).Created(); got != tt.want {
				t.Errorf("Created() = %v, want %v", got, tt.want)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, file := range []string{"s3_put.json", "s3_two_records.json", "sns_s3_put.json", "eventbridge_created.json"} {
		body := readFixture(b, file)
		b.Run(strings.TrimSuffix(file, ".json"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := event.Parse(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
