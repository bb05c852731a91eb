package transcript_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/transcript"
	"github.com/summarizer/summarizer/worker/transcript/internal/worstcase"
)

// TestDecodeWorstCases decodes the inputs that cost a decoder the most
// memory per byte, at sizes of millions of elements: each ends, with
// its text or with a classified error. (Their memory is measured by
// BenchmarkDecodeWorstCase and internal/memprobe, not asserted here.)
func TestDecodeWorstCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		shape  string
		size   int
		format transcript.Format
		prefix string // of the text
		count  string // a piece of text that appears once per element
		min    int    // elements at least
		err    error
	}{
		// 2.5 million {} items, audio segments, segments.
		{shape: "transcribe-empty-items", size: 15 << 19, err: transcript.ErrBadFormat},
		{shape: "transcribe-empty-audio-segments", size: 15 << 19, err: transcript.ErrBadFormat},
		{shape: "whisper-empty-segments", size: 15 << 19, err: transcript.ErrBadFormat},
		{shape: "transcribe-words", size: 8 << 20, format: transcript.FormatTranscribe, prefix: "a a a", count: "a", min: 200_000},
		// One item with 2.5 million alternatives: the first one counts.
		{shape: "transcribe-alternatives", size: 15 << 19, format: transcript.FormatTranscribe, prefix: "a", count: "a", min: 1},
		{shape: "transcribe-speaker-index", size: 8 << 20, format: transcript.FormatTranscribe, prefix: "Speaker 1: a a", count: "a", min: 70_000},
		// Each word would repeat a speaker name of 4 KiB: refused.
		{shape: "transcribe-label-amplify", size: 8 << 20, err: transcript.ErrTooLarge},
		// The vendors' JSON: 2 million empty elements, or hundreds of
		// thousands of one-letter pieces whose speaker switches each time.
		{shape: "deepgram-empty-words", size: 4 << 20, err: transcript.ErrBadFormat},
		{shape: "deepgram-channel-paragraphs", size: 4 << 20, format: transcript.FormatDeepgram, prefix: "Channel 1: a\nChannel 2: a\nChannel 1: a", count: "\n", min: 90_000},
		{shape: "assemblyai-word-speakers", size: 4 << 20, format: transcript.FormatAssemblyAI, prefix: "Speaker 1: a\nSpeaker 2: a", count: "\n", min: 150_000},
		{shape: "azure-phrases-reversed", size: 4 << 20, format: transcript.FormatAzure, prefix: "a a a", count: "a", min: 90_000},
		{shape: "azure-realtime-list", size: 4 << 20, format: transcript.FormatAzure, prefix: "Speaker 1: a\nSpeaker 2: a", count: "\n", min: 60_000},
		{shape: "google-channel-results", size: 4 << 20, format: transcript.FormatGoogle, prefix: "Channel ", count: "\n", min: 50_000},
		{shape: "speechmatics-word-speakers", size: 4 << 20, format: transcript.FormatSpeechmatics, prefix: "Speaker 1: a\nSpeaker 2: a", count: "\n", min: 50_000},
		{shape: "revai-empty-elements", size: 4 << 20, err: transcript.ErrBadFormat},
		{shape: "transcribe-channel-runs", size: 4 << 20, format: transcript.FormatTranscribe, prefix: "Channel 1: a.\nChannel 2: a.\nChannel 1: a.", count: "\n", min: 35_000},
		{shape: "callanalytics-turns", size: 4 << 20, format: transcript.FormatCallAnalytics, prefix: "Agent: a\nCustomer: a", count: "\n", min: 80_000},
		{shape: "bedrock-empty-segments", size: 4 << 20, err: transcript.ErrBadFormat},
		// A million cues of one letter, speakers switching.
		{shape: "srt-tiny-cues", size: 18 << 20, format: transcript.FormatSRT, prefix: "A: x\nB: y\nA: x", count: "\n", min: 1_000_000},
		{shape: "vtt-tiny-cues", size: 20 << 20, format: transcript.FormatVTT, prefix: "A: x\nB: y\nA: x", count: "\n", min: 1_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.shape, func(t *testing.T) {
			t.Parallel()
			c, err := worstcase.Build(tt.shape, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			text, f, err := transcript.Decode(c.Data, c.Key, "", 0)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || text != "" {
					t.Fatalf("Decode = %.40q, %v; want %v", text, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f != tt.format || !strings.HasPrefix(text, tt.prefix) {
				t.Fatalf("Decode = %.40q, %q; want %q..., %q", text, f, tt.prefix, tt.format)
			}
			if n := strings.Count(text, tt.count); n < tt.min {
				t.Errorf("text holds %q %d times, want at least %d", tt.count, n, tt.min)
			}
		})
	}
}

// TestDecodeDeepNesting decodes JSON nested as deep as encoding/json
// allows (10000) and deeper: the depth costs no stack, and the
// document is a transcript or an invalid one.
func TestDecodeDeepNesting(t *testing.T) {
	t.Parallel()
	nest := func(depth int, open, close string) string {
		return strings.Repeat(open, depth) + strings.Repeat(close, depth)
	}
	deepObject := strings.Repeat(`{"a":`, 9_000) + "1" + strings.Repeat("}", 9_000)
	tests := []struct {
		name, data string
		want       string
		err        error
		errText    string
	}{
		{name: "arrays as items", want: "deep",
			data: `{"results":{"items":[` + nest(9_990, "[", "]") + `],"transcripts":[{"transcript":"deep"}]}}`},
		{name: "arrays as alternatives", err: transcript.ErrBadFormat, errText: "without words",
			data: `{"results":{"items":[{"alternatives":[` + nest(9_990, "[", "]") + `]}]}}`},
		{name: "objects as a segment", want: "deep",
			data: `{"segments":[` + deepObject + `,{"text":"deep"}]}`},
		{name: "objects beside the results", want: "deep",
			data: `{"x":` + deepObject + `,"results":{"transcripts":[{"transcript":"deep"}]}}`},
		{name: "deeper than encoding/json allows", err: transcript.ErrBadFormat, errText: "invalid JSON",
			data: `{"results":{"items":[` + nest(20_000, "[", "]") + `]}}`},
		{name: "a million levels", err: transcript.ErrBadFormat, errText: "invalid JSON",
			data: `{"text":` + nest(1_000_000, "[", "]") + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			text, _, err := transcript.Decode([]byte(tt.data), "a.json", "", 0)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("Decode = %.40q, %v; want %v (%s)", text, err, tt.err, tt.errText)
				}
				return
			}
			if err != nil || text != tt.want {
				t.Fatalf("Decode = %.40q, %v; want %q", text, err, tt.want)
			}
		})
	}
}
