package runpod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

func TestRunInputURLMode(t *testing.T) {
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
	cfg.InputFormat = InputFormatVLLM // does not apply to RunInput
	var jobs jobLog
	cfg.OnJob = jobs.add
	c := newTestClient(t, cfg)

	type urlInput struct {
		URL string `json:"url"`
	}
	res, err := c.RunInput(t.Context(), urlInput{URL: presigned})
	if err != nil {
		t.Fatalf("RunInput: %v", err)
	}
	if res.Text != "from the url" || !slices.Equal(res.JobIDs, []string{"job-1"}) || res.DelayTime == 0 {
		t.Errorf("result = %+v", res)
	}
	reqs, runs, _ := f.snapshot()
	if runs != 1 || len(reqs) != 3 || reqs[0].auth != "Bearer "+testKey || reqs[0].contentType != "application/json" {
		t.Fatalf("requests = %+v", reqs)
	}
	wantRaw := `{"input":{"url":"` + presigned + `"},"policy":{"executionTimeout":10000,"ttl":10000}}`
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

func TestRunInputShapes(t *testing.T) {
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
			if _, err := c.RunInput(t.Context(), tt.input); err != nil {
				t.Fatalf("RunInput: %v", err)
			}
			reqs, _, _ := f.snapshot()
			body := httpapitest.DecodeJSON(t, reqs[0].body)
			if !reflect.DeepEqual(body["input"], tt.want) {
				t.Errorf("input = %#v, want %#v", body["input"], tt.want)
			}
		})
	}
}

func TestRunInputRejectedBeforeSending(t *testing.T) {
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
		_, err := c.RunInput(t.Context(), input)
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

// TestRunInputSharesJobLifecycle: resubmission and cancel-on-abandon are Summarize's.
func TestRunInputSharesJobLifecycle(t *testing.T) {
	t.Parallel()
	t.Run("failed job resubmitted with the same body", func(t *testing.T) {
		t.Parallel()
		f := (&fakeRunPod{status: func(id string, n int) reply {
			if id == "job-1" {
				return ok(`{"id":"job-1","status":"FAILED","error":"could not fetch url"}`)
			}
			return ok(statusBody(id, StatusCompleted, `"second time lucky"`))
		}}).start(t)
		var jobs jobLog
		cfg := testConfig(t, f.url())
		cfg.OnJob = jobs.add
		res, err := newTestClient(t, cfg).RunInput(t.Context(), map[string]string{"url": presigned})
		if err != nil || res.Text != "second time lucky" || !slices.Equal(res.JobIDs, []string{"job-1", "job-2"}) {
			t.Fatalf("RunInput = %+v, %v", res, err)
		}
		reqs, runs, _ := f.snapshot()
		var bodies [][]byte
		for _, r := range reqs {
			if strings.HasSuffix(r.path, "/run") {
				bodies = append(bodies, r.body)
			}
		}
		if runs != 2 || len(bodies) != 2 || string(bodies[0]) != string(bodies[1]) {
			t.Errorf("runs %d, bodies %q: want two identical", runs, bodies)
		}
		if got := jobs.get(); !slices.Equal(got, []string{StatusFailed, StatusCompleted}) {
			t.Errorf("OnJob = %v", got)
		}
	})
	t.Run("cancelled context cancels the job", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		f := (&fakeRunPod{
			status:     func(id string, n int) reply { return ok(statusBody(id, StatusInQueue, "")) },
			statusHook: func(id string, n int) { cancel() },
		}).start(t)
		_, err := newTestClient(t, testConfig(t, f.url())).RunInput(ctx, map[string]string{"url": "u"})
		if !errors.Is(err, context.Canceled) || asError(t, err).JobStatus != StatusAbandoned {
			t.Fatalf("err = %v, want an abandoned job wrapping context.Canceled", err)
		}
		if _, _, cancels := f.snapshot(); !slices.Equal(cancels, []string{"job-1"}) {
			t.Errorf("cancels = %v, want [job-1]", cancels)
		}
	})
	t.Run("429 on run retried", func(t *testing.T) {
		t.Parallel()
		f := (&fakeRunPod{run: func(n int) reply {
			if n == 1 {
				return reply{code: 429, body: "{}", header: map[string]string{"Retry-After": "0"}}
			}
			return ok(fmt.Sprintf(`{"id":"job-%d","status":"IN_QUEUE"}`, n))
		}}).start(t)
		res, err := newTestClient(t, testConfig(t, f.url())).RunInput(t.Context(), map[string]string{"url": "u"})
		if err != nil || !slices.Equal(res.JobIDs, []string{"job-2"}) {
			t.Fatalf("RunInput = %+v, %v", res, err)
		}
	})
}
