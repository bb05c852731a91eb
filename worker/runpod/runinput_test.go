package runpod

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

// presigned looks like an S3 presigned GET URL: its signature is a credential.
const presigned = "https://in-bucket.s3.eu-west-1.amazonaws.com/calls/a%20b.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
	"&X-Amz-Credential=AKIAEXAMPLE%2F20250102%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Expires=900" +
	"&X-Amz-SignedHeaders=host&X-Amz-Signature=SIGNATURE0123456789abcdef"

func TestSubmitInputURLMode(t *testing.T) {
	t.Parallel()
	f := (&fakeRunPod{
		status: func(id string, n int) reply {
			if n == 1 {
				return ok(statusBody(id, StatusInProgress, ""))
			}
			return ok(statusBody(id, StatusCompleted, `{"summary":"from the url</s>"}`))
		},
	}).start(t)
	var logs httpapitest.LockedBuffer
	cfg := testConfig(t, f.url())
	cfg.Logger = httpapitest.JSONLogger(&logs)
	cfg.InputFormat = InputFormatVLLM // does not apply to SubmitInput
	var jobs jobLog
	cfg.OnJob = jobs.add
	c := newTestClient(t, cfg)

	type urlInput struct {
		URL string `json:"url"`
	}
	id, err := c.SubmitInput(t.Context(), urlInput{URL: presigned})
	if err != nil {
		t.Fatalf("SubmitInput: %v", err)
	}
	res, err := c.Wait(t.Context(), id)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if res.Text != "from the url" || id != "job-1" || res.DelayTime == 0 {
		t.Errorf("result = %+v", res)
	}
	reqs, runs, _ := f.snapshot()
	if runs != 1 || len(reqs) != 3 || reqs[0].auth != "Bearer "+testKey || reqs[0].contentType != "application/json" {
		t.Fatalf("requests = %+v", reqs)
	}
	wantRaw := `{"input":{"url":"` + presigned + `"},"policy":{"executionTimeout":10000,"ttl":120000}}`
	if string(reqs[0].body) != wantRaw {
		t.Errorf("run body =\n%s\nwant\n%s", reqs[0].body, wantRaw)
	}
	if got := jobs.get(); !slices.Equal(got, []string{StatusCompleted}) {
		t.Errorf("OnJob = %v", got)
	}
	if out := logs.String(); strings.Contains(out, "SIGNATURE0123") || !strings.Contains(out, "job-1") {
		t.Errorf("logs leak the presigned URL or lack the job id:\n%s", out)
	}
}

func TestSubmitInputShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input any
		want  map[string]any
	}{
		{name: "map", input: map[string]any{"url": "https://x/y?a=1&b=2", "max_new_tokens": 10},
			want: map[string]any{"url": "https://x/y?a=1&b=2", "max_new_tokens": float64(10)}},
		{name: "raw message", input: json.RawMessage(` { "url" : "u", "n": [1, 2] } `),
			want: map[string]any{"url": "u", "n": []any{float64(1), float64(2)}}},
		{name: "pointer to struct", input: &struct {
			URL string `json:"url"`
		}{"u"}, want: map[string]any{"url": "u"}},
		{name: "empty object", input: struct{}{}, want: map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := (&fakeRunPod{}).start(t)
			c := newTestClient(t, testConfig(t, f.url()))
			if _, err := c.SubmitInput(t.Context(), tt.input); err != nil {
				t.Fatalf("SubmitInput: %v", err)
			}
			reqs, _, _ := f.snapshot()
			body := httpapitest.DecodeJSON(t, reqs[0].body)
			if !reflect.DeepEqual(body["input"], tt.want) {
				t.Errorf("input = %#v, want %#v", body["input"], tt.want)
			}
		})
	}
}

func TestSubmitInputRejectedBeforeSending(t *testing.T) {
	t.Parallel()
	f := (&fakeRunPod{}).start(t)
	c := newTestClient(t, testConfig(t, f.url()))
	var nilMap map[string]string
	for name, input := range map[string]any{
		"nil":               nil,
		"nil map":           nilMap,
		"string":            presigned,
		"array":             []string{"a"},
		"number":            42,
		"unsupported type":  map[string]any{"c": make(chan int)},
		"invalid raw":       json.RawMessage(`{"url":`),
		"over payload size": map[string]string{"text": strings.Repeat("a", MaxPayloadBytes)},
	} {
		_, err := c.SubmitInput(t.Context(), input)
		if errClass(err) != "permanent" {
			t.Errorf("%s: err = %v, want permanent", name, err)
			continue
		}
		if strings.Contains(err.Error(), "SIGNATURE") {
			t.Errorf("%s: error quotes the input: %v", name, err)
		}
	}
	if reqs, _, _ := f.snapshot(); len(reqs) != 0 {
		t.Errorf("%d requests sent, want none", len(reqs))
	}
}
