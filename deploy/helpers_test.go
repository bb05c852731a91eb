package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// doc is one YAML document of a file.
type doc struct {
	file string // base name, e.g. deployment.yaml
	obj  map[string]any
}

// kind is "apiVersion kind/name" for messages.
func (d doc) String() string {
	return fmt.Sprintf("%s: %s %s", d.file, str(d.obj, "kind"), str(d.obj, "metadata", "name"))
}

// readYAML decodes every document of a file (--- separated); empty
// documents are dropped.
func readYAML(path string) ([]doc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []doc
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if obj != nil {
			docs = append(docs, doc{file: filepath.Base(path), obj: obj})
		}
	}
}

// get walks maps by string keys and lists by int indexes; nil when a step
// is missing.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k < 0 || k >= len(l) {
				return nil
			}
			v = l[k]
		default:
			panic(fmt.Sprintf("bad path element %T", p))
		}
	}
	return v
}

// str is get as a string: scalars are formatted as YAML wrote them
// (numbers and booleans too), anything else is "".
func str(v any, path ...any) string {
	switch x := get(v, path...).(type) {
	case string:
		return x
	case int, int64, float64, bool:
		return fmt.Sprint(x)
	default:
		return ""
	}
}

func list(v any, path ...any) []any {
	l, _ := get(v, path...).([]any)
	return l
}

func dict(v any, path ...any) map[string]any {
	m, _ := get(v, path...).(map[string]any)
	return m
}

// quantity parses a Kubernetes memory quantity (256Mi, 1G, 1048576) or a
// Go GOMEMLIMIT (230MiB) into bytes.
func quantity(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
		{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1},
	}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("quantity %q: %w", s, err)
			}
			return v * u.mult, nil
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("quantity %q: %w", s, err)
	}
	return v, nil
}

// binary builds the summarizer once per test binary (go build, no Docker),
// or takes $SUMMARIZER_BIN when set (a binary built already, e.g. bin/summarizer).
var binary = sync.OnceValues(func() (string, error) {
	if bin := os.Getenv("SUMMARIZER_BIN"); bin != "" {
		return filepath.Abs(bin)
	}
	dir, err := os.MkdirTemp("", "deploy-summarizer")
	if err != nil {
		return "", err
	}
	builtIn = dir
	bin := filepath.Join(dir, "summarizer")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/summarizer")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ../cmd/summarizer: %w\n%s", err, out)
	}
	return bin, nil
})

func needBinary(t *testing.T) string {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// builtIn is the temporary directory of the binary built, if any.
var builtIn string

// removeBinary is called by TestMain once every test is done.
func removeBinary() {
	if builtIn != "" {
		os.RemoveAll(builtIn)
	}
}

var settingLine = regexp.MustCompile(`^\s+([A-Z][A-Z0-9_]+)\s.*?(?:\(default (.*)\))?$`)

// runSettings are the settings `summarizer run --help` lists, with their
// defaults as printed ("" quoted empty defaults come back as `""`).
func runSettings(t *testing.T) map[string]string {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(needBinary(t), "run", "--help")
	cmd.Env = []string{}
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run() // --help exits 2 like every usage message
	settings := map[string]string{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if m := settingLine.FindStringSubmatch(sc.Text()); m != nil {
			settings[m[1]] = m[2]
		}
	}
	if len(settings) == 0 {
		t.Fatalf("summarizer run --help lists no settings:\n%s", out.String())
	}
	return settings
}
