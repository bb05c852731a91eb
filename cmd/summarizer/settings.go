package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/summarizer/summarizer/worker"
)

// usageError is a bad command line or setting: printed as one line, exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// option is one setting: an environment variable, overridden by the flag of
// the same name in kebab case. Secrets have no flag: process arguments are
// visible to every user of the machine.
type option struct {
	env    string
	def    string
	usage  string
	secret bool
	// envOnly: no flag, like a secret, but the value is shown in errors.
	envOnly bool
	flag    string // the flag's name when it is not the kebab case of env
	isBool  bool   // a flag that needs no value: --dry-run means --dry-run=true
	alias   string // a second flag name
	parse   func(string) error
}

// rawFlag holds a flag's text; for boolean flags a bare --name is "true".
type rawFlag struct {
	v      string
	isBool bool
}

func (r *rawFlag) String() string     { return r.v }
func (r *rawFlag) Set(v string) error { r.v = v; return nil }
func (r *rawFlag) IsBoolFlag() bool   { return r.isBool }

func (o option) flagName() string {
	if o.flag != "" {
		return o.flag
	}
	return strings.ReplaceAll(strings.ToLower(o.env), "_", "-")
}

// parseOptions reads opts from getenv and args. It returns the remaining
// arguments, or a usageError listing every bad setting in one line.
func parseOptions(cmd string, opts []option, args []string, getenv func(string) string, stderr io.Writer) ([]string, error) {
	fs := flag.NewFlagSet("summarizer "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	raw := map[string]*rawFlag{}
	for _, o := range opts {
		if o.secret || o.envOnly {
			continue
		}
		raw[o.env] = &rawFlag{isBool: o.isBool}
		fs.Var(raw[o.env], o.flagName(), "")
		if o.alias != "" {
			fs.Var(raw[o.env], o.alias, "")
		}
	}
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	// Flags may come after positional arguments too: parse, take one
	// positional, parse the rest again.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, &usageError{fmt.Sprintf("summarizer %s: %v (see --help)", cmd, err)}
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if *help {
		printHelp(stderr, cmd, opts)
		return nil, &usageError{""}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var problems []string
	for _, o := range opts {
		v := o.def
		if e, ok := lookup(getenv, o.env); ok {
			v = e
		}
		if p := raw[o.env]; p != nil && (set[o.flagName()] || (o.alias != "" && set[o.alias])) {
			v = p.v
		}
		if err := o.parse(strings.TrimSpace(v)); err != nil {
			shown := v
			if o.secret {
				shown = "***"
			}
			problems = append(problems, fmt.Sprintf("%s=%q: %v", o.env, shown, err))
		}
	}
	if len(problems) > 0 {
		return nil, &usageError{fmt.Sprintf("summarizer %s: bad settings: %s", cmd, strings.Join(problems, "; "))}
	}
	return positional, nil
}

func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

func printHelp(w io.Writer, cmd string, opts []option) {
	fmt.Fprintf(w, "usage: summarizer %s [flags]\n\nEvery setting is an environment variable; the flag overrides it.\n\n", cmd)
	for _, o := range opts {
		flagName := "--" + o.flagName()
		if o.secret || o.envOnly {
			flagName = "(environment only)"
		}
		def := o.def
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  %-24s %-28s %s (default %s)\n", o.env, flagName, o.usage, def)
	}
}

// Parsers that store into a destination.

func str(dst *string) func(string) error {
	return func(v string) error { *dst = v; return nil }
}

func required(dst *string) func(string) error {
	return func(v string) error {
		if v == "" {
			return errors.New("required")
		}
		*dst = v
		return nil
	}
}

func oneOf(dst *string, allowed ...string) func(string) error {
	return func(v string) error {
		for _, a := range allowed {
			if v == a {
				*dst = v
				return nil
			}
		}
		return fmt.Errorf("want one of %s", strings.Join(allowed, ", "))
	}
}

func nonNegativeInt(dst *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("want a whole number, 0 or more")
		}
		*dst = n
		return nil
	}
}

func nonNegativeFloat(dst *float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return errors.New("want a number, 0 or more")
		}
		*dst = f
		return nil
	}
}

// autoInt parses "auto" (stored as -1) or a whole number, 0 or more.
func autoInt(dst *int) func(string) error {
	return func(v string) error {
		if strings.EqualFold(v, "auto") {
			*dst = -1
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New(`want "auto" or a whole number, 0 or more`)
		}
		*dst = n
		return nil
	}
}

func positiveFloat(dst *float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return errors.New("want a number above 0")
		}
		*dst = f
		return nil
	}
}

func positiveInt(dst *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return errors.New("want a positive whole number")
		}
		*dst = n
		return nil
	}
}

func boolean(dst *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		*dst = b
		return nil
	}
}

// duration accepts Go durations ("90s", "15m") and whole seconds ("90").
func duration(dst *time.Duration, minimum time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			n, nerr := strconv.Atoi(v)
			if nerr != nil {
				return errors.New(`want a duration like "60s" or "15m"`)
			}
			d = time.Duration(n) * time.Second
		}
		if d < minimum {
			return fmt.Errorf("must be at least %s", minimum)
		}
		*dst = d
		return nil
	}
}

// byteSize accepts "20971520", "20MiB", "20 MiB", "512KiB", "1GB".
// autoByteSize is byteSize that also takes "auto" (stored as -1).
func autoByteSize(dst *int64) func(string) error {
	return func(v string) error {
		if strings.EqualFold(v, "auto") {
			*dst = -1
			return nil
		}
		return byteSize(dst)(v)
	}
}

// accountOrNone takes a 12-digit AWS account ID, "none" (stored as
// "none"), or "" (the default, resolved later).
func accountOrNone(dst *string) func(string) error {
	return func(v string) error {
		if v != "" && v != "none" && !worker.IsAccountID(v) {
			return errors.New(`want a 12-digit account ID or "none"`)
		}
		*dst = v
		return nil
	}
}

func byteSize(dst *int64) func(string) error {
	return func(v string) error {
		s := strings.ReplaceAll(strings.TrimSpace(v), " ", "")
		mult := int64(1)
		for _, u := range []struct {
			suffix string
			mult   int64
		}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
			if strings.HasSuffix(s, u.suffix) {
				s, mult = strings.TrimSuffix(s, u.suffix), u.mult
				break
			}
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return errors.New(`want a size like "20MiB" or a number of bytes`)
		}
		*dst = n * mult
		return nil
	}
}

func list(dst *[]string) func(string) error {
	return func(v string) error {
		*dst = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				*dst = append(*dst, p)
			}
		}
		return nil
	}
}

func httpURL(dst *string, req bool) func(string) error {
	return func(v string) error {
		if v == "" {
			if req {
				return errors.New("required")
			}
			*dst = ""
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("want an absolute http(s) URL")
		}
		*dst = v
		return nil
	}
}

func rate(dst *float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return errors.New("want a probability between 0 and 1")
		}
		*dst = f
		return nil
	}
}

func listenAddr(dst *string) func(string) error {
	return func(v string) error {
		if v == "" || v == "off" {
			*dst = ""
			return nil
		}
		if i := strings.LastIndex(v, ":"); i < 0 {
			return errors.New(`want host:port, ":9090" or "off"`)
		}
		*dst = v
		return nil
	}
}
