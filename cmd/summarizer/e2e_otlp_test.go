package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// otlpSpan is a span as an OTLP receiver got it, whatever the encoding.
type otlpSpan struct {
	TraceID, SpanID, ParentID string // hex
	Name                      string
	Attrs, Resource           map[string]string
}

// otlpSink keeps what an OTLP receiver got.
type otlpSink struct {
	mu       sync.Mutex
	spans    []otlpSpan
	requests []string // path and content type of each export
}

func (s *otlpSink) add(req string, spans ...otlpSpan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
	s.spans = append(s.spans, spans...)
}

func (s *otlpSink) got() ([]otlpSpan, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]otlpSpan(nil), s.spans...), append([]string(nil), s.requests...)
}

func anyString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	}
	return fmt.Sprint(v.GetValue())
}

func kvMap(kvs []*commonpb.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[kv.GetKey()] = anyString(kv.GetValue())
	}
	return m
}

// fromProto flattens an export request.
func fromProto(req *coltracepb.ExportTraceServiceRequest) []otlpSpan {
	var out []otlpSpan
	for _, rs := range req.GetResourceSpans() {
		res := kvMap(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				out = append(out, otlpSpan{TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
					ParentID: hex.EncodeToString(s.GetParentSpanId()), Name: s.GetName(), Attrs: kvMap(s.GetAttributes()), Resource: res})
			}
		}
	}
	return out
}

// jsonKV is an OTLP/JSON attribute: ids are hex, 64-bit ints strings.
type jsonKV struct {
	Key   string `json:"key"`
	Value struct {
		StringValue *string         `json:"stringValue"`
		IntValue    json.RawMessage `json:"intValue"`
		BoolValue   *bool           `json:"boolValue"`
		DoubleValue *float64        `json:"doubleValue"`
	} `json:"value"`
}

func jsonKVMap(kvs []jsonKV) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		v := kv.Value
		switch {
		case v.StringValue != nil:
			m[kv.Key] = *v.StringValue
		case v.IntValue != nil:
			m[kv.Key] = strings.Trim(string(v.IntValue), `"`)
		case v.BoolValue != nil:
			m[kv.Key] = strconv.FormatBool(*v.BoolValue)
		case v.DoubleValue != nil:
			m[kv.Key] = strconv.FormatFloat(*v.DoubleValue, 'g', -1, 64)
		}
	}
	return m
}

func fromJSON(body []byte) ([]otlpSpan, error) {
	var req struct {
		ResourceSpans []struct {
			Resource struct {
				Attributes []jsonKV `json:"attributes"`
			} `json:"resource"`
			ScopeSpans []struct {
				Spans []struct {
					TraceID      string   `json:"traceId"`
					SpanID       string   `json:"spanId"`
					ParentSpanID string   `json:"parentSpanId"`
					Name         string   `json:"name"`
					Attributes   []jsonKV `json:"attributes"`
				} `json:"spans"`
			} `json:"scopeSpans"`
		} `json:"resourceSpans"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	var out []otlpSpan
	for _, rs := range req.ResourceSpans {
		res := jsonKVMap(rs.Resource.Attributes)
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				out = append(out, otlpSpan{TraceID: strings.ToLower(s.TraceID), SpanID: strings.ToLower(s.SpanID), ParentID: strings.ToLower(s.ParentSpanID),
					Name: s.Name, Attrs: jsonKVMap(s.Attributes), Resource: res})
			}
		}
	}
	return out, nil
}

// newOTLPHTTPReceiver is an OTLP/HTTP collector: POST /v1/traces, protobuf
// or JSON. It returns the base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT.
func newOTLPHTTPReceiver(t *testing.T, sink *otlpSink) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
			sink.add(r.Method + " " + r.URL.Path + " " + ct + " (refused)")
			http.Error(w, "not an OTLP trace export", http.StatusNotFound)
			return
		}
		var spans []otlpSpan
		var resp []byte
		switch ct {
		case "application/x-protobuf":
			var req coltracepb.ExportTraceServiceRequest
			if err = proto.Unmarshal(body, &req); err == nil {
				spans = fromProto(&req)
				resp, err = proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
			}
		case "application/json":
			spans, err = fromJSON(body)
			resp = []byte("{}")
		default:
			err = fmt.Errorf("content type %q", ct)
		}
		if err != nil {
			sink.add(r.URL.Path + " " + ct + " (undecodable: " + err.Error() + ")")
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sink.add(r.URL.Path+" "+ct, spans...)
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// traceService is an OTLP/gRPC collector.
type traceService struct {
	coltracepb.UnimplementedTraceServiceServer
	sink *otlpSink
}

func (s *traceService) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	s.sink.add("grpc Export", fromProto(req)...)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// newOTLPGRPCReceiver serves the collector's TraceService in plain text and
// returns http://host:port for OTEL_EXPORTER_OTLP_ENDPOINT.
func newOTLPGRPCReceiver(t *testing.T, sink *otlpSink) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, &traceService{sink: sink})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return "http://" + lis.Addr().String()
}

// A real `summarizer run` process, configured for traces only through the
// standard OTEL_* variables, sends the spans of its messages to an OTLP
// collector over each protocol, and flushes them when SIGTERM stops it
// (before the batch processor's 5 s schedule); its log lines carry the
// trace ids the collector got.
func TestOTLPExport(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "grpc", "http/json"} {
		t.Run(strings.ReplaceAll(protocol, "/", "-"), func(t *testing.T) {
			st := newStack(t)
			_, rp := newEmulator(t, emulator.Config{Latency: 20 * time.Millisecond})
			sink := &otlpSink{}
			var endpoint string
			if protocol == "grpc" {
				endpoint = newOTLPGRPCReceiver(t, sink)
			} else {
				endpoint = newOTLPHTTPReceiver(t, sink)
			}
			keys := []string{"otlp/one.txt", "otlp/two.txt"}
			for _, k := range keys {
				st.put(k, []byte(sampleTranscript))
			}
			env := st.env(rp,
				"OTEL_EXPORTER_OTLP_ENDPOINT="+endpoint,
				"OTEL_EXPORTER_OTLP_PROTOCOL="+protocol,
				"OTEL_SERVICE_NAME=summarizer-e2e",
				"OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=ci,team=ml%20ops")
			cmd := exec.Command(binary, "run")
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			var logs syncBuffer
			cmd.Stdout, cmd.Stderr = &logs, &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				_ = cmd.Process.Kill()
				if t.Failed() {
					t.Logf("worker logs:\n%s", logs.String())
				}
			}()
			for _, k := range keys {
				out := "summaries/" + k + ".summary.txt"
				waitFor(t, 60*time.Second, "summary of "+k, func() bool { _, _, ok := st.summary(out); return ok })
			}
			waitFor(t, 30*time.Second, "every notification handled", func() bool { return st.count(st.queueURL) == 0 })
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("worker exited with %v, want 0", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("worker still running 30s after SIGTERM")
			}

			spans, requests := sink.got()
			for _, r := range requests {
				if strings.Contains(r, "(refused)") || strings.Contains(r, "(undecodable") {
					t.Errorf("export %s", r)
				}
			}
			if len(requests) == 0 {
				t.Fatal("the collector received no export")
			}
			byID := map[string]otlpSpan{}
			for _, s := range spans {
				byID[s.SpanID] = s
			}
			records := map[string]otlpSpan{} // key -> record span
			names := map[string]map[string]int{}
			for _, s := range spans {
				if s.Resource["service.name"] != "summarizer-e2e" || s.Resource["team"] != "ml ops" || s.Resource["deployment.environment.name"] != "ci" {
					t.Fatalf("resource %v", s.Resource)
				}
				if s.ParentID != "" && strings.Trim(s.ParentID, "0") != "" {
					p, ok := byID[s.ParentID]
					if !ok || p.TraceID != s.TraceID {
						t.Errorf("span %q: parent %s missing or in another trace", s.Name, s.ParentID)
					}
				}
				if s.Name == "record" {
					records[s.Attrs["aws.s3.key"]] = s
				}
				if names[s.TraceID] == nil {
					names[s.TraceID] = map[string]int{}
				}
				names[s.TraceID][s.Name]++
			}
			for _, k := range keys {
				rec, ok := records[k]
				if !ok {
					t.Errorf("%s: no record span received", k)
					continue
				}
				root := byID[rec.ParentID]
				if root.Name != "process summaries" || root.Attrs["summarizer.outcome"] != "done" || root.Attrs["messaging.system"] != "aws_sqs" {
					t.Errorf("%s: root %q with %v", k, root.Name, root.Attrs)
				}
				for _, name := range []string{"fetch", "summarize", "map", "runpod.job", "store"} {
					if names[rec.TraceID][name] == 0 {
						t.Errorf("%s: no %q span in its trace (got %v)", k, name, names[rec.TraceID])
					}
				}
				// Its log line carries the trace id the collector got.
				want := fmt.Sprintf(`"key":%q`, k)
				found := false
				for _, l := range parseLogLines(t, logs.String()) {
					if l.Msg == "summary stored" && strings.Contains(fmt.Sprintf(`"key":%q`, l.Key), want) {
						found = true
						if l.TraceID != rec.TraceID || l.SpanID != rec.SpanID {
							t.Errorf("%s: logged trace %s span %s, the collector got %s %s", k, l.TraceID, l.SpanID, rec.TraceID, rec.SpanID)
						}
					}
				}
				if !found {
					t.Errorf("%s: no \"summary stored\" log line", k)
				}
			}
			if !strings.Contains(logs.String(), `"msg":"traces on"`) {
				t.Error(`no "traces on" log line`)
			}
		})
	}
}
