package transcript_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/transcript"
)

// speech returns a transcript of about n words of the benchmark's
// sentences, without speakers, in caption lines of five to nine words:
// what a talk's auto-captions hold.
func speech(rng *rand.Rand, n int) genTranscript {
	var all []string
	for i := 0; len(all) < n; i++ {
		all = append(all, strings.Fields(sentences[i%len(sentences)])...)
	}
	var turn genTurn
	for len(all) > 0 {
		k := min(5+rng.IntN(5), len(all))
		turn.lines = append(turn.lines, all[:k])
		all = all[k:]
	}
	return genTranscript{turn}
}

// TestCaptionsWordCount measures the words Decode gives for each word
// spoken, for a talk of 10,000 words as YouTube's rolling auto-captions
// and as Whisper's word-highlight subtitles: each word must come out
// once (before de-duplication the rolling captions gave each about
// three times, the highlight subtitles each about as many times as its
// line has words).
func TestCaptionsWordCount(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		key  string
		doc  func(rng *rand.Rand, tr genTranscript) string
	}{
		{"youtube rolling vtt", "talk.en.vtt", func(rng *rand.Rand, tr genTranscript) string { return rollingCaptions(rng, tr, true, true) }},
		{"youtube rolling srt (yt-dlp)", "talk.en.srt", func(rng *rand.Rand, tr genTranscript) string { return rollingCaptions(rng, tr, false, false) }},
		{"whisper highlight_words vtt", "talk.vtt", func(rng *rand.Rand, tr genTranscript) string {
			return highlightCaptions(rng, tr, true, highlightUnderline)
		}},
		{"whisper highlight_words srt", "talk.srt", func(rng *rand.Rand, tr genTranscript) string {
			return highlightCaptions(rng, tr, false, highlightUnderline)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(20, 2))
			tr := speech(rng, 10_000)
			doc := tt.doc(rng, tr)
			text, _, err := transcript.Decode([]byte(doc), tt.key, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			spoken, out := len(words(tr.want())), len(words(text))
			t.Logf("%d bytes of captions: %d words out for %d spoken (%.2fx)", len(doc), out, spoken, float64(out)/float64(spoken))
			if out != spoken {
				t.Errorf("%d words out for %d spoken", out, spoken)
			}
			if text != tr.want() {
				t.Errorf("text differs from the transcript")
			}
		})
	}
}

// BenchmarkDecodeCaptions decodes about 20 MiB of repeating captions: a
// talk's YouTube auto-captions and its word-highlight subtitles.
func BenchmarkDecodeCaptions(b *testing.B) {
	for _, tt := range []struct {
		name, key string
		doc       func(rng *rand.Rand, tr genTranscript) string
	}{
		{"youtube-rolling", "talk.en.vtt", func(rng *rand.Rand, tr genTranscript) string { return rollingCaptions(rng, tr, true, true) }},
		{"highlight-words", "talk.srt", func(rng *rand.Rand, tr genTranscript) string {
			return highlightCaptions(rng, tr, false, highlightUnderline)
		}},
	} {
		rng := rand.New(rand.NewPCG(20, 2))
		var doc string
		for n := 10_000; len(doc) < largeSize; n *= 2 {
			doc = tt.doc(rng, speech(rng, n))
		}
		data := []byte(doc[:strings.LastIndex(doc[:largeSize], "\n\n")+2])
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := transcript.Decode(data, tt.key, "", 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
