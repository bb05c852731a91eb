package httpserver_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/summarizer/summarizer/cmd/internal/httpserver"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The operational endpoints answer on the bound address until stop; readyz
// follows the ready function.
func TestMetricsEndpoints(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "things_total", Help: "things"})
	reg.MustRegister(c)
	c.Inc()
	var isReady atomic.Bool
	ready := func() error {
		if !isReady.Load() {
			return errors.New("warming up")
		}
		return nil
	}
	addr, stop, err := httpserver.Start(context.Background(), "127.0.0.1:0", httpserver.Metrics(reg, ready), time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 503 || body != "not ready: warming up\n" {
		t.Errorf("readyz while not ready: %d %q", code, body)
	}
	isReady.Store(true)
	if code, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("readyz: %d %q", code, body)
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "things_total 1") {
		t.Errorf("metrics: %d %q", code, body)
	}
	if code, _ := get(t, base+"/debug/pprof/"); code != 404 {
		t.Errorf("pprof next to metrics: %d", code)
	}
	stop()
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after stop")
	}
}

func TestStartRefusesABusyAddress(t *testing.T) {
	t.Parallel()
	addr, stop, err := httpserver.Start(context.Background(), "127.0.0.1:0", httpserver.Pprof(), time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if code, _ := get(t, "http://"+addr+"/debug/pprof/cmdline"); code != 200 {
		t.Errorf("pprof cmdline: %d", code)
	}
	if _, _, err := httpserver.Start(context.Background(), addr, httpserver.Pprof(), time.Minute, nil); err == nil || !strings.Contains(err.Error(), "listen on "+addr) {
		t.Errorf("second listener on %s: %v", addr, err)
	}
}
