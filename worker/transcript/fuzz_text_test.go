package transcript_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/summarizer/summarizer/worker/transcript"
)

// exportFormats are the text exports Decode writes as turns: FuzzDecode
// checks their text as it checks the structured formats'.
var exportFormats = map[transcript.Format]bool{
	transcript.FormatTSV:        true,
	transcript.FormatOtter:      true,
	transcript.FormatWhisperCpp: true,
}

// fuzzWords returns the words of fuzzed text that captions and exports
// carry as plain words: valid UTF-8, without the characters of markup,
// labels and timings (< > & { } [ ] ( ) : \), and without digits when
// digits is false (so that a digit in the output is a timing that got
// through).
func fuzzWords(s string, digits bool) []string {
	s = strings.Map(func(r rune) rune {
		switch {
		case strings.ContainsRune("<>&{}[]():\\", r), unicode.IsControl(r):
			return ' '
		case !digits && unicode.IsDigit(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	return strings.Fields(s)
}

// fuzzTranscript builds a transcript of the words, cut into lines and
// turns by rng, one line in five the same as the line before.
func fuzzTranscript(rng *rand.Rand, words []string) genTranscript {
	var t genTranscript
	var prev []string
	for len(words) > 0 {
		turn := genTurn{speaker: genSpeakers[rng.IntN(len(genSpeakers))]}
		if rng.IntN(4) == 0 {
			turn.speaker = ""
		}
		for k := 1 + rng.IntN(4); k > 0 && len(words) > 0; k-- {
			if prev != nil && rng.IntN(5) == 0 {
				turn.lines = append(turn.lines, prev)
				continue
			}
			n := min(1+rng.IntN(8), len(words))
			prev, words = words[:n], words[n:]
			turn.lines = append(turn.lines, prev)
		}
		t = append(t, turn)
	}
	return t
}

// addCaptionFuzzSeeds seeds a caption fuzz target.
func addCaptionFuzzSeeds(f *testing.F) {
	for i, s := range []string{
		"hi everyone and welcome back to the channel",
		"no no no that's wrong no, that's wrong",
		"la la la la la la la la la la la la",
		"中文 café naïve 🙂 x",
		"Alice: [Bob] (speaker 0) <u>x</u> &amp; {\\an8} 00:00:01.000 --> 00:00:02.000",
		"WEBVTT NOTE STYLE REGION 1 2 3 - -- ---",
		"a",
	} {
		f.Add(uint64(i), s)
	}
}

func FuzzRollingCaptions(f *testing.F) {
	addCaptionFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, seed uint64, text string) {
		words := fuzzWords(text, true)
		if len(words) == 0 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, 1))
		tr := fuzzTranscript(rng, words)
		vtt := seed%3 > 0
		doc := rollingCaptions(rng, tr, vtt, vtt && seed%4 > 0)
		checkCaptions(t, seed, doc, captionKey(vtt), tr.want())
	})
}

func FuzzHighlightCaptions(f *testing.F) {
	addCaptionFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, seed uint64, text string) {
		words := fuzzWords(text, true)
		if len(words) == 0 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, 2))
		tr := fuzzTranscript(rng, words)
		vtt := seed%2 == 0
		doc := highlightCaptions(rng, tr, vtt, int(seed%highlightStyles))
		checkCaptions(t, seed, doc, captionKey(vtt), tr.want())
	})
}

// speakerNames are the names Decode gives to diarization labels.
var speakerNames = regexp.MustCompile(`Speaker \d+|Speaker \?`)

// checkExport decodes doc as one of the text exports and checks that it
// is recognized as format, that every word of words is in the text, and
// that no digit (a timing: the words have none) nor markup is.
func checkExport(t *testing.T, doc, key string, format transcript.Format, words []string) {
	t.Helper()
	text, f, err := transcript.Decode([]byte(doc), key, "", 0)
	if err != nil {
		if errors.Is(err, transcript.ErrBadFormat) && strings.Contains(err.Error(), "empty") && len(words) == 0 {
			return
		}
		t.Fatalf("Decode: %v\ndocument:\n%s", err, doc)
	}
	if f != format {
		t.Fatalf("format %q, want %q\ndocument:\n%s", f, format, doc)
	}
	all := strings.Join(words, " ")
	if w := missingWord(all, text); w != "" {
		t.Fatalf("word %q is not in the output\ndocument:\n%s\noutput:\n%s", w, doc, text)
	}
	rest := speakerNames.ReplaceAllString(text, "")
	if i := strings.IndexFunc(rest, unicode.IsDigit); i >= 0 {
		t.Fatalf("a timing reached the output %q\ndocument:\n%s", text, doc)
	}
	for _, m := range []string{"-->", "\t", "SPEAKER_", "(speaker", "\n\n"} {
		if strings.Contains(text, m) && !strings.Contains(all, m) {
			t.Fatalf("%q reached the output %q\ndocument:\n%s", m, text, doc)
		}
	}
}

// fuzzLines returns the lines of fuzzed text, each as its words.
func fuzzLines(s string) [][]string {
	var lines [][]string
	for line := range strings.SplitSeq(s, "\n") {
		if w := fuzzWords(line, false); len(w) > 0 {
			lines = append(lines, w)
		}
	}
	return lines
}

func addExportFuzzSeeds(f *testing.F) {
	for _, fx := range textFixtures {
		f.Add(string(readFile(f, fx.file)))
	}
	for _, s := range []string{
		"Hello there.\nHow are you?\n\nFine.",
		"We have three items: billing, search\n[SPEAKER_00]: hi\n(speaker ?) x",
		"start\tend\ttext\n0\t1\tx",
		"\x1b[38;5;160m colored\x1b[0m",
		"Ann  0:03\nHello.\n\nTranscribed by https://otter.ai",
	} {
		f.Add(s)
	}
}

func FuzzTSV(f *testing.F) {
	addExportFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		lines := fuzzLines(text)
		var doc strings.Builder
		var words []string
		doc.WriteString("start\tend\ttext\n")
		for i, l := range lines {
			label := ""
			if i%3 == 1 {
				label = fmt.Sprintf("[SPEAKER_%02d]: ", i%4)
			}
			fmt.Fprintf(&doc, "%d\t%d\t%s%s\n", i*1130, (i+1)*1130, label, strings.Join(l, " "))
			words = append(words, l...)
		}
		checkExport(t, doc.String(), "out.tsv", transcript.FormatTSV, words)
	})
}

func FuzzOtter(f *testing.F) {
	addExportFuzzSeeds(f)
	names := []string{"Jane Doe", "bob", "Unknown Speaker", "SPEAKER_01", ""}
	f.Fuzz(func(t *testing.T, text string) {
		lines := fuzzLines(text)
		if len(lines) == 0 {
			return
		}
		var doc strings.Builder
		var words []string
		for i := 0; i < len(lines); {
			name := names[i%len(names)]
			clock := fmt.Sprintf("%d:%02d", i/60, i%60)
			if name == "" {
				doc.WriteString(clock + "\n")
			} else {
				doc.WriteString(name + "  " + clock + "\n")
			}
			for k := 0; k <= i%3 && i < len(lines); k++ {
				doc.WriteString(strings.Join(lines[i], " ") + "\n")
				words = append(words, lines[i]...)
				i++
			}
			doc.WriteString("\n")
		}
		checkExport(t, doc.String(), "meeting.txt", transcript.FormatOtter, words)
	})
}

func FuzzWhisperCpp(f *testing.F) {
	addExportFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		lines := fuzzLines(text)
		if len(lines) == 0 {
			return
		}
		var doc strings.Builder
		var words []string
		for i, l := range lines {
			speaker, turn := "", ""
			switch i % 5 {
			case 1:
				speaker = fmt.Sprintf("(speaker %d) ", i%2)
			case 2:
				speaker = "(speaker ?) "
			case 3:
				turn = " [SPEAKER_TURN]"
			}
			fmt.Fprintf(&doc, "[%s --> %s]  %s%s%s\n", msTime(i*2070, "."), msTime((i+1)*2070, "."), speaker, strings.Join(l, " "), turn)
			words = append(words, l...)
		}
		checkExport(t, doc.String(), "out.txt", transcript.FormatWhisperCpp, words)
	})
}

// FuzzDecodeExports decodes anything, seeded with the captions and text
// exports: Decode ends with a text or a classified error, and the text of
// an export has no blank line and no trailing white space.
func FuzzDecodeExports(f *testing.F) {
	for _, fx := range textFixtures {
		f.Add(readFile(f, fx.file), fx.file)
	}
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		text, format, err := transcript.Decode(data, key, "", 1<<20)
		if err != nil {
			if !errors.Is(err, transcript.ErrBadFormat) && !errors.Is(err, transcript.ErrTooLarge) {
				t.Fatalf("error wraps neither ErrBadFormat nor ErrTooLarge: %v", err)
			}
			return
		}
		if !utf8.ValidString(text) || strings.TrimSpace(text) == "" {
			t.Fatalf("invalid or blank output %q", text)
		}
		if len(text) > len(data)+4<<10 {
			t.Fatalf("%d bytes of text for %d bytes of content", len(text), len(data))
		}
		for line := range strings.Lines(text) {
			line = strings.TrimSuffix(line, "\n")
			if strings.TrimRight(line, " \t") != line {
				t.Fatalf("trailing white space in line %q", line)
			}
		}
		if (exportFormats[format] || format == transcript.FormatSRT || format == transcript.FormatVTT) && strings.Contains(text, "\n\n") {
			t.Fatalf("blank line in turns %q", text)
		}
	})
}
