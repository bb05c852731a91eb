package chunk_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/summarizer/summarizer/worker/chunk"
)

// check splits text with cfg through both entry points and fails t unless
// every invariant of the package holds. It returns the spans.
func check(t testing.TB, text string, cfg chunk.Config) []chunk.Span {
	t.Helper()
	spans, err := chunk.SplitSpans(text, cfg)
	if err != nil {
		t.Fatalf("SplitSpans: %v", err)
	}
	chunks, err := chunk.Split(text, cfg)
	if err != nil {
		t.Fatalf("Split: %v", err)
	}
	if len(chunks) != len(spans) {
		t.Fatalf("Split gave %d chunks, SplitSpans %d spans", len(chunks), len(spans))
	}
	count := cfg.Count
	if count == nil {
		count = chunk.EstimateTokens
	}
	overlap := cfg.Overlap
	switch {
	case overlap < 0:
		overlap = 0
	case overlap == 0:
		overlap = min(cfg.Budget/10, chunk.OverlapMaxDefault)
	}
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		if spans != nil || chunks != nil {
			t.Fatalf("blank text gave %d chunks", len(spans))
		}
		return nil
	}
	if len(spans) == 0 {
		t.Fatal("no chunks for non-blank text")
	}
	if count(trimmed) <= cfg.Budget && (len(chunks) != 1 || chunks[0] != trimmed) {
		t.Fatalf("text fits but gave %d chunks", len(chunks))
	}
	valid := utf8.ValidString(text)
	prevEnd := 0
	var newText strings.Builder
	for i, s := range spans {
		c := text[s.OverlapStart:s.End]
		if !(0 <= s.OverlapStart && s.OverlapStart <= s.Start && s.Start < s.End && s.End <= len(text)) {
			t.Fatalf("chunk %d: bad span %+v (text %d bytes)", i, s, len(text))
		}
		if chunks[i] != c {
			t.Fatalf("chunk %d: Split %q, SplitSpans %q", i, chunks[i], c)
		}
		if n := count(c); n > cfg.Budget {
			t.Fatalf("chunk %d: %d tokens > budget %d: %q", i, n, cfg.Budget, c)
		}
		if c != strings.TrimSpace(c) {
			t.Fatalf("chunk %d not trimmed: %q", i, c)
		}
		if valid && !utf8.ValidString(c) {
			t.Fatalf("chunk %d: invalid UTF-8 from valid text: %q", i, c)
		}
		for _, p := range []int{s.OverlapStart, s.Start, s.End} {
			if insideRune(text, p) {
				t.Fatalf("chunk %d: offset %d cuts a UTF-8 sequence", i, p)
			}
		}
		if gap := text[prevEnd:s.Start]; s.Start < prevEnd || strings.TrimSpace(gap) != "" {
			t.Fatalf("chunk %d: text lost or repeated between %d and %d: %q", i, prevEnd, s.Start, gap)
		}
		if i == 0 && s.OverlapStart != s.Start {
			t.Fatalf("first chunk has an overlap: %+v", s)
		}
		if i > 0 && s.OverlapStart < s.Start {
			p := spans[i-1]
			if s.OverlapStart < p.Start {
				t.Fatalf("chunk %d: overlap starts before the previous chunk's new text: %+v after %+v", i, s, p)
			}
			if n := count(text[s.OverlapStart:p.End]); n > overlap {
				t.Fatalf("chunk %d: overlap of %d tokens > %d", i, n, overlap)
			}
			if !strings.HasPrefix(c, text[s.OverlapStart:p.End]) {
				t.Fatalf("chunk %d does not start with its overlap", i)
			}
		}
		newText.WriteString(c[s.Start-s.OverlapStart:])
		prevEnd = s.End
	}
	if rest := text[prevEnd:]; strings.TrimSpace(rest) != "" {
		t.Fatalf("text lost after the last chunk: %q", rest)
	}
	// The chunks without their overlaps hold every non-space character, in order.
	if got, want := removeSpace(newText.String()), removeSpace(text); got != want {
		t.Fatalf("chunks without overlap differ from the text:\n got %.200q\nwant %.200q", got, want)
	}
	return spans
}

// insideRune reports whether offset p falls inside a valid UTF-8 sequence.
func insideRune(text string, p int) bool {
	for k := 1; k < utf8.UTFMax && p-k >= 0; k++ {
		if r, size := utf8.DecodeRuneInString(text[p-k:]); size > k && r != utf8.RuneError {
			return true
		}
	}
	return false
}

func removeSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), "")
}

// transcript returns a deterministic meeting transcript of about words
// words: speaker turns of one to eight sentences, blank lines now and then.
func transcript(words int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	speakers := []string{"Alice", "Bob", "Carol", "Dave", "SPEAKER_1", "Dr. Eve"}
	vocab := strings.Fields(`the budget team project we should next quarter customer
		release plan think really about because migration database latency report
		meeting agree decision hire engineers support tickets calendar onboarding
		design review deadline Monday June finance numbers risk launch campaign
		and to of in on for with is it that this was will can not but so yes okay`)
	var b strings.Builder
	n := 0
	for n < words {
		if rng.IntN(6) == 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s: ", speakers[rng.IntN(len(speakers))])
		for range 1 + rng.IntN(8) {
			k := 4 + rng.IntN(18)
			for i := range k {
				w := vocab[rng.IntN(len(vocab))]
				if i == 0 {
					w = strings.ToUpper(w[:1]) + w[1:]
				}
				b.WriteString(w)
				if i < k-1 {
					if rng.IntN(9) == 0 {
						b.WriteByte(',')
					}
					b.WriteByte(' ')
				}
			}
			b.WriteString([]string{". ", "? ", "! ", ". "}[rng.IntN(4)])
			n += k
		}
		b.WriteString("\n")
	}
	return b.String()
}
