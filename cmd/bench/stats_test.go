package main

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestCensoredPercentiles(t *testing.T) {
	t.Parallel()
	seq := func(from, to float64) []float64 {
		var out []float64
		for x := from; x <= to; x++ {
			out = append(out, x)
		}
		return out
	}
	tests := []struct {
		name          string
		xs, censored  []float64
		p50, p99, max float64
		lower         []string
	}{
		{name: "exact", xs: seq(1, 100), p50: 50, p99: 99, max: 100},
		{name: "one value", xs: []float64{7}, p50: 7, p99: 7, max: 7},
		// One unfinished message above every finished one: only the max is
		// unknown.
		{name: "censored above", xs: seq(1, 99), censored: []float64{150}, p50: 50, p99: 99, max: 150, lower: []string{"max"}},
		// Two censored at 40: they may be anywhere above 40, so p50 and up
		// are lower bounds.
		{name: "censored low", xs: seq(1, 98), censored: []float64{40, 40}, p50: 48, p99: 97, max: 98, lower: []string{"p50", "p95", "p99", "max"}},
		// A tie between a finished and a censored value: the finished one
		// ranks first.
		{name: "tie", xs: []float64{1, 2}, censored: []float64{2}, p50: 2, p99: 2, max: 2, lower: []string{"p95", "p99", "max"}},
		{name: "all censored", censored: []float64{5, 6}, p50: 5, p99: 6, max: 6, lower: []string{"p50", "p95", "p99", "max"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := censoredPercentiles(tt.xs, tt.censored)
			if p.P50 != tt.p50 || p.P99 != tt.p99 || p.Max != tt.max {
				t.Errorf("p50/p99/max = %v/%v/%v, want %v/%v/%v", p.P50, p.P99, p.Max, tt.p50, tt.p99, tt.max)
			}
			if !slices.Equal(p.LowerBound, tt.lower) {
				t.Errorf("lower bounds %v, want %v", p.LowerBound, tt.lower)
			}
			if p.N != len(tt.xs)+len(tt.censored) || p.Censored != len(tt.censored) {
				t.Errorf("N=%d censored=%d", p.N, p.Censored)
			}
		})
	}
}

func TestPercentilesEmpty(t *testing.T) {
	t.Parallel()
	p := percentiles(nil)
	if !math.IsNaN(p.P50) || p.N != 0 || pnum(p, "p50", 0) != "-" {
		t.Errorf("empty: %+v", p)
	}
}

func TestPercentilesUnsortedInput(t *testing.T) {
	t.Parallel()
	xs := []float64{5, 1, 4, 2, 3}
	p := percentiles(xs)
	if p.P50 != 3 || p.Max != 5 {
		t.Errorf("p50 %v max %v", p.P50, p.Max)
	}
	if !slices.Equal(xs, []float64{5, 1, 4, 2, 3}) {
		t.Error("input was reordered")
	}
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := schedule(start, 32, 97)
	if len(s) != 97 || !s[0].Equal(start) {
		t.Fatalf("len %d, first %v", len(s), s[0])
	}
	for i := 1; i < len(s); i++ {
		gap := s[i].Sub(s[i-1])
		if gap < 31249*time.Microsecond || gap > 31251*time.Microsecond {
			t.Fatalf("gap %d = %v, want 31.25ms", i, gap)
		}
	}
	// No drift: the last arrival is exactly (n-1)/rate after the first.
	if got := s[96].Sub(start); got != 3*time.Second {
		t.Errorf("last at %v, want 3s", got)
	}
	if schedule(start, 0, 10) != nil || schedule(start, 5, 0) != nil {
		t.Error("a zero rate or count plans nothing")
	}
}

func TestCountAt(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	times := []time.Time{at(3), at(1), {}, at(2), at(2)}
	got := countAt(times, []time.Time{at(0), at(1), at(2), at(2.5), at(3), at(9)})
	if want := []int{0, 1, 3, 3, 4, 4}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestSlope(t *testing.T) {
	t.Parallel()
	if s := slope([]float64{0, 1, 2, 3}, []float64{1, 3, 5, 7}); s != 2 {
		t.Errorf("slope %v, want 2", s)
	}
	if s := slope([]float64{0, 1, 2, 3}, []float64{4, 4, 4, 4}); s != 0 {
		t.Errorf("flat slope %v", s)
	}
	if !math.IsNaN(slope([]float64{1}, []float64{1})) || !math.IsNaN(slope([]float64{2, 2}, []float64{1, 5})) {
		t.Error("want NaN without two distinct xs")
	}
}

func TestBacklogOf(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	acked, received, written := map[int]time.Time{}, map[int]time.Time{}, map[int]time.Time{}
	// 10 arrivals per second for 10 s; a consumer that receives every
	// other one at once and never the rest: the depth grows 5/s.
	for i := range 100 {
		acked[i] = at(float64(i) / 10)
		if i%2 == 0 {
			received[i] = at(float64(i)/10 + 0.01)
			written[i] = at(float64(i)/10 + 1)
		}
	}
	bl := backlogOf(t0, at(9.9), at(12), acked, received, written)
	if math.Abs(bl.DepthSlope-5) > 0.3 {
		t.Errorf("depth slope %v, want about 5/s", bl.DepthSlope)
	}
	if bl.DepthAtLastSend != 50 || bl.DepthMax != 50 {
		t.Errorf("depth at last send %d, max %d, want 50", bl.DepthAtLastSend, bl.DepthMax)
	}
	if bl.OutstandingAtLastSend != 55 { // 45 written by 9.9 s
		t.Errorf("outstanding at last send %d, want 55", bl.OutstandingAtLastSend)
	}
	if last := bl.Series[len(bl.Series)-1]; len(bl.Series) != 25 || last != [3]float64{12, 50, 50} {
		t.Errorf("series %v", bl.Series)
	}
}

func TestSustained(t *testing.T) {
	t.Parallel()
	ok := loadPoint{Rate: 30, Backlog: backlog{DepthSlope: 0.1, DepthLastQuart: 3}}
	if !sustained(&ok) {
		t.Error("a flat, shallow queue with everything written is sustained")
	}
	for name, p := range map[string]loadPoint{
		"growing":    {Rate: 30, Backlog: backlog{DepthSlope: 1, DepthLastQuart: 3}},
		"deep":       {Rate: 30, Backlog: backlog{DepthSlope: 0, DepthLastQuart: 20}},
		"unfinished": {Rate: 30, Unfinished: 1, Backlog: backlog{}},
		"lost":       {Rate: 30, SendFailed: 1, Backlog: backlog{}},
	} {
		if sustained(&p) {
			t.Errorf("%s: sustained", name)
		}
	}
}
