package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Source says in which shape a message arrived.
type Source string

// The sources Parse reports.
const (
	// SourceS3 is an S3 event notification sent by S3 straight to the queue
	// (or through SNS with raw message delivery, which looks the same).
	SourceS3 Source = "s3"
	// SourceSNS is an S3 event notification (or test event) wrapped in an
	// SNS notification.
	SourceSNS Source = "sns"
	// SourceEventBridge is an EventBridge event from source "aws.s3".
	SourceEventBridge Source = "eventbridge"
)

// MaxBodyBytes is the largest body Parse reads. SQS itself caps a message at
// 1 MiB (256 KiB on older queues) and S3 caps a notification at 64 KB; a
// larger body is refused before any decoding.
const MaxBodyBytes = 1 << 20

// Record is one object event of a message.
type Record struct {
	Bucket    string
	Key       string    // the object key, decoded (EventBridge keys arrive unencoded: Key == RawKey)
	RawKey    string    // the key exactly as it arrived
	Size      int64     // 0 when the event carries no size (deletions)
	ETag      string    // without surrounding quotes
	VersionID string    // empty for unversioned buckets
	EventName string    // "ObjectCreated:Put", or for EventBridge the detail-type, e.g. "Object Created"
	EventTime time.Time // zero if absent or unparseable
}

// Created reports whether the record is an object-creation event: an S3
// eventName "ObjectCreated:*" (also with the "s3:" prefix MinIO and older
// Ceph put in front) or the EventBridge detail-type "Object Created".
// Callers skip records that are not.
func (r Record) Created() bool {
	if r.EventName == "Object Created" {
		return true
	}
	return strings.HasPrefix(strings.TrimPrefix(r.EventName, "s3:"), "ObjectCreated:")
}

// Envelope is what one SQS message says.
type Envelope struct {
	Source    Source
	TestEvent bool     // an s3:TestEvent (directly or inside SNS): no records, to be skipped
	Records   []Record // in message order; a message may hold several
}

// Parse decodes one SQS message body: an S3 event notification, the same
// inside an SNS notification, an s3:TestEvent (either way), or an EventBridge
// event from "aws.s3".
//
// A non-nil error means the body can never be processed: retrying cannot
// help, and the caller dead-letters the message (reason bad_message). The
// error text says briefly what is wrong and quotes at most a few dozen bytes
// of the body. Records whose eventName Parse does not know are returned, not
// rejected; Record.Created tells the caller to skip them.
func Parse(body []byte) (Envelope, error) {
	if len(body) > MaxBodyBytes {
		return Envelope{}, fmt.Errorf("message body is %d bytes, over the %d-byte limit", len(body), MaxBodyBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return Envelope{}, errors.New("empty message body")
	}
	return parse(body, false)
}

// parse decodes one JSON document; inSNS is set for the Message of an SNS
// notification, which may not itself be an SNS notification.
func parse(body []byte, inSNS bool) (Envelope, error) {
	top, err := decodeObject(body)
	if err != nil {
		return Envelope{}, err
	}
	src := SourceS3
	if inSNS {
		src = SourceSNS
	}
	switch {
	case has(top, "Records"):
		recs, err := parseS3Records(top["Records"])
		if err != nil {
			return Envelope{}, err
		}
		return Envelope{Source: src, Records: recs}, nil
	case has(top, "Type"):
		if inSNS {
			return Envelope{}, errors.New("SNS notification inside an SNS notification")
		}
		return parseSNS(top)
	case has(top, "Event"):
		return parseTestEvent(top, src)
	case has(top, "detail-type"), has(top, "detail"), has(top, "source"):
		if !inSNS {
			src = SourceEventBridge
		}
		return parseEventBridge(body, src)
	}
	return Envelope{}, fmt.Errorf("unrecognized message (%s)", describeKeys(top))
}

// decodeObject decodes body as a JSON object into its members, matching keys
// exactly (encoding/json matches struct fields case-insensitively, which
// would blur "Time" and "time" across shapes).
func decodeObject(body []byte) (map[string]json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, &jsonError{msg: "message is a JSON " + clipRaw(te.Value) + ", not an object", err: err}
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if top == nil {
		return nil, errors.New("message is JSON null, not an object")
	}
	return top, nil
}

func has(m map[string]json.RawMessage, k string) bool {
	_, ok := m[k]
	return ok
}

// s3Record is the part of an S3 event notification record Parse reads.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
type s3Record struct {
	EventVersion *string         `json:"eventVersion"`
	EventName    string          `json:"eventName"`
	EventTime    json.RawMessage `json:"eventTime"`
	S3           *struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			Size      int64  `json:"size"`
			ETag      string `json:"eTag"`
			VersionID string `json:"versionId"`
		} `json:"object"`
	} `json:"s3"`
}

func parseS3Records(raw json.RawMessage) ([]Record, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, typeError("Records", err)
	}
	if len(items) == 0 {
		return nil, errors.New("S3 event has no records")
	}
	recs := make([]Record, 0, len(items))
	for i, item := range items {
		rec, err := parseS3Record(item)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

func parseS3Record(raw json.RawMessage) (Record, error) {
	var r s3Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return Record{}, typeError("the record", err)
	}
	if r.EventVersion == nil {
		return Record{}, errors.New("missing eventVersion")
	}
	if err := checkVersion(*r.EventVersion); err != nil {
		return Record{}, err
	}
	if r.S3 == nil {
		return Record{}, errors.New("missing s3")
	}
	if r.S3.Bucket.Name == "" {
		return Record{}, errors.New("missing s3.bucket.name")
	}
	if err := CheckBucket(r.S3.Bucket.Name); err != nil {
		return Record{}, fmt.Errorf("s3.bucket.name: %w", err)
	}
	if r.S3.Object.Key == "" {
		return Record{}, errors.New("missing s3.object.key")
	}
	if r.S3.Object.Size < 0 {
		return Record{}, fmt.Errorf("negative s3.object.size %d", r.S3.Object.Size)
	}
	key, err := DecodeKey(r.S3.Object.Key)
	if err != nil {
		return Record{}, err
	}
	return Record{
		Bucket:    r.S3.Bucket.Name,
		Key:       key,
		RawKey:    r.S3.Object.Key,
		Size:      r.S3.Object.Size,
		ETag:      unquote(r.S3.Object.ETag),
		VersionID: r.S3.Object.VersionID,
		EventName: r.EventName,
		EventTime: parseTime(r.EventTime),
	}, nil
}

// checkVersion accepts eventVersion "2" and "2.<digits>": S3 raises the
// major version only for changes that are not backward compatible, and asks
// consumers to compare it for equality.
func checkVersion(v string) error {
	major, minor, dotted := strings.Cut(v, ".")
	if major != "2" || (dotted && !allDigits(minor)) {
		return fmt.Errorf("unsupported eventVersion %s (want 2.x)", clip(v))
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseSNS unwraps an SNS notification delivered to SQS without raw message
// delivery. https://docs.aws.amazon.com/sns/latest/dg/SendMessageToSQS.html
func parseSNS(top map[string]json.RawMessage) (Envelope, error) {
	var typ string
	if err := json.Unmarshal(top["Type"], &typ); err != nil {
		return Envelope{}, typeError("SNS Type", err)
	}
	if typ != "Notification" {
		return Envelope{}, fmt.Errorf("SNS message of type %s, want Notification", clip(typ))
	}
	raw, ok := top["Message"]
	if !ok {
		return Envelope{}, errors.New("SNS notification has no Message")
	}
	var msg string
	if err := json.Unmarshal(raw, &msg); err != nil {
		return Envelope{}, typeError("SNS Message", err)
	}
	if strings.TrimSpace(msg) == "" {
		return Envelope{}, errors.New("SNS notification has an empty Message")
	}
	env, err := parse([]byte(msg), true)
	if err != nil {
		return Envelope{}, fmt.Errorf("SNS Message: %w", err)
	}
	env.Source = SourceSNS
	return env, nil
}

// parseTestEvent accepts the message S3 sends when a notification is
// configured: {"Service":"Amazon S3","Event":"s3:TestEvent",...}.
func parseTestEvent(top map[string]json.RawMessage, src Source) (Envelope, error) {
	var ev string
	if err := json.Unmarshal(top["Event"], &ev); err != nil {
		return Envelope{}, typeError("Event", err)
	}
	if ev != "s3:TestEvent" {
		return Envelope{}, fmt.Errorf("unsupported S3 message Event %s", clip(ev))
	}
	return Envelope{Source: src, TestEvent: true}, nil
}

// ebEvent is the part of an EventBridge event from S3 Parse reads.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
type ebEvent struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Time       json.RawMessage `json:"time"`
	Detail     *struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			Size      int64  `json:"size"`
			ETag      string `json:"etag"`
			VersionID string `json:"version-id"`
		} `json:"object"`
	} `json:"detail"`
}

func parseEventBridge(body []byte, src Source) (Envelope, error) {
	var ev ebEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return Envelope{}, fmt.Errorf("EventBridge event: %w", typeError("event", err))
	}
	if ev.Source != "aws.s3" {
		return Envelope{}, fmt.Errorf("EventBridge event from source %s, want \"aws.s3\"", clip(ev.Source))
	}
	if ev.DetailType == "" {
		return Envelope{}, errors.New("EventBridge event has no detail-type")
	}
	d := ev.Detail
	switch {
	case d == nil:
		return Envelope{}, errors.New("EventBridge event has no detail")
	case d.Bucket.Name == "":
		return Envelope{}, errors.New("EventBridge event: missing detail.bucket.name")
	case CheckBucket(d.Bucket.Name) != nil:
		return Envelope{}, fmt.Errorf("EventBridge event: detail.bucket.name: %w", CheckBucket(d.Bucket.Name))
	case d.Object.Key == "":
		return Envelope{}, errors.New("EventBridge event: missing detail.object.key")
	case d.Object.Size < 0:
		return Envelope{}, fmt.Errorf("EventBridge event: negative detail.object.size %d", d.Object.Size)
	}
	// EventBridge keys are not URL-encoded (see the package documentation):
	// the key is used as it arrived.
	return Envelope{Source: src, Records: []Record{{
		Bucket:    d.Bucket.Name,
		Key:       d.Object.Key,
		RawKey:    d.Object.Key,
		Size:      d.Object.Size,
		ETag:      unquote(d.Object.ETag),
		VersionID: d.Object.VersionID,
		EventName: ev.DetailType,
		EventTime: parseTime(ev.Time),
	}}}, nil
}

// parseTime reads an ISO-8601 timestamp; anything else is the zero time.
func parseTime(raw json.RawMessage) time.Time {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	// S3-compatible stores (moto among them) may leave the zone out: UTC.
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t.UTC()
	}
	return time.Time{}
}

func unquote(etag string) string {
	if len(etag) >= 2 && etag[0] == '"' && etag[len(etag)-1] == '"' {
		return etag[1 : len(etag)-1]
	}
	return etag
}

// jsonError gives a decoding error a short text of its own while keeping
// the encoding/json error for errors.As.
type jsonError struct {
	msg string
	err error
}

func (e *jsonError) Error() string { return e.msg }
func (e *jsonError) Unwrap() error { return e.err }

// typeError describes an error decoding a value named name, typically a JSON
// value of the wrong type, without Go type names or long literals. The
// offending field's JSON path is named when there is one.
func typeError(name string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			name = te.Field
		}
		return &jsonError{
			msg: fmt.Sprintf("%s is a JSON %s, want %s", name, clipRaw(te.Value), kindName(te.Type)),
			err: err,
		}
	}
	return fmt.Errorf("%s: %w", name, err)
}

func kindName(t reflect.Type) string {
	if t == nil {
		return "something else"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Pointer:
		return kindName(t.Elem())
	}
	return t.Kind().String()
}

// describeKeys names up to a few top-level keys of an unrecognized object.
func describeKeys(top map[string]json.RawMessage) string {
	if len(top) == 0 {
		return "empty object"
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	const most = 4
	var b strings.Builder
	b.WriteString("keys: ")
	for i, k := range keys {
		if i == most {
			fmt.Fprintf(&b, ", and %d more", len(keys)-most)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(clipN(k, 16))
	}
	return b.String()
}

// clip quotes s for an error message, cut to a few dozen bytes.
func clip(s string) string { return clipN(s, 40) }

func clipN(s string, n int) string {
	if len(s) <= n {
		return strconv.Quote(s)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

// clipRaw shortens an encoding/json value description ("string",
// "number 1e999999...") that may carry a literal from the body.
func clipRaw(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:40] + "..."
}

// CheckBucket reports whether name follows S3's rules for bucket names:
// 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending
// with a letter or digit, not an IP address. An ARN, a path or an access
// point alias in an event is refused: the worker only reads buckets by
// name (with the expected owner).
func CheckBucket(name string) error {
	if name == "" {
		return errors.New("missing")
	}
	if len(name) < 3 || len(name) > 63 {
		return fmt.Errorf("bucket name of %d characters: want 3 to 63", len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '.' || c == '-') && i > 0 && i < len(name)-1:
		default:
			return fmt.Errorf("bucket name %q: only lowercase letters, digits, and inner dots and hyphens", excerpt(name))
		}
	}
	if strings.Contains(name, "..") || net.ParseIP(name) != nil {
		return fmt.Errorf("bucket name %q is not valid", name)
	}
	return nil
}

// excerpt is at most 64 bytes of s, for an error message.
func excerpt(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
