package transcript

import (
	"cmp"
	"math"
	"slices"
)

// timedPiece is a piece of a transcript (a phrase, a paragraph, a run of
// words) at its time in the recording, in seconds (a float32 tells apart
// times a few milliseconds apart in a recording of hours: closer ones
// keep their order), the offset of the piece's JSON in the content, and
// the channel (or other source) it came from, as the reader that listed
// it counts them. It takes 12 bytes.
type timedPiece struct {
	at  float32
	pos int32
	ch  int32
}

// inTimeOrder writes pieces of a transcript in the order of their times,
// for vendors that list a recording's channels one after the other (or
// may): list calls emit with the time, offset and channel of each piece
// that holds text, and write writes one piece.
//
// list is called twice. Pieces listed in order (a recording of one
// channel, and most of the others) are written as listed the second
// time, without an index. Else the second time fills an index of 12
// bytes per piece, which is sorted, stably (pieces of one time keep
// their order), and written. A piece holds text, and the smallest JSON
// of a piece with text, Azure's {"text":"a"} and its comma, takes 13
// bytes, so the index is never bigger than the content. Content of 2 GiB
// or more, whose offsets an index cannot hold, is written as listed.
func (d *jsonDoc) inTimeOrder(list func(emit func(at float64, pos, ch int)), write func(pos, ch int)) {
	n, sorted, last := 0, true, math.Inf(-1)
	list(func(at float64, _, _ int) {
		if cmp.Compare(at, last) < 0 {
			sorted = false
		}
		last = at
		n++
	})
	if sorted || len(d.s) > math.MaxInt32 {
		list(func(_ float64, pos, ch int) { write(pos, ch) })
		return
	}
	index := make([]timedPiece, 0, n)
	list(func(at float64, pos, ch int) {
		if len(index) < n { // list emits the same pieces each time
			index = append(index, timedPiece{at: float32(at), pos: int32(pos), ch: int32(min(ch, math.MaxInt32))})
		}
	})
	slices.SortStableFunc(index, func(a, b timedPiece) int { return cmp.Compare(a.at, b.at) })
	for _, p := range index {
		write(int(p.pos), int(p.ch))
	}
}
