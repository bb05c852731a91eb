package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/summarizer/summarizer/cmd/internal/settings"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// A bad setting of the emulator is one line on stderr and exit code 2.
func TestEmulatorBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"negative max workers", []string{"--max-workers", "-1"}, []string{"EMULATOR_MAX_WORKERS"}},
		{"no concurrency", []string{"--worker-concurrency", "0"}, []string{"EMULATOR_WORKER_CONCURRENCY"}},
		{"unknown scaler", []string{"--scaler", "fast"}, []string{"EMULATOR_SCALER", "queue_delay"}},
		{"unknown ttl expiry", []string{"--ttl-expiry", "never"}, []string{"EMULATOR_TTL_EXPIRY", "timed_out"}},
		{"idle timeout under a second", []string{"--idle-timeout", "0s"}, []string{"EMULATOR_IDLE_TIMEOUT"}},
		{"bad cold start", []string{"--cold-start", "soon"}, []string{"EMULATOR_COLD_START"}},
		{"negative scaler value", []string{"--scaler-value", "-4"}, []string{"EMULATOR_SCALER_VALUE"}},
		{"unknown output shape", []string{"--output-shape", "vllm-chat"}, []string{"EMULATOR_OUTPUT_SHAPE", "vllm-text"}},
		{"more min than max workers", []string{"--max-workers", "2", "--min-workers", "3"}, []string{"MinWorkers", "MaxWorkers"}},
		{"several", []string{"--scaler", "x", "--flashboot", "-1s", "--scale-interval", "0s"},
			[]string{"EMULATOR_SCALER", "EMULATOR_FLASHBOOT", "EMULATOR_SCALE_INTERVAL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			args := append([]string{"runpod-emulator", "--addr", "127.0.0.1:0"}, tt.args...)
			err := run(ctx, args, envOf(), &stdout, &stderr)
			var ue *settings.UsageError
			if !errors.As(err, &ue) || exitCode(err) != 2 {
				t.Fatalf("err = %v, want a usage error (exit 2)", err)
			}
			out := strings.TrimRight(stderr.String(), "\n")
			if strings.Count(out, "\n") != 0 {
				t.Errorf("stderr is not one line:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stderr %q does not mention %q", out, w)
				}
			}
		})
	}
}

func TestEmulatorHelpListsEverySetting(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"runpod-emulator", "--help"}, envOf(), &stdout, &stderr)
	if exitCode(err) != 2 {
		t.Errorf("--help exit %d", exitCode(err))
	}
	for _, flag := range []string{"--max-workers", "--min-workers", "--worker-concurrency", "--cold-start", "--flashboot",
		"--flashboot-window", "--idle-timeout", "--scaler", "--scaler-value", "--scale-interval", "--ttl-expiry",
		"--output-shape", "vllm-text", "EMULATOR_MAX_WORKERS", "EMULATOR_TTL_EXPIRY"} {
		if !strings.Contains(stderr.String(), flag) {
			t.Errorf("--help does not list %s", flag)
		}
	}
}

var emulatorAddrRe = regexp.MustCompile(`"msg":"runpod-emulator listening"[^\n]*?"addr":"([^"]+)"`)

// The flags reach the endpoint: a finite one with its always-on worker,
// whose faults switch through /_emulator/faults.
func TestEmulatorServesAFiniteEndpoint(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout bytes.Buffer
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"runpod-emulator", "--addr", "127.0.0.1:0", "--max-workers", "2", "--min-workers", "1",
			"--cold-start", "0s", "--scaler", "request_count", "--output-shape", "vllm-text"}, envOf(), &stdout, &stderr)
	}()
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := emulatorAddrRe.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("the emulator did not log its address: %s", stderr.String())
	}
	get := func(method, path string, v any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, "http://"+addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var h struct{ Workers emulator.Workers }
	get(http.MethodGet, "/v2/local/health", &h)
	if h.Workers != (emulator.Workers{Idle: 1, Ready: 1}) {
		t.Errorf("health workers %+v, want the one always-on worker idle", h.Workers)
	}
	var snap emulator.Snapshot
	get(http.MethodPost, emulator.AdminPath+"?throttled=1", &snap)
	if !snap.Throttled || snap.MaxWorkers != 2 {
		t.Errorf("snapshot %+v", snap)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the emulator did not stop")
	}
}
