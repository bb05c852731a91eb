package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/summarizer/summarizer/cmd/internal/settings"
	"github.com/summarizer/summarizer/queue"
	"github.com/summarizer/summarizer/worker/event"
)

// cmdReplay is `summarizer replay`: dead letters back to the source queue.
func cmdReplay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		s       config
		cfg     queue.ReplayConfig
		dryRun  bool
		force   bool
		reasons []string
	)
	opts := []settings.Option{
		{Env: "DLQ_URL", Flag: "from", Usage: "dead-letter queue (default: the RedrivePolicy of --to); any other is refused", Parse: settings.String(&cfg.From)},
		{Env: "QUEUE_URL", Flag: "to", Usage: "queue the messages go back to", Parse: settings.Required(&cfg.To)},
		{Env: "REPLAY_MAX", Flag: "max", Default: "0", Usage: "most messages moved; 0 means all", Parse: settings.NonNegativeInt(&cfg.Max)},
		{Env: "REPLAY_DRY_RUN", Flag: "dry-run", Default: "false", BoolFlag: true, Usage: "list messages with their failure reason, move nothing, leave every one visible again", Parse: settings.Bool(&dryRun)},
		{Env: "REPLAY_REASON", Flag: "reason", Usage: "comma list of summarizer.reason values to move (default: all); an unknown one is refused", Parse: settings.List(&reasons)},
		{Env: "REPLAY_FORCE", Flag: "force", Default: "false", BoolFlag: true, Usage: "also move messages whose summarizer.source_queue is another queue than --to", Parse: settings.Bool(&force)},
		{Env: "REPLAY_RATE", Flag: "rate", Default: "0", Usage: "most messages moved per second; 0 means no limit", Parse: settings.NonNegativeFloat(&cfg.Rate)},
		{Env: "REPLAY_HOLD", Flag: "hold", Default: "30s", Usage: "visibility of the messages a replay holds, extended while it runs; those of a killed replay reappear after it", Parse: settings.Duration(&cfg.Hold, time.Second)},
		{Env: "REPLAY_WAIT", Flag: "wait", Default: "2m", Usage: "how long to wait for DLQ messages in flight elsewhere (a killed replay's) to come back", Parse: settings.Duration(&cfg.Wait, time.Second)},
		{Env: "LOG_LEVEL", Default: "info", Usage: "debug, info, warn or error", Parse: settings.OneOf(&s.LogLevel, "debug", "info", "warn", "error")},
		{Env: "LOG_FORMAT", Default: "json", Usage: "json or console", Parse: settings.OneOf(&s.LogFormat, "json", "console")},
	}
	rest, err := settings.Parse("summarizer replay", opts, args, getenv, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &settings.UsageError{Msg: fmt.Sprintf("summarizer replay: unexpected argument %q", rest[0])}
	}
	if cfg.Hold > 12*time.Hour || cfg.Hold < 3*time.Second {
		return &settings.UsageError{Msg: "summarizer replay: bad settings: REPLAY_HOLD: between 3s and 12h (SQS's visibility limit)"}
	}
	cfg.DryRun, cfg.Reasons, cfg.Force = dryRun, reasons, force
	if err := cfg.Validate(); err != nil {
		return settings.Bad("summarizer replay", err)
	}
	awsCfg, err := awsConfig(ctx, getenv)
	if err != nil {
		return err
	}
	client := newSQS(awsCfg, getenv)
	// Refused (exit 2) before anything moves: a --from that is not the
	// DLQ of --to. Replay checks again; this resolves --from for the header.
	if cfg.From, err = queue.ReplaySource(ctx, client, cfg.To, cfg.From); err != nil {
		return replayRefusal(err)
	}
	verb := "moving"
	if cfg.DryRun {
		verb = "listing (dry run)"
	}
	fmt.Fprintf(stdout, "%s messages from %s to %s\n", verb, cfg.From, cfg.To)
	cfg.Progress = func(msg string) { fmt.Fprintln(stdout, msg) }
	st, err := queue.Replay(ctx, client, cfg, func(it queue.ReplayItem) {
		state := "moved"
		if !it.Moved {
			state = "left"
		}
		line := fmt.Sprintf("%s\t%s\treason=%s\tfailed_at=%s\t%s", state, it.ID, orDash(it.Reason), orDash(it.FailedAt), describeBody(it.Body))
		if it.Skipped != "" {
			line += "\t(" + it.Skipped + ")"
		}
		if it.Error != "" {
			line += "\terror=" + strings.ReplaceAll(it.Error, "\n", " ")
		}
		fmt.Fprintln(stdout, line)
	})
	fmt.Fprintf(stdout, "seen %d, moved %d, left in the DLQ %d\n", st.Seen, st.Moved, st.Left)
	if err == nil && st.InFlight > 0 {
		return fmt.Errorf("%d message(s) still in flight in the DLQ were not replayed: run replay again later", st.InFlight)
	}
	return replayRefusal(err)
}

// replayRefusal makes a refused replay a usage error (exit 2); other
// errors stay as they are.
func replayRefusal(err error) error {
	if errors.Is(err, queue.ErrReplayRefused) {
		return &settings.UsageError{Msg: "summarizer " + strings.ReplaceAll(err.Error(), "\n", ";")} // "summarizer replay refused: ..."
	}
	return err
}

// describeBody names the objects a message is about, or says it cannot.
func describeBody(body string) string {
	env, err := event.Parse([]byte(body))
	switch {
	case err != nil:
		b := body
		if len(b) > 60 {
			b = b[:60] + "…"
		}
		return fmt.Sprintf("unparseable body %q", b)
	case env.TestEvent:
		return "s3:TestEvent"
	}
	var objs []string
	for _, r := range env.Records {
		objs = append(objs, "s3://"+r.Bucket+"/"+r.Key)
	}
	return strings.Join(objs, " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
