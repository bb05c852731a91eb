package transcript_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/transcript"
)

// propertyRuns is the number of generated transcripts each property
// test decodes: seeds 0 to propertyRuns-1, the same on every run.
const propertyRuns = 500

// checkCaptions decodes doc and checks that it gives want: every word
// once, in order, in the turns of the transcript.
func checkCaptions(t *testing.T, seed uint64, doc, key, want string) {
	t.Helper()
	format := transcript.FormatSRT
	if strings.HasSuffix(key, ".vtt") {
		format = transcript.FormatVTT
	}
	got, f, err := transcript.Decode([]byte(doc), key, "", 0)
	if err != nil {
		t.Fatalf("seed %d: Decode: %v\ndocument:\n%s", seed, err, doc)
	}
	if f != format {
		t.Fatalf("seed %d: format %q, want %q", seed, f, format)
	}
	if got != want {
		t.Fatalf("seed %d: text differs\ndocument:\n%s\ngot:\n%s\nwant:\n%s", seed, doc, got, want)
	}
}

// captionKey returns the key of a generated caption file.
func captionKey(vtt bool) string {
	if vtt {
		return "captions.vtt"
	}
	return "captions.srt"
}

// TestRollingCaptionsProperty cuts generated transcripts into YouTube's
// rolling auto-captions (WebVTT with inline timestamps, or SRT as
// yt-dlp converts them): each word must come back once, in order.
func TestRollingCaptionsProperty(t *testing.T) {
	t.Parallel()
	for seed := range uint64(propertyRuns) {
		rng := rand.New(rand.NewPCG(seed, 1))
		tr := newTranscript(rng, 1+rng.IntN(24), rng.IntN(3) > 0, 5)
		vtt := rng.IntN(3) > 0
		doc := rollingCaptions(rng, tr, vtt, vtt && rng.IntN(4) > 0)
		checkCaptions(t, seed, doc, captionKey(vtt), tr.want())
	}
}

// TestHighlightCaptionsProperty cuts generated transcripts into
// word-highlight and karaoke cues: each word must come back once, in
// order, and a line said twice in a row twice.
func TestHighlightCaptionsProperty(t *testing.T) {
	t.Parallel()
	for seed := range uint64(propertyRuns) {
		rng := rand.New(rand.NewPCG(seed, 1))
		tr := newTranscript(rng, 1+rng.IntN(24), rng.IntN(3) > 0, 5)
		vtt := rng.IntN(2) == 0
		doc := highlightCaptions(rng, tr, vtt, int(seed)%highlightStyles)
		checkCaptions(t, seed, doc, captionKey(vtt), tr.want())
	}
}

// TestOrdinaryCaptionsProperty cuts the same transcripts into ordinary
// subtitles, whose cues repeat words and lines: they must come back
// unchanged.
func TestOrdinaryCaptionsProperty(t *testing.T) {
	t.Parallel()
	for seed := range uint64(propertyRuns) {
		rng := rand.New(rand.NewPCG(seed, 1))
		tr := newTranscript(rng, 1+rng.IntN(24), rng.IntN(3) > 0, 5)
		vtt := rng.IntN(2) == 0
		doc := ordinaryCaptions(rng, tr, vtt)
		checkCaptions(t, seed, doc, captionKey(vtt), tr.want())
	}
}
