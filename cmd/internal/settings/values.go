package settings

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The parsers below check a setting's text and store its value in dst; their
// errors say what is wanted, and Parse prefixes them with the setting.

// String takes any text, the empty one included.
func String(dst *string) func(string) error {
	return func(v string) error { *dst = v; return nil }
}

// Required takes any text but the empty one.
func Required(dst *string) func(string) error {
	return func(v string) error {
		if v == "" {
			return errors.New("required")
		}
		*dst = v
		return nil
	}
}

// OneOf takes one of allowed, exactly.
func OneOf(dst *string, allowed ...string) func(string) error {
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

// NonNegativeInt takes a whole number, 0 or more.
func NonNegativeInt(dst *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("want a whole number, 0 or more")
		}
		*dst = n
		return nil
	}
}

// NonNegativeFloat takes a number, 0 or more.
func NonNegativeFloat(dst *float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return errors.New("want a number, 0 or more")
		}
		*dst = f
		return nil
	}
}

// AutoInt takes "auto" (stored as -1) or a whole number, 0 or more.
func AutoInt(dst *int) func(string) error {
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

// PositiveFloat takes a finite number above 0.
func PositiveFloat(dst *float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return errors.New("want a number above 0")
		}
		*dst = f
		return nil
	}
}

// PositiveInt takes a whole number above 0.
func PositiveInt(dst *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return errors.New("want a positive whole number")
		}
		*dst = n
		return nil
	}
}

// Bool takes what strconv.ParseBool takes: true, false, 1, 0, ...
func Bool(dst *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		*dst = b
		return nil
	}
}

// Duration takes Go durations ("90s", "15m") and whole seconds ("90"), at
// least minimum.
func Duration(dst *time.Duration, minimum time.Duration) func(string) error {
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

// ByteSize takes a size above 0: "20971520", "20MiB", "20 MiB", "512KiB",
// "1GB".
func ByteSize(dst *int64) func(string) error {
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

// AutoByteSize is ByteSize that also takes "auto" (stored as -1).
func AutoByteSize(dst *int64) func(string) error {
	return func(v string) error {
		if strings.EqualFold(v, "auto") {
			*dst = -1
			return nil
		}
		return ByteSize(dst)(v)
	}
}

// List takes a comma-separated list; items are trimmed, empty ones dropped.
func List(dst *[]string) func(string) error {
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

// HTTPURL takes an absolute http or https URL, or nothing unless req.
func HTTPURL(dst *string, req bool) func(string) error {
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

// Probability takes a number between 0 and 1.
func Probability(dst *float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return errors.New("want a probability between 0 and 1")
		}
		*dst = f
		return nil
	}
}

// ListenAddr takes host:port (":9090"), or "off" or nothing, both stored as
// "": no listener.
func ListenAddr(dst *string) func(string) error {
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
