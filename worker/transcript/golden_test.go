package transcript_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/transcript"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.txt with the output of Decode (go test ./worker/transcript/ -update)")

// fixtures are the sample transcripts of testdata, each with the format it
// must be recognized as; NAME.EXT has its expected output in
// NAME.golden.txt (NAME up to the first dot).
var fixtures = []struct {
	file   string
	format transcript.Format
}{
	{"product-sync.srt", transcript.FormatSRT},
	{"design-review.vtt", transcript.FormatVTT},
	{"support-call.transcribe.json", transcript.FormatTranscribe},
	{"planning.whisperx.json", transcript.FormatWhisper},
}

func goldenName(file string) string {
	name, _, _ := strings.Cut(file, ".")
	return name + ".golden.txt"
}

// checkGolden decodes testdata/file under an upload key of the same name,
// wants format, runs check on the text (if not nil) and compares the text
// with the file's golden output (go test -update rewrites it). It returns
// the text and the format found.
func checkGolden(t *testing.T, file string, format transcript.Format, check func(*testing.T, string)) (string, transcript.Format) {
	t.Helper()
	got, f, err := transcript.Decode(readFile(t, file), "uploads/"+file, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if f != format {
		t.Errorf("format %q, want %q", f, format)
	}
	if check != nil {
		check(t, got)
	}
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", goldenName(file)), []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return got, f
	}
	if want := readGolden(t, file); got != want {
		t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", goldenName(file), got, want)
	}
	return got, f
}

func readGolden(t *testing.T, file string) string {
	t.Helper()
	return strings.TrimSuffix(string(readFile(t, goldenName(file))), "\n")
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, fx.file, fx.format, nil)
		})
	}
}

// TestGoldenVariants decodes other encodings and shapes of the fixtures,
// which must give the same output as the fixture itself.
func TestGoldenVariants(t *testing.T) {
	t.Parallel()
	srt := readFile(t, "product-sync.srt")
	aws := readFile(t, "support-call.transcribe.json")
	tests := []struct {
		name, golden  string
		data          []byte
		key, encoding string
		format        transcript.Format
	}{
		{"srt gzip by .gz key", "product-sync.srt", gz(t, srt), "in/product-sync.srt.gz", "", transcript.FormatSRT},
		{"srt gzip by magic, LF line ends", "product-sync.srt", gz(t, []byte(strings.ReplaceAll(string(srt), "\r\n", "\n"))), "in/product-sync.srt", "", transcript.FormatSRT},
		{"srt named .txt", "product-sync.srt", srt, "in/product-sync.txt", "", transcript.FormatSRT},
		{"transcribe gzip by Content-Encoding", "support-call.transcribe.json", gz(t, aws), "in/support-call.json", "gzip", transcript.FormatTranscribe},
		{"transcribe without extension", "support-call.transcribe.json", aws, "in/support-call", "", transcript.FormatTranscribe},
		{"transcribe items and speaker_labels", "support-call.transcribe.json", editJSON(t, aws, dropAudioSegments), "a.json", "", transcript.FormatTranscribe},
		{"transcribe older output: labels only in segments", "support-call.transcribe.json", editJSON(t, aws, dropAudioSegments, dropItemLabels), "a.json", "", transcript.FormatTranscribe},
		{"vtt gzip, CRLF", "design-review.vtt", gz(t, []byte(strings.ReplaceAll(string(readFile(t, "design-review.vtt")), "\n", "\r\n"))), "a.vtt.GZ", "", transcript.FormatVTT},
		{"whisperx gzip", "planning.whisperx.json", gz(t, readFile(t, "planning.whisperx.json")), "a.json.gz", "x-gzip", transcript.FormatWhisper},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, f, err := transcript.Decode(tt.data, tt.key, tt.encoding, 0)
			if err != nil {
				t.Fatal(err)
			}
			if f != tt.format {
				t.Errorf("format %q, want %q", f, tt.format)
			}
			if want := readGolden(t, tt.golden); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func dropAudioSegments(results map[string]any) { delete(results, "audio_segments") }

func dropItemLabels(results map[string]any) {
	for _, it := range results["items"].([]any) {
		delete(it.(map[string]any), "speaker_label")
	}
}

// editJSON applies edits to the results object of a Transcribe document.
func editJSON(t *testing.T, data []byte, edits ...func(results map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, edit := range edits {
		edit(doc["results"].(map[string]any))
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
