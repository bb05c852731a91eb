package event

import (
	"testing"
	"time"
)

func TestParseTimeWithoutZone(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]time.Time{
		`"2026-11-24T01:51:45.941980"`: time.Date(2026, 11, 24, 1, 51, 45, 941980000, time.UTC),
		`"2026-11-24T01:51:45.941Z"`:   time.Date(2026, 11, 24, 1, 51, 45, 941000000, time.UTC),
		`"2026-11-24T01:51:45+01:00"`:  time.Date(2026, 11, 24, 0, 51, 45, 0, time.UTC),
		`"yesterday"`:                  {},
	} {
		if got := parseTime([]byte(raw)); !got.Equal(want) {
			t.Errorf("parseTime(%s) = %v, want %v", raw, got, want)
		}
	}
}
