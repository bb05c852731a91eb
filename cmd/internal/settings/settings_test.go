package settings_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/summarizer/summarizer/cmd/internal/settings"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

type values struct {
	Name, Token, Mode string
	Count             int
	DryRun            bool
}

func options(v *values) []settings.Option {
	return []settings.Option{
		{Env: "NAME", Default: "anon", Usage: "a name", Alias: "n", Parse: settings.String(&v.Name)},
		{Env: "API_TOKEN", Usage: "a secret", Secret: true, Parse: settings.Required(&v.Token)},
		{Env: "MODE", Default: "fast", EnvOnly: true, Usage: "fast or slow", Parse: settings.OneOf(&v.Mode, "fast", "slow")},
		{Env: "ITEM_COUNT", Flag: "count", Default: "1", Usage: "how many", Parse: settings.PositiveInt(&v.Count)},
		{Env: "DRY_RUN", Default: "false", BoolFlag: true, Usage: "change nothing", Parse: settings.Bool(&v.DryRun)},
	}
}

// A flag wins over its variable, which wins over the default; an empty
// variable is unset; flags may follow positional arguments.
func TestParseOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		env  []string
		want values
		pos  []string
	}{
		{nil, []string{"API_TOKEN=t"}, values{Name: "anon", Token: "t", Mode: "fast", Count: 1}, nil},
		{nil, []string{"API_TOKEN=t", "NAME=", "MODE=slow", "ITEM_COUNT=3"}, values{Name: "anon", Token: "t", Mode: "slow", Count: 3}, nil},
		{[]string{"--name", "flag", "--count=4"}, []string{"API_TOKEN=t", "NAME=env", "ITEM_COUNT=3"}, values{Name: "flag", Token: "t", Mode: "fast", Count: 4}, nil},
		{[]string{"a", "-n", "alias", "b", "--dry-run"}, []string{"API_TOKEN=t"}, values{Name: "alias", Token: "t", Mode: "fast", Count: 1, DryRun: true}, []string{"a", "b"}},
		{[]string{"--dry-run=false", "--name", " padded "}, []string{"API_TOKEN=t", "DRY_RUN=true"}, values{Name: "padded", Token: "t", Mode: "fast", Count: 1}, nil},
	}
	for _, tt := range tests {
		var v values
		pos, err := settings.Parse("tool cmd", options(&v), tt.args, envOf(tt.env...), &bytes.Buffer{})
		if err != nil {
			t.Fatalf("%v %v: %v", tt.args, tt.env, err)
		}
		if v != tt.want || fmt.Sprint(pos) != fmt.Sprint(tt.pos) {
			t.Errorf("%v %v: got %+v %q, want %+v %q", tt.args, tt.env, v, pos, tt.want, tt.pos)
		}
	}
}

// Every bad setting is named in one line, secrets are never shown, and
// secrets and environment-only settings have no flag.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		env  []string
		want string
	}{
		{nil, []string{"MODE=medium", "ITEM_COUNT=0"},
			`tool cmd: bad settings: API_TOKEN="***": required; MODE="medium": want one of fast, slow; ITEM_COUNT="0": want a positive whole number`},
		{nil, []string{"API_TOKEN=hunter2", "DRY_RUN=maybe"}, `tool cmd: bad settings: DRY_RUN="maybe": want true or false`},
		{[]string{"--api-token", "x"}, nil, "tool cmd: flag provided but not defined: -api-token (see --help)"},
		{[]string{"--mode", "slow"}, nil, "tool cmd: flag provided but not defined: -mode (see --help)"},
	}
	for _, tt := range tests {
		var v values
		_, err := settings.Parse("tool cmd", options(&v), tt.args, envOf(tt.env...), &bytes.Buffer{})
		var ue *settings.UsageError
		if !errors.As(err, &ue) || ue.Msg != tt.want {
			t.Errorf("%v %v: err = %v, want %s", tt.args, tt.env, err, tt.want)
		}
	}
}

// --help prints every setting and returns a usage error with no message.
func TestParseHelp(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--help", "-h"} {
		var v values
		var out bytes.Buffer
		_, err := settings.Parse("tool cmd", options(&v), []string{arg}, envOf(), &out)
		var ue *settings.UsageError
		if !errors.As(err, &ue) || ue.Msg != "" {
			t.Errorf("%s: err = %v, want a usage error with no message", arg, err)
		}
		for _, want := range []string{"usage: tool cmd [flags]", "--name", "--count", "(environment only)", "(default anon)", `(default "")`} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: help does not contain %q:\n%s", arg, want, out.String())
			}
		}
	}
}

func TestBad(t *testing.T) {
	t.Parallel()
	err := settings.Bad("tool cmd", errors.Join(errors.New("A: wrong"), errors.New("B: wrong")))
	var ue *settings.UsageError
	if !errors.As(err, &ue) || ue.Msg != "tool cmd: bad settings: A: wrong;B: wrong" {
		t.Errorf("Bad = %q", err)
	}
}

func TestParsers(t *testing.T) {
	t.Parallel()
	var n int64
	for in, want := range map[string]int64{"20MiB": 20 << 20, "20 MiB": 20 << 20, "512KiB": 512 << 10, "1000": 1000, "1GB": 1e9, "auto": -1} {
		if err := settings.AutoByteSize(&n)(in); err != nil || n != want {
			t.Errorf("AutoByteSize(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"0", "-1", "20XB", "", "auto"} {
		if err := settings.ByteSize(&n)(in); err == nil {
			t.Errorf("ByteSize(%q) accepted", in)
		}
	}
	var d time.Duration
	for in, want := range map[string]time.Duration{"60s": time.Minute, "90": 90 * time.Second, "15m": 15 * time.Minute} {
		if err := settings.Duration(&d, 0)(in); err != nil || d != want {
			t.Errorf("Duration(%q) = %s, %v; want %s", in, d, err, want)
		}
	}
	if err := settings.Duration(&d, time.Second)("500ms"); err == nil || err.Error() != "must be at least 1s" {
		t.Errorf("Duration below its minimum: %v", err)
	}
	var l []string
	if err := settings.List(&l)(" a, ,b ,"); err != nil || fmt.Sprint(l) != "[a b]" {
		t.Errorf("List = %q, %v", l, err)
	}
	var s string
	for in, ok := range map[string]bool{"http://h:1/p": true, "https://h": true, "h:4317": false, "ftp://h": false, "": true} {
		if err := settings.HTTPURL(&s, false)(in); (err == nil) != ok {
			t.Errorf("HTTPURL(%q): %v", in, err)
		}
	}
	for in, want := range map[string]string{"off": "", "": "", ":9090": ":9090", "127.0.0.1:0": "127.0.0.1:0"} {
		if err := settings.ListenAddr(&s)(in); err != nil || s != want {
			t.Errorf("ListenAddr(%q) = %q, %v", in, s, err)
		}
	}
	var f float64
	for in, ok := range map[string]bool{"0": true, "1": true, "0.5": true, "1.5": false, "-0.1": false} {
		if err := settings.Probability(&f)(in); (err == nil) != ok {
			t.Errorf("Probability(%q): %v", in, err)
		}
	}
	var i int
	for in, want := range map[string]int{"auto": -1, "AUTO": -1, "0": 0, "7": 7} {
		if err := settings.AutoInt(&i)(in); err != nil || i != want {
			t.Errorf("AutoInt(%q) = %d, %v", in, i, err)
		}
	}
}

func ExampleParse() {
	var (
		addr    string
		workers int
	)
	opts := []settings.Option{
		{Env: "LISTEN_ADDR", Default: ":8080", Usage: "where to listen, or off", Parse: settings.ListenAddr(&addr)},
		{Env: "WORKERS", Default: "4", Usage: "requests served at once", Parse: settings.PositiveInt(&workers)},
	}
	getenv := func(name string) string { return map[string]string{"WORKERS": "8"}[name] }
	_, err := settings.Parse("server run", opts, []string{"--listen-addr", "off"}, getenv, os.Stderr)
	fmt.Printf("%q %d %v\n", addr, workers, err)

	_, err = settings.Parse("server run", opts, nil, func(string) string { return "many" }, os.Stderr)
	fmt.Println(err)
	// Output:
	// "" 8 <nil>
	// server run: bad settings: LISTEN_ADDR="many": want host:port, ":9090" or "off"; WORKERS="many": want a positive whole number
}
