package httpapi

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxServerDelay bounds any delay a server asks for, before the client's own cap
// (RetryMax) applies.
const MaxServerDelay = 24 * time.Hour

// ParseRetryAfter parses a Retry-After header: delay-seconds or an HTTP date relative to
// now, at most MaxServerDelay. ok is false for an absent or malformed value. Past dates
// give 0.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, false
		}
		const maxSecs = uint64(MaxServerDelay / time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), MaxServerDelay), true
}

// Backoff is the full-jitter wait before retry number attempt (1-based): a uniform
// random duration in [0, min(limit, initial·2^(attempt-1))), or 0 if that is not
// positive. Whether a delay the server asked for replaces it is the client's choice.
func Backoff(attempt int, initial, limit time.Duration) time.Duration {
	ceiling := limit
	if attempt-1 < 62 {
		if d := initial << (attempt - 1); d > 0 && d < ceiling {
			ceiling = d
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling)
}

// Sleep waits d, or less if ctx ends first, and reports whether it waited all of d.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// CtxErr is ctx's error, joined with its cause when the cause says more (a client's
// timeout sentinel given to context.WithTimeoutCause); nil while ctx is live.
func CtxErr(ctx context.Context) error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, err) {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// CtxDoneErr is the cause of a call that ctx ended: CtxErr(ctx), wrapping last, the last
// attempt's error, too if there was one.
func CtxDoneErr(ctx context.Context, last error) error {
	if last == nil {
		return CtxErr(ctx)
	}
	return fmt.Errorf("%w (last attempt: %w)", CtxErr(ctx), last)
}
