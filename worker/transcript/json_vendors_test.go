package transcript_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/transcript"
)

// vendorFixtures are our own transcripts in the JSON of each hosted
// speech-to-text API, shaped as the vendors document them, each with the
// format it must be recognized as and its expected output in
// NAME.golden.txt (NAME up to the first dot), like fixtures.
var vendorFixtures = []struct {
	file     string
	format   transcript.Format
	speakers []string // every speaker that must open a turn
}{
	{"roadmap.deepgram.json", transcript.FormatDeepgram, []string{"Speaker 1", "Speaker 2", "Speaker 3"}},
	{"onboarding.assemblyai.json", transcript.FormatAssemblyAI, []string{"Speaker 1", "Speaker 2", "Speaker 3"}},
	{"budget.azure-batch.json", transcript.FormatAzure, []string{"Channel 1", "Channel 2"}},
	{"kickoff.azure-fast.json", transcript.FormatAzure, []string{"Speaker 1", "Speaker 2"}},
	{"interview.google.json", transcript.FormatGoogle, []string{"Speaker 1", "Speaker 2"}},
	{"podcast.revai.json", transcript.FormatRevAI, []string{"Speaker 1", "Speaker 2"}},
	{"retro.speechmatics.json", transcript.FormatSpeechmatics, []string{"Speaker 1", "Speaker 2", "Speaker 3"}},
	{"billing.callanalytics.json", transcript.FormatCallAnalytics, []string{"Agent", "Customer"}},
	{"helpdesk.transcribe-channels.json", transcript.FormatTranscribe, []string{"Channel 1", "Channel 2"}},
	{"allhands.bedrock.json", transcript.FormatBedrock, []string{"Speaker 1", "Speaker 2"}},
}

// vendorFormats are the formats of vendorFixtures that the older
// fixtures do not have.
var vendorFormats = []transcript.Format{
	transcript.FormatDeepgram, transcript.FormatAssemblyAI, transcript.FormatAzure,
	transcript.FormatGoogle, transcript.FormatRevAI, transcript.FormatSpeechmatics,
	transcript.FormatCallAnalytics, transcript.FormatBedrock,
}

// jsonResidue matches what only JSON or timing leaves in a text: braces,
// brackets, quotes, a key and its colon, times ("00:01", "1.5s", "PT1S").
var jsonResidue = regexp.MustCompile(`[{}\[\]"]|\w":|\b\d+:\d\d\b|\b\d+\.\d+s\b|\bPT\d|_(?:time|ms|millis)\b`)

// checkTurns checks that text is turns of clean text: one per line,
// "Name: text" for each of speakers at least once, no line without text,
// no JSON or timing residue.
func checkTurns(t *testing.T, text string, speakers []string) {
	t.Helper()
	if m := jsonResidue.FindString(text); m != "" {
		t.Errorf("JSON or timing residue %q in\n%s", m, text)
	}
	for line := range strings.Lines(text) {
		line = strings.TrimSuffix(line, "\n")
		if strings.TrimSpace(line) == "" || strings.HasSuffix(line, ":") || line != strings.TrimSpace(line) {
			t.Errorf("line %q is not a turn", line)
		}
		if strings.Contains(line, " ,") || strings.Contains(line, " .") || strings.Contains(line, "  ") {
			t.Errorf("line %q has a space before punctuation or a double space", line)
		}
	}
	for _, s := range speakers {
		if !strings.HasPrefix(text, s+": ") && !strings.Contains(text, "\n"+s+": ") {
			t.Errorf("no turn of %q in\n%s", s, text)
		}
	}
}

func TestGoldenVendors(t *testing.T) {
	t.Parallel()
	for _, fx := range vendorFixtures {
		t.Run(fx.file, func(t *testing.T) {
			t.Parallel()
			got, f, err := transcript.Decode(readFile(t, fx.file), "uploads/"+fx.file, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if f != fx.format {
				t.Errorf("format %q, want %q", f, fx.format)
			}
			checkTurns(t, got, fx.speakers)
			if *update {
				if err := os.WriteFile(filepath.Join("testdata", goldenName(fx.file)), []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want := readGolden(t, fx.file); got != want {
				t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", goldenName(fx.file), got, want)
			}
			// Sniffed without an extension, and gzipped, it is the same.
			again, f2, err := transcript.Decode(gz(t, readFile(t, fx.file)), "uploads/no-extension", "", 0)
			if err != nil || again != got || f2 != f {
				t.Errorf("sniffed gzip: %q, %v; want the same output", f2, err)
			}
		})
	}
}

func TestDecodeUnknownJSON(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		`{"hello":"world"}`,
		`{"results":{}}`,
		`{"results":[]}`,
		`{"results":[{"foo":1}]}`,
		`[{"utterance":"hi"}]`,
		`{"monologues":"x","utterances":null,"phrases":{}}`,
		`{"secret":"Customer said the PIN is 1234"}`,
	} {
		text, f, err := transcript.Decode([]byte(data), "a.json", "", 0)
		if !errors.Is(err, transcript.ErrBadFormat) || text != "" || f != "" {
			t.Fatalf("Decode(%s) = %q, %q, %v; want ErrBadFormat", data, text, f, err)
		}
		msg := err.Error()
		for _, shape := range []string{"Transcribe", "Whisper", "Deepgram", "AssemblyAI", "Azure", "Google", "Rev.ai", "Speechmatics", "Bedrock"} {
			if !strings.Contains(msg, shape) {
				t.Errorf("error %q does not name %s", msg, shape)
			}
		}
		if strings.Contains(msg, "1234") || strings.Contains(msg, "world") {
			t.Errorf("error %q quotes the content", msg)
		}
	}
}
