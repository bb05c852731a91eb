package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/summarizer/summarizer/queue"
	"github.com/summarizer/summarizer/worker/event"
)

// cmdReplay is `summarizer replay`: dead letters back to the source queue.
func cmdReplay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		s       settings
		cfg     queue.ReplayConfig
		dryRun  bool
		force   bool
		reasons []string
	)
	opts := []option{
		{env: "DLQ_URL", flag: "from", usage: "dead-letter queue (default: the RedrivePolicy of --to); any other is refused", parse: str(&cfg.From)},
		{env: "QUEUE_URL", flag: "to", usage: "queue the messages go back to", parse: required(&cfg.To)},
		{env: "REPLAY_MAX", flag: "max", def: "0", usage: "most messages moved; 0 means all", parse: nonNegativeInt(&cfg.Max)},
		{env: "REPLAY_DRY_RUN", flag: "dry-run", def: "false", isBool: true, usage: "list messages with their failure reason, move nothing, leave every one visible again", parse: boolean(&dryRun)},
		{env: "REPLAY_REASON", flag: "reason", usage: "comma list of summarizer.reason values to move (default: all); an unknown one is refused", parse: list(&reasons)},
		{env: "REPLAY_FORCE", flag: "force", def: "false", isBool: true, usage: "also move messages whose summarizer.source_queue is another queue than --to", parse: boolean(&force)},
		{env: "REPLAY_RATE", flag: "rate", def: "0", usage: "most messages moved per second; 0 means no limit", parse: nonNegativeFloat(&cfg.Rate)},
		{env: "REPLAY_HOLD", flag: "hold", def: "30s", usage: "visibility of the messages a replay holds, extended while it runs; those of a killed replay reappear after it", parse: duration(&cfg.Hold, time.Second)},
		{env: "REPLAY_WAIT", flag: "wait", def: "2m", usage: "how long to wait for DLQ messages in flight elsewhere (a killed replay's) to come back", parse: duration(&cfg.Wait, time.Second)},
		{env: "LOG_LEVEL", def: "info", usage: "debug, info, warn or error", parse: oneOf(&s.LogLevel, "debug", "info", "warn", "error")},
		{env: "LOG_FORMAT", def: "json", usage: "json or console", parse: oneOf(&s.LogFormat, "json", "console")},
	}
	rest, err := parseOptions("replay", opts, args, getenv, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("summarizer replay: unexpected argument %q", rest[0])}
	}
	if cfg.Hold > 12*time.Hour || cfg.Hold < 3*time.Second {
		return &usageError{"summarizer replay: bad settings: REPLAY_HOLD: between 3s and 12h (SQS's visibility limit)"}
	}
	cfg.DryRun, cfg.Reasons, cfg.Force = dryRun, reasons, force
	if err := cfg.Validate(); err != nil {
		return &usageError{"summarizer replay: bad settings: " + oneLine(err)}
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
		return &usageError{"summarizer " + oneLine(err)} // "summarizer replay refused: ..."
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
