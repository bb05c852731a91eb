package transcript_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/transcript"
)

// textWorstCases are the captions and text exports that cost their
// parsers the most per byte: millions of tiny cues, rows, lines and
// turns, and a repeating caption file with a cue of a million lines.
var textWorstCases = []struct {
	name, key    string
	head, unit   string // the input is head, then unit repeated
	tail         string
	format       transcript.Format
	count        string // a piece of text that appears once per unit
	prefix       string // of the text
	unitsPerText int    // units for each count in the text (1 when every unit counts)
}{
	{name: "youtube-tiny-windows", key: "a.vtt", head: "WEBVTT\n\n",
		unit:   "0:00.000 --> 0:00.500\n \nx\n\n0:00.500 --> 0:00.510\nx\n \n\n",
		format: transcript.FormatVTT, count: "x", prefix: "x x x", unitsPerText: 1},
	{name: "highlight-tiny-subtitles", key: "a.srt",
		unit:   "0:00-->0:01\n<u>x</u> y\n\n0:01-->0:02\nx <u>y</u>\n\n",
		format: transcript.FormatSRT, count: "x", prefix: "x y x y", unitsPerText: 1},
	{name: "rolling-giant-cue", key: "a.vtt", head: "WEBVTT\n\n0:00.000 --> 0:00.500\n \na<0:00.100><c> b</c>\n\n0:00.500 --> 0:00.510\na b\n \n\n0:01.000 --> 0:02.000\n",
		unit:   "x\n",
		format: transcript.FormatVTT, count: "x", prefix: "a b x x", unitsPerText: 1},
	{name: "tsv-rows", key: "a.tsv", head: "start\tend\ttext\n",
		unit:   "0\t0\tx\n",
		format: transcript.FormatTSV, count: "x", prefix: "x x x", unitsPerText: 1},
	{name: "whispercpp-lines", key: "a.txt",
		unit:   "[0:00 --> 0:01] x\n",
		format: transcript.FormatWhisperCpp, count: "x", prefix: "x x x", unitsPerText: 1},
	{name: "whispercpp-turns", key: "a.txt",
		unit:   "[0:00 --> 0:01] (speaker 0) x\n[0:01 --> 0:02] (speaker 1) y\n",
		format: transcript.FormatWhisperCpp, count: "\n", prefix: "Speaker 1: x\nSpeaker 2: y", unitsPerText: 1},
	{name: "otter-turns", key: "a.txt",
		unit:   "A  0:00\nx\n\nB  0:01\ny\n\n",
		format: transcript.FormatOtter, count: "\n", prefix: "A: x\nB: y\nA: x", unitsPerText: 1},
	{name: "text-labels", key: "a.txt",
		unit:   "[SPEAKER_00]: x\n[SPEAKER_01]: y\n",
		format: transcript.FormatText, count: "\n", prefix: "Speaker 1: x\nSpeaker 2: y", unitsPerText: 1},
}

// TestDecodeTextWorstCases decodes each worst case at 8 MiB: it ends
// with its text, and allocates no more than three times its size. Not
// parallel: it reads the process's allocation counters.
func TestDecodeTextWorstCases(t *testing.T) {
	const size = 8 << 20
	for _, tt := range textWorstCases {
		t.Run(tt.name, func(t *testing.T) {
			units := (size - len(tt.head) - len(tt.tail)) / len(tt.unit)
			data := []byte(tt.head + strings.Repeat(tt.unit, units) + tt.tail)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			text, f, err := transcript.Decode(data, tt.key, "", 0)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes, %d units: %d bytes of text, %d bytes allocated", len(data), units, len(text), allocated)
			if f != tt.format || !strings.HasPrefix(text, tt.prefix) {
				t.Fatalf("Decode = %.40q, %q; want %q..., %q", text, f, tt.prefix, tt.format)
			}
			if n := strings.Count(text, tt.count); n < units/tt.unitsPerText-1 {
				t.Errorf("text holds %q %d times, want %d", tt.count, n, units/tt.unitsPerText)
			}
			if allocated > 3*uint64(len(data)) {
				t.Errorf("Decode allocated %d bytes for %d bytes of content", allocated, len(data))
			}
		})
	}
}
