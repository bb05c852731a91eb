package deploy

import (
	"fmt"
	"testing"
)

// Memory is sized in one place, the Deployment's resources.limits.memory;
// the other memory settings follow it:
//
//   - GOMEMLIMIT: 75-95% of the limit (deployment.yaml sets 90% beside it).
//     Above, the GC reacts too late for the OOM killer; below, it works
//     hard for memory the pod has.
//   - MAX_INFLIGHT_BYTES: object bytes admitted into memory at once. Its
//     default is a quarter of the cgroup's limit (DESIGN.md): the rest is
//     for decoded text, chunks, prompts and the runtime. Set explicitly, it
//     must leave GOMEMLIMIT at least that room: at most half of it.
//   - MAX_OBJECT_BYTES: at most MAX_INFLIGHT_BYTES, or the largest object
//     the worker accepts could never be admitted.
const (
	gomemlimitMin = 0.75
	gomemlimitMax = 0.95
	inflightShare = 4 // MAX_INFLIGHT_BYTES default: limit / 4
)

// memoryProblems checks the memory settings of one container: its limit
// and request (bytes), its environment, and the binary's default of
// MAX_OBJECT_BYTES.
func memoryProblems(limit, request int64, env map[string]string, maxObjectDefault string) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if limit <= 0 {
		return []string{"no memory limit: MAX_INFLIGHT_BYTES would fall back to 64MiB whatever the node has, and nothing bounds the pod"}
	}
	if request > limit {
		bad("memory request %d exceeds the limit %d", request, limit)
	}

	gml, ok := env["GOMEMLIMIT"]
	if !ok {
		bad("GOMEMLIMIT is not set: the Go runtime ignores the container's limit (set it to 90%% of %d)", limit)
	} else if n, err := quantity(gml); err != nil {
		bad("GOMEMLIMIT=%q: %v", gml, err)
	} else if r := float64(n) / float64(limit); r < gomemlimitMin || r > gomemlimitMax {
		bad("GOMEMLIMIT %s is %.0f%% of the memory limit %d bytes, want %.0f-%.0f%% (90%%): change them together",
			gml, 100*r, limit, 100*gomemlimitMin, 100*gomemlimitMax)
	}

	inflight := limit / inflightShare
	if v, ok := env["MAX_INFLIGHT_BYTES"]; ok {
		n, err := quantity(v)
		if err != nil {
			bad("MAX_INFLIGHT_BYTES=%q: %v", v, err)
		} else {
			inflight = n
			if g, err := quantity(env["GOMEMLIMIT"]); err == nil && n > g/2 {
				bad("MAX_INFLIGHT_BYTES %s is more than half of GOMEMLIMIT %s: no room left to decode and chunk what it admits", v, env["GOMEMLIMIT"])
			}
		}
	}

	raw, ok := env["MAX_OBJECT_BYTES"]
	if !ok {
		raw = maxObjectDefault
	}
	if maxObject, err := quantity(raw); err != nil {
		bad("MAX_OBJECT_BYTES=%q: %v", raw, err)
	} else if maxObject > inflight {
		bad("MAX_OBJECT_BYTES %s (%d bytes) exceeds MAX_INFLIGHT_BYTES (%d bytes, a quarter of the memory limit unless set): the largest allowed object could never be admitted",
			raw, maxObject, inflight)
	}
	return out
}

func checkMemory(t *testing.T, m *manifests, settings map[string]string) {
	t.Helper()
	c := m.containers()[0]
	limit, err := quantity(str(c, "resources", "limits", "memory"))
	if err != nil {
		t.Fatalf("resources.limits.memory: %v", err)
	}
	request, err := quantity(str(c, "resources", "requests", "memory"))
	if err != nil {
		t.Fatalf("resources.requests.memory: %v", err)
	}
	def, ok := settings["MAX_OBJECT_BYTES"]
	if !ok {
		t.Fatal("summarizer run --help lists no MAX_OBJECT_BYTES")
	}
	for _, p := range memoryProblems(limit, request, m.env, def) {
		t.Error(p)
	}
}

// The rule itself: the shipped 256Mi holds, and each way of letting the
// settings drift apart is caught.
func TestMemoryRules(t *testing.T) {
	t.Parallel()
	const mi = 1 << 20
	env := func(kv ...string) map[string]string {
		out := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	tests := []struct {
		name     string
		limit    int64
		env      map[string]string
		problems int
	}{
		{"shipped: 256Mi, GOMEMLIMIT 230MiB, defaults", 256 * mi, env("GOMEMLIMIT", "230MiB"), 0},
		{"1Gi with its 90%", 1024 * mi, env("GOMEMLIMIT", "920MiB"), 0},
		{"limit raised, GOMEMLIMIT left behind", 512 * mi, env("GOMEMLIMIT", "230MiB"), 1},
		{"GOMEMLIMIT at the limit", 256 * mi, env("GOMEMLIMIT", "256MiB"), 1},
		{"GOMEMLIMIT unset", 256 * mi, env(), 1},
		{"limit lowered below 4 x MAX_OBJECT_BYTES", 64 * mi, env("GOMEMLIMIT", "58MiB"), 1},
		{"MAX_OBJECT_BYTES above the in-flight budget", 256 * mi, env("GOMEMLIMIT", "230MiB", "MAX_OBJECT_BYTES", "100MiB"), 1},
		{"MAX_INFLIGHT_BYTES set too high", 256 * mi, env("GOMEMLIMIT", "230MiB", "MAX_INFLIGHT_BYTES", "200MiB"), 1},
		{"MAX_INFLIGHT_BYTES set below MAX_OBJECT_BYTES", 256 * mi, env("GOMEMLIMIT", "230MiB", "MAX_INFLIGHT_BYTES", "16MiB"), 1},
		{"smaller objects, smaller pod", 128 * mi, env("GOMEMLIMIT", "115MiB", "MAX_OBJECT_BYTES", "8MiB"), 0},
	}
	for _, tt := range tests {
		got := memoryProblems(tt.limit, 64*mi, tt.env, "20MiB")
		if len(got) != tt.problems {
			t.Errorf("%s: %d problems %q, want %d", tt.name, len(got), got, tt.problems)
		}
	}
	if got := memoryProblems(0, 0, env("GOMEMLIMIT", "230MiB"), "20MiB"); len(got) != 1 {
		t.Errorf("no limit: %q, want one problem", got)
	}
}
