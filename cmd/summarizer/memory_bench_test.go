package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostileTranscribe is a Transcribe JSON of n bytes whose results.items
// are millions of {}: before the parsers capped what they build, each item
// decoded to ~88 bytes of Go structures.
func hostileTranscribe(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"jobName":"x","results":{"transcripts":[{"transcript":""}],"items":[`)
	for b.Len() < n-8 {
		b.WriteString(`{},`)
	}
	b.WriteString(`{}]}}`)
	return b.Bytes()
}

// vmHWM is the peak resident set of process pid, in bytes, from /proc.
func vmHWM(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// BenchmarkHostileUploadsRSS: twelve 19 MiB worst-case Transcribe uploads
// at once, the worker at its default settings (MAX_INFLIGHT_BYTES 64 MiB
// outside a cgroup limit, CONCURRENCY 16) as a separate process: each
// message ends (summarized or dead-lettered), and the worker's peak RSS is
// reported from /proc (VmHWM). The bound is 256 MiB, the shipped
// pod limit. Run with make bench, or:
//
//	go test -run '^$' -bench HostileUploadsRSS -benchtime 1x ./cmd/summarizer/
func BenchmarkHostileUploadsRSS(b *testing.B) {
	for range b.N {
		st := newStack(b)
		body := hostileTranscribe(19 << 20)
		for i := range 12 {
			st.put(fmt.Sprintf("hostile/%02d.json", i), body)
		}
		env := st.env("", "SUMMARIZER=extractive", "VISIBILITY_TIMEOUT=60s", "CONCURRENCY=16", "LOG_LEVEL=info")
		delete(env, "RUNPOD_ENDPOINT_URL")
		cmd := exec.Command(binary, "run")
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var logs bytes.Buffer
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		var peak int64
		deadline := time.Now().Add(5 * time.Minute)
		for st.count(st.queueURL) > 0 && time.Now().Before(deadline) {
			if n, err := vmHWM(cmd.Process.Pid); err == nil {
				peak = max(peak, n)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if n, err := vmHWM(cmd.Process.Pid); err == nil {
			peak = max(peak, n)
		}
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if left := st.count(st.queueURL); left > 0 {
			b.Fatalf("%d of 12 messages did not end within 5 minutes:\n%s", left, tail(logs.String(), 20))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(st.count(st.dlqURL)), "dead-lettered")
		b.ReportMetric(float64(len(st.summaryKeys())), "summarized")
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
