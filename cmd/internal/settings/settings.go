package settings

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// UsageError is a bad command line or setting: its message is one line, which
// the command prints before it exits with code 2. After --help the message is
// empty: the help has been printed already.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Bad is the usage error of a setting that its parser accepted but that
// fails later (a rule between settings, a client that refuses it): "NAME:
// bad settings: ERR", with err's lines joined into one.
func Bad(name string, err error) error {
	return &UsageError{Msg: name + ": bad settings: " + oneLine(err)}
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", ";")
}

// Option is one setting: an environment variable, overridden by the flag of
// the same name in kebab case. Secrets have no flag: process arguments are
// visible to every user of the machine.
type Option struct {
	Env     string // the environment variable
	Default string // the text used when neither the variable nor the flag is set
	Usage   string // one line for --help
	// Secret: no flag, and the value is never shown in errors.
	Secret bool
	// EnvOnly: no flag, like a secret, but the value is shown in errors.
	EnvOnly  bool
	Flag     string // the flag's name when it is not the kebab case of Env
	BoolFlag bool   // a flag that needs no value: --dry-run means --dry-run=true
	Alias    string // a second flag name
	// Parse checks the text, trimmed of spaces, and stores the value; its
	// error says what is wanted.
	Parse func(string) error
}

// rawFlag holds a flag's text; for boolean flags a bare --name is "true".
type rawFlag struct {
	v      string
	isBool bool
}

func (r *rawFlag) String() string     { return r.v }
func (r *rawFlag) Set(v string) error { r.v = v; return nil }
func (r *rawFlag) IsBoolFlag() bool   { return r.isBool }

func (o Option) flagName() string {
	if o.Flag != "" {
		return o.Flag
	}
	return strings.ReplaceAll(strings.ToLower(o.Env), "_", "-")
}

// Parse reads opts from getenv and args, for the command called name (as in
// "summarizer run"): a flag wins over its variable, which wins over the
// default, and an empty variable is unset. Flags may come before or after
// the positional arguments, which it returns. Every bad setting is reported
// in one *UsageError; --help (or -h) prints Help to help and returns a
// *UsageError with no message.
func Parse(name string, opts []Option, args []string, getenv func(string) string, help io.Writer) ([]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	raw := map[string]*rawFlag{}
	for _, o := range opts {
		if o.Secret || o.EnvOnly {
			continue
		}
		raw[o.Env] = &rawFlag{isBool: o.BoolFlag}
		fs.Var(raw[o.Env], o.flagName(), "")
		if o.Alias != "" {
			fs.Var(raw[o.Env], o.Alias, "")
		}
	}
	wantHelp := fs.Bool("help", false, "")
	fs.BoolVar(wantHelp, "h", false, "")
	// Flags may come after positional arguments too: parse, take one
	// positional, parse the rest again.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, &UsageError{Msg: fmt.Sprintf("%s: %v (see --help)", name, err)}
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if *wantHelp {
		Help(help, name, opts)
		return nil, &UsageError{}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var problems []string
	for _, o := range opts {
		v := o.Default
		if e := getenv(o.Env); e != "" {
			v = e
		}
		if p := raw[o.Env]; p != nil && (set[o.flagName()] || (o.Alias != "" && set[o.Alias])) {
			v = p.v
		}
		if err := o.Parse(strings.TrimSpace(v)); err != nil {
			shown := v
			if o.Secret {
				shown = "***"
			}
			problems = append(problems, fmt.Sprintf("%s=%q: %v", o.Env, shown, err))
		}
	}
	if len(problems) > 0 {
		return nil, &UsageError{Msg: fmt.Sprintf("%s: bad settings: %s", name, strings.Join(problems, "; "))}
	}
	return positional, nil
}

// Help writes the usage of the command called name: one line per setting
// with its variable, its flag (or "(environment only)"), usage and default.
func Help(w io.Writer, name string, opts []Option) {
	fmt.Fprintf(w, "usage: %s [flags]\n\nEvery setting is an environment variable; the flag overrides it.\n\n", name)
	for _, o := range opts {
		flagName := "--" + o.flagName()
		if o.Secret || o.EnvOnly {
			flagName = "(environment only)"
		}
		def := o.Default
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  %-24s %-28s %s (default %s)\n", o.Env, flagName, o.Usage, def)
	}
}
