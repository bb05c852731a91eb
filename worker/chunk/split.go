package chunk

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits and defaults of Config.
const (
	// MinBudget is the smallest Config.Budget accepted.
	MinBudget = 16
	// OverlapMaxDefault caps the default overlap, Budget/10.
	OverlapMaxDefault = 100
)

// ErrUnsplittable is returned, wrapped, by [Split] and [SplitSpans] when a
// single character costs more than the budget on its own, which only a
// custom Config.Count can make happen.
var ErrUnsplittable = errors.New("a single character exceeds the token budget")

// Config says how big chunks may be.
type Config struct {
	// Budget is the most tokens a chunk may hold, as counted by Count,
	// overlap included. Required, at least MinBudget.
	Budget int
	// Overlap is how many tokens of context, in whole sentences, each chunk
	// after the first repeats from the end of the previous one, so that the
	// model sees what a chunk's first sentences refer to. 0 means the
	// default, Budget/10 capped at OverlapMaxDefault; a negative value means
	// no overlap. It may not exceed Budget/2. The overlap never makes a chunk
	// exceed Budget: it is shrunk, or dropped, to make room.
	Overlap int
	// Count counts the tokens of a string; nil means EstimateTokens. Split
	// assumes it is roughly monotone (a string costs at least as much as any
	// part of it) to search quickly, but checks every chunk it returns.
	Count func(string) int
}

// Validate reports every problem of the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Budget < MinBudget {
		errs = append(errs, fmt.Errorf("chunk budget %d: want at least %d tokens", c.Budget, MinBudget))
	}
	if c.Overlap > c.Budget/2 {
		errs = append(errs, fmt.Errorf("chunk overlap %d: want at most half the budget (%d)", c.Overlap, c.Budget/2))
	}
	return errors.Join(errs...)
}

// overlap returns the overlap in tokens after defaults.
func (c Config) overlap() int {
	switch {
	case c.Overlap < 0:
		return 0
	case c.Overlap == 0:
		return min(c.Budget/10, OverlapMaxDefault)
	}
	return c.Overlap
}

// Span locates one chunk in the text given to [SplitSpans], in byte offsets.
// The chunk is text[OverlapStart:End]: the context repeated from the
// previous chunk, text[OverlapStart:Start], then the new text,
// text[Start:End]. Spans are in order and the new texts neither overlap nor
// leave anything out: what lies between the End of one span and the Start of
// the next (and before the first and after the last) is white space only,
// often nothing when a word had to be cut. Every chunk starts and ends with a
// non-space character.
type Span struct {
	OverlapStart int // == Start for the first chunk and when there is no overlap
	Start        int
	End          int
}

// Split splits text into chunks of at most cfg.Budget tokens each (as
// counted by cfg.Count), in order.
//
// It prefers boundaries in this order: speaker turns (lines like
// "Alice: ..."), blank lines, line breaks after a sentence, sentences,
// clauses, line breaks inside a sentence, then words; a single word longer
// than the budget is split between runes (never inside a UTF-8 sequence). A
// chunk ends at the strongest boundary it can reach, except that a unit (a
// turn, a paragraph, a sentence) too big for any chunk is not protected: it
// will be cut anyway, so the chunk is filled instead. When the last chunk
// comes out small, the boundary before it moves back to balance the two.
//
// Each chunk after the first starts with up to cfg.Overlap tokens of whole
// sentences from the end of the previous chunk; the overlap never makes a
// chunk exceed the budget. A text that fits returns one chunk equal to the
// trimmed text. Empty or white-space-only text returns nil. Chunks are
// substrings of text (white space inside them is kept as is) and valid UTF-8
// when text is. The only errors are an invalid cfg and [ErrUnsplittable].
func Split(text string, cfg Config) ([]string, error) {
	spans, err := SplitSpans(text, cfg)
	if err != nil || spans == nil {
		return nil, err
	}
	chunks := make([]string, len(spans))
	for i, s := range spans {
		chunks[i] = text[s.OverlapStart:s.End]
	}
	return chunks, nil
}

// SplitSpans is [Split] returning where the chunks are in text instead of
// the chunks themselves: chunk i is text[spans[i].OverlapStart:spans[i].End].
func SplitSpans(text string, cfg Config) ([]Span, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	count := cfg.Count
	if count == nil {
		count = EstimateTokens
	}
	lo, hi := trimmed(text)
	if lo == hi {
		return nil, nil
	}
	if count(text[lo:hi]) <= cfg.Budget {
		return []Span{{OverlapStart: lo, Start: lo, End: hi}}, nil
	}
	s := &splitter{
		text:    text,
		budget:  cfg.Budget,
		overlap: cfg.overlap(),
		count:   count,
		brks:    boundaries(text, lo, hi),
		lo:      lo,
	}
	for m := range s.next {
		s.next[m] = -1 // empty cache
	}
	return s.split()
}

// trimmed returns the bounds of text without leading and trailing space.
func trimmed(text string) (lo, hi int) {
	hi = len(strings.TrimRightFunc(text, unicode.IsSpace))
	lo = hi - len(strings.TrimLeftFunc(text[:hi], unicode.IsSpace))
	return lo, hi
}

// splitter holds the state of one SplitSpans call.
type splitter struct {
	text    string
	budget  int
	overlap int
	count   func(string) int
	brks    []brk // boundaries; the last one is the end of the text
	lo      int   // start of the trimmed text

	// next[m] caches the first boundary index >= nextFrom[m] whose level is
	// at least m.
	next, nextFrom [levelEnd + 1]int
}

// cursor is where the next chunk's new text starts.
type cursor struct {
	pos   int   // byte offset, never white space
	idx   int   // index of the last boundary at or before pos; -1 before the first
	level level // level of the boundary at pos; levelRune inside a word
}

func (s *splitter) split() ([]Span, error) {
	var spans []Span
	cur := cursor{pos: s.lo, idx: -1, level: levelEnd}
	for {
		ovStart := cur.pos
		if len(spans) > 0 {
			ovStart = s.overlapStart(spans[len(spans)-1], cur)
		}
		sp, next, err := s.chunk(cur, ovStart)
		if err != nil {
			return nil, err
		}
		spans = append(spans, sp)
		if next.idx == len(s.brks)-1 {
			break
		}
		cur = next
	}
	if len(spans) >= 2 {
		s.rebalance(spans)
	}
	return spans, nil
}

// fits reports whether text[from:to] is within the budget.
func (s *splitter) fits(from, to, budget int) bool {
	return s.count(s.text[from:to]) <= budget
}

// reach returns the index of the furthest boundary j in (idx, limit] such
// that text[from:brks[j].end] fits budget, or idx when there is none. It
// gallops then bisects, so it counts O(log n) strings, none much longer than
// twice the fitting text; it assumes the count grows with the text.
func (s *splitter) reach(from, idx, limit, budget int) int {
	good, bad := idx, limit+1
	for step := 1; ; step *= 2 {
		j := min(good+step, limit)
		if j <= good {
			return good // good == limit
		}
		if !s.fits(from, s.brks[j].end, budget) {
			bad = j
			break
		}
		good = j
	}
	for bad-good > 1 {
		m := int(uint(good+bad) >> 1)
		if s.fits(from, s.brks[m].end, budget) {
			good = m
		} else {
			bad = m
		}
	}
	return good
}

// firstAtLeast returns the index of the first boundary at or after index i
// whose level is at least m (the end of the text qualifies for every m).
func (s *splitter) firstAtLeast(m level, i int) int {
	if s.nextFrom[m] <= i && i <= s.next[m] {
		return s.next[m]
	}
	j := i
	for s.brks[j].level < m {
		j++
	}
	s.next[m], s.nextFrom[m] = j, i
	return j
}

// chunk returns the span of the chunk whose new text starts at cur, with
// its context from ovStart, and where the following chunk starts.
func (s *splitter) chunk(cur cursor, ovStart int) (Span, cursor, error) {
	last := len(s.brks) - 1
	w := s.reach(ovStart, cur.idx, last, s.budget)
	if w == cur.idx && ovStart < cur.pos {
		ovStart = cur.pos // the context leaves no room for the first word
		w = s.reach(ovStart, cur.idx, last, s.budget)
	}
	if w == cur.idx {
		return s.cutWord(cur)
	}
	j := s.choose(cur, w)
	if j != w && !s.fits(ovStart, s.brks[j].end, s.budget) {
		j = w // Count is not monotone here; w was checked
	}
	b := s.brks[j]
	return Span{OverlapStart: ovStart, Start: cur.pos, End: b.end},
		cursor{pos: b.pos, idx: j, level: b.level}, nil
}

// choose picks where a chunk whose new text starts at cur and may reach
// boundary w ends. Ending at boundary j cuts the units (turns, paragraphs,
// sentences, ...) of the levels above j's that contain it; its damage is the
// highest level of those units that started in this chunk and would fit in
// a chunk of their own: a unit too big for any chunk is cut anyway, and one
// that started before this chunk was cut already. choose returns the boundary
// with the least damage, the furthest of those on a tie.
func (s *splitter) choose(cur cursor, w int) int {
	if s.brks[w].level == levelEnd {
		return w
	}
	// first[m] and lastIn[m]: the first and last boundary of level >= m in
	// (cur.idx, w]; next[m]: the first one after the candidate.
	var first, lastIn, next [levelEnd]int
	var straddle [levelEnd]int8 // 0 unknown, 1 fits, -1 does not
	for m := levelWord; m < levelEnd; m++ {
		first[m], lastIn[m] = w+1, -1
		next[m] = s.firstAtLeast(m, w+1)
	}
	for j := cur.idx + 1; j <= w; j++ {
		for m := levelWord; m <= s.brks[j].level && m < levelEnd; m++ {
			if first[m] > w {
				first[m] = j
			}
			lastIn[m] = j
		}
	}
	best, bestDamage := w, levelEnd
	for j := w; j > cur.idx; j-- {
		lj := s.brks[j].level
		damage := levelRune
		for m := levelEnd - 1; m > lj; m-- {
			if cur.level < m && first[m] >= j {
				continue // the unit started before this chunk
			}
			fits := next[m] <= w
			if !fits {
				if straddle[m] == 0 {
					straddle[m] = -1
					u, uIdx := cur.pos, cur.idx
					if lastIn[m] >= 0 {
						u, uIdx = s.brks[lastIn[m]].pos, lastIn[m]
					}
					if s.reach(u, uIdx, next[m], s.budget) == next[m] {
						straddle[m] = 1
					}
				}
				fits = straddle[m] == 1
			}
			if fits {
				damage = m
				break
			}
		}
		if damage < bestDamage {
			best, bestDamage = j, damage
			if damage == levelRune {
				break // nothing further back can do better
			}
		}
		for m := levelWord; m <= lj && m < levelEnd; m++ {
			next[m] = j
		}
	}
	return best
}

// cutWord returns a chunk that ends inside the word at cur, which does not
// fit the budget on its own: as many whole runes as fit.
func (s *splitter) cutWord(cur cursor) (Span, cursor, error) {
	wordEnd := s.brks[cur.idx+1].end
	good, bad := cur.pos, wordEnd // good fits (trivially when empty), bad does not
	for step := 16; ; step *= 2 {
		q := s.runeStart(min(good+step, bad))
		if q <= good {
			break
		}
		if !s.fits(cur.pos, q, s.budget) {
			bad = q
			break
		}
		good = q
	}
	for {
		q := s.runeStart(int(uint(good+bad) >> 1))
		if q <= good {
			break
		}
		if s.fits(cur.pos, q, s.budget) {
			good = q
		} else {
			bad = q
		}
	}
	if good == cur.pos {
		_, size := utf8.DecodeRuneInString(s.text[cur.pos:])
		if !s.fits(cur.pos, cur.pos+size, s.budget) {
			return Span{}, cursor{}, fmt.Errorf("chunk: %q at byte %d costs %d tokens, budget %d: %w",
				s.text[cur.pos:cur.pos+size], cur.pos, s.count(s.text[cur.pos:cur.pos+size]), s.budget, ErrUnsplittable)
		}
		good = cur.pos + size // Count is not monotone here
	} else if s.fits(good, wordEnd, s.budget) {
		// The last cut of the word: halve the rest rather than leave a
		// sliver such as a lone "。".
		if q := s.balance(cur.pos, good, wordEnd); s.fits(cur.pos, q, s.budget) {
			good = q
		}
	}
	// The word may hold white space (a speaker label and the word after
	// it): trim it from the end of this chunk and the start of the next.
	end := len(strings.TrimRightFunc(s.text[cur.pos:good], unicode.IsSpace)) + cur.pos
	// text[wordEnd-1] is not white space, so next < wordEnd.
	next := good + len(s.text[good:wordEnd]) - len(strings.TrimLeftFunc(s.text[good:wordEnd], unicode.IsSpace))
	return Span{OverlapStart: cur.pos, Start: cur.pos, End: end}, cursor{pos: next, idx: cur.idx, level: levelRune}, nil
}

// balance returns the rune boundary q in (from, good] that makes
// text[from:q] and text[q:to] cost about the same, text[from:good] being the
// longest prefix that fits.
func (s *splitter) balance(from, good, to int) int {
	lo, hi := from, good // count(from:hi) >= count(hi:to) is assumed at hi
	for {
		q := s.runeStart(int(uint(lo+hi) >> 1))
		if q <= lo {
			break
		}
		if s.count(s.text[from:q]) >= s.count(s.text[q:to]) {
			hi = q
		} else {
			lo = q
		}
	}
	return hi
}

// runeStart returns the largest offset <= q that does not fall inside a
// valid UTF-8 sequence. Invalid bytes count as runes of their own.
func (s *splitter) runeStart(q int) int {
	for k := 1; k < utf8.UTFMax && q-k >= 0; k++ {
		if c := s.text[q-k]; utf8.RuneStart(c) {
			if c >= utf8.RuneSelf {
				if _, size := utf8.DecodeRuneInString(s.text[q-k:]); size > k {
					return q - k
				}
			}
			break
		}
	}
	return q
}

// overlapStart returns where the chunk whose new text starts at cur begins:
// the start of the earliest sentence of the previous chunk's new text such
// that the sentences from there to the end of prev cost at most the overlap.
// When the unit that starts at cur (a turn, a paragraph, ... of cur's level)
// fits in a chunk on its own but not after that context, the context is
// shortened, or dropped, so as not to cut the unit.
func (s *splitter) overlapStart(prev Span, cur cursor) int {
	if s.overlap <= 0 {
		return cur.pos
	}
	// Sentence starts in prev's new text, latest first, while they fit.
	var starts []int
	add := func(pos int) bool {
		if s.count(s.text[pos:prev.End]) > s.overlap {
			return false
		}
		starts = append(starts, pos)
		return true
	}
	i := cur.idx
	if i >= 0 && s.brks[i].pos == cur.pos {
		i--
	}
	for ; i >= 0 && s.brks[i].pos > prev.Start; i-- {
		if s.brks[i].level >= levelSentence && !add(s.brks[i].pos) {
			break
		}
	}
	if i < 0 || s.brks[i].pos <= prev.Start {
		// prev's own start, if it starts a sentence.
		if prev.Start == s.lo || (i >= 0 && s.brks[i].pos == prev.Start && s.brks[i].level >= levelSentence) {
			add(prev.Start)
		}
	}
	if len(starts) == 0 {
		return cur.pos
	}
	// Make room for the unit that starts at cur, when it can fit at all.
	if cur.level > levelRune && cur.level < levelEnd {
		end := s.firstAtLeast(cur.level, cur.idx+1)
		if s.reach(cur.pos, cur.idx, end, s.budget) == end {
			for k := len(starts) - 1; k >= 0; k-- {
				if s.fits(starts[k], s.brks[end].end, s.budget) {
					return starts[k]
				}
			}
			return cur.pos
		}
	}
	return starts[len(starts)-1]
}

// find returns the index of the boundary at pos.
func (s *splitter) find(pos int) (int, bool) {
	lo, hi := 0, len(s.brks)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.brks[m].pos < pos {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(s.brks) && s.brks[lo].pos == pos
}

// rebalance moves the boundary between the last two chunks back when the
// last one is less than half full, so that the two are about the same size.
// It only considers boundaries at least as strong as every boundary between
// them and the current one, so that no unit kept whole is cut.
func (s *splitter) rebalance(spans []Span) {
	n := len(spans)
	a, b := spans[n-2], spans[n-1]
	last := s.count(s.text[b.OverlapStart:b.End])
	if last*2 >= s.budget {
		return
	}
	ia, ok := s.find(b.Start)
	if !ok {
		return // the last chunk starts inside a word
	}
	prevLen := s.count(s.text[a.OverlapStart:a.End])
	bestDiff := prevLen - last
	var best []Span
	floor := s.brks[ia].level
	for i := ia - 1; i >= 0 && s.brks[i].pos > a.Start; i-- {
		c := s.brks[i]
		if c.level < floor {
			continue
		}
		floor = c.level
		na := Span{OverlapStart: a.OverlapStart, Start: a.Start, End: c.end}
		cur := cursor{pos: c.pos, idx: i, level: c.level}
		ov := s.overlapStart(na, cur)
		if !s.fits(ov, b.End, s.budget) {
			ov = c.pos
			if !s.fits(ov, b.End, s.budget) {
				break // moving further back only makes it bigger
			}
		}
		nb := Span{OverlapStart: ov, Start: c.pos, End: b.End}
		ca, cb := s.count(s.text[na.OverlapStart:na.End]), s.count(s.text[nb.OverlapStart:nb.End])
		if ca > s.budget {
			continue // Count is not monotone here
		}
		if diff := max(ca-cb, cb-ca); diff < bestDiff {
			bestDiff, best = diff, []Span{na, nb}
		}
		if cb >= ca {
			break
		}
	}
	if best != nil {
		spans[n-2], spans[n-1] = best[0], best[1]
	}
}
