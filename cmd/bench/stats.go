package main

import (
	"math"
	"slices"
	"time"
)

// pct is a distribution summary. A field named in LowerBound is only a lower
// bound: some messages were still unfinished when the run was cut, and the
// rank of that percentile falls on one of them (see censoredPercentiles).
type pct struct {
	P50        float64  `json:"p50"`
	P95        float64  `json:"p95"`
	P99        float64  `json:"p99"`
	Max        float64  `json:"max"`
	N          int      `json:"n,omitempty"`
	Censored   int      `json:"censored,omitempty"`
	LowerBound []string `json:"lower_bound,omitempty"`
}

// percentiles summarizes xs by nearest rank; NaN fields when xs is empty.
func percentiles(xs []float64) pct {
	return censoredPercentiles(xs, nil)
}

// censoredPercentiles summarizes the finished values xs together with
// censored values: lower bounds of values not yet known (a message still
// unfinished when the run was cut counts as at least its age at the cut).
// Raising a censored value can only raise order statistics, so a percentile
// is exact when no censored value ranks at or below it, and a lower bound
// otherwise (named in LowerBound).
func censoredPercentiles(xs, censored []float64) pct {
	n := len(xs) + len(censored)
	if n == 0 {
		return pct{P50: math.NaN(), P95: math.NaN(), P99: math.NaN(), Max: math.NaN()}
	}
	type v struct {
		x   float64
		cen bool
	}
	all := make([]v, 0, n)
	for _, x := range xs {
		all = append(all, v{x: x})
	}
	for _, x := range censored {
		all = append(all, v{x: x, cen: true})
	}
	// Ties: a finished value before a censored one (the censored one may
	// only grow).
	slices.SortFunc(all, func(a, b v) int {
		switch {
		case a.x < b.x:
			return -1
		case a.x > b.x:
			return 1
		case !a.cen && b.cen:
			return -1
		case a.cen && !b.cen:
			return 1
		}
		return 0
	})
	firstCensored := n
	for i, e := range all {
		if e.cen {
			firstCensored = i
			break
		}
	}
	p := pct{N: n, Censored: len(censored)}
	at := func(name string, q float64) float64 {
		i := nearestRank(q, n)
		if i >= firstCensored {
			p.LowerBound = append(p.LowerBound, name)
		}
		return all[i].x
	}
	p.P50, p.P95, p.P99 = at("p50", 0.50), at("p95", 0.95), at("p99", 0.99)
	p.Max = at("max", 1)
	return p
}

// nearestRank is the index of the q-quantile of n sorted values.
func nearestRank(q float64, n int) int {
	i := int(math.Ceil(q*float64(n))) - 1
	return min(max(i, 0), n-1)
}

// lowerBound reports whether the named field of p is only a lower bound.
func (p pct) lowerBound(name string) bool { return slices.Contains(p.LowerBound, name) }

// schedule is the open-loop arrival plan: n arrivals at a steady rate per
// second from start, the i-th at start + i/rate. It never depends on how
// fast anything answers.
func schedule(start time.Time, rate float64, n int) []time.Time {
	if rate <= 0 || n <= 0 {
		return nil
	}
	out := make([]time.Time, n)
	for i := range out {
		out[i] = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
	}
	return out
}

// countAt returns, for each instant of at, how many of times are at or
// before it (times need not be sorted; zero times are never counted).
func countAt(times []time.Time, at []time.Time) []int {
	s := make([]time.Time, 0, len(times))
	for _, t := range times {
		if !t.IsZero() {
			s = append(s, t)
		}
	}
	slices.SortFunc(s, func(a, b time.Time) int { return a.Compare(b) })
	out := make([]int, len(at))
	for i, t := range at {
		out[i], _ = slices.BinarySearchFunc(s, t, func(e, t time.Time) int {
			if e.After(t) {
				return 1
			}
			return -1
		})
	}
	return out
}

// ticks returns from, from+step, ... up to and including to.
func ticks(from, to time.Time, step time.Duration) []time.Time {
	var out []time.Time
	for t := from; !t.After(to); t = t.Add(step) {
		out = append(out, t)
	}
	return out
}

// slope is the least-squares slope of ys over xs (units of y per unit of
// x); NaN with fewer than two distinct xs.
func slope(xs, ys []float64) float64 {
	n := min(len(xs), len(ys))
	if n < 2 {
		return math.NaN()
	}
	var mx, my float64
	for i := range n {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx float64
	for i := range n {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	if sxx == 0 {
		return math.NaN()
	}
	return sxy / sxx
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
