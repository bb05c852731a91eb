package transcript_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/summarizer/summarizer/worker/transcript"
	"github.com/summarizer/summarizer/worker/transcript/internal/worstcase"
)

// addSamples seeds f with every fixture and repository sample, plain and
// gzipped, through add.
func addSamples(f *testing.F, add func(data []byte, key string)) {
	f.Helper()
	for _, fx := range fixtures {
		data := readFile(f, fx.file)
		add(data, fx.file)
		add(gz(f, data), fx.file+".gz")
	}
	for _, name := range []string{"customer-call-acme.srt", "incident-review.vtt", "standup-2026-11-23.txt"} {
		add(readFile(f, "../../../testdata/transcripts/"+name), name)
	}
}

func FuzzDecode(f *testing.F) {
	addSamples(f, func(data []byte, key string) { f.Add(data, key, "") })
	for _, s := range []struct{ data, key, enc string }{
		{"", "a.txt", ""},
		{"\ufeffHello\r\nworld\rbye\n\n\n\nend  ", "a.txt", ""},
		{"1\n00:00:01,000 --> 00:00:02,000\n<i>Alice:</i> hi {\\an8}&amp;\n", "a.txt", ""},
		{"WEBVTT\n\nNOTE x\n\nid\n00:01.000 --> 00:02.000 align:start\n<v.loud Bob>yo</v> <00:00:01.500><c>x</c>", "a", ""},
		{`{"results":{"audio_segments":[{"transcript":"hi","speaker_label":"spk_0"}]}}`, "a.json", ""},
		{`{"results":{"items":[{"type":"pronunciation","start_time":"1","alternatives":[{"content":"a"}]}],"speaker_labels":{"segments":[{"speaker_label":"spk_1","items":[{"start_time":"1"}]}]}}}`, "a", ""},
		{`{"text":" hi","segments":[{"text":" hi","speaker":"SPEAKER_00"}]}`, "a.json", ""},
		{`{"hello":1}`, "a.json", ""},
		{"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", "a.gz", "gzip"},
		{"\xff\xfeh\x00i\x00", "a.txt", ""},
		{"caf\xe9", "a.txt", "br"},
		{"a\x00b", "a.txt", ""},
		{"[Laughter] - Alice: [Bob]: x", "a.srt", ""},
		{"<<<<v <v <v>>>> &#x110000; &#55296; &#0; &amp", "a.vtt", ""},
		{`{"results":{"items":[` + strings.Repeat("[", 9_999) + strings.Repeat("]", 9_999) + `]}}`, "a.json", ""},
		{`{"segments":` + strings.Repeat("[", 10_001) + strings.Repeat("]", 10_001) + `}`, "a.json", ""},
	} {
		f.Add([]byte(s.data), s.key, s.enc)
	}
	addWorstCases(f, 32<<10, func(c worstcase.Case) { f.Add(c.Data, c.Key, "") })
	f.Fuzz(func(t *testing.T, data []byte, key, encoding string) {
		text, format, err := transcript.Decode(data, key, encoding, 1<<20)
		if err != nil {
			if !errors.Is(err, transcript.ErrBadFormat) && !errors.Is(err, transcript.ErrTooLarge) {
				t.Fatalf("error wraps neither ErrBadFormat nor ErrTooLarge: %v", err)
			}
			if text != "" || format != "" {
				t.Fatalf("error %v with output %q, %q", err, text, format)
			}
			if len(err.Error()) > 200 {
				t.Fatalf("error text is %d bytes", len(err.Error()))
			}
			return
		}
		if !utf8.ValidString(text) {
			t.Fatalf("output is not valid UTF-8: %q", text)
		}
		if strings.TrimSpace(text) == "" {
			t.Fatalf("blank output %q", text)
		}
		if strings.ContainsRune(text, '\r') || strings.HasSuffix(text, "\n") {
			t.Fatalf("CR or trailing newline in %q", text)
		}
		for line := range strings.Lines(text) {
			line = strings.TrimSuffix(line, "\n")
			if strings.TrimRight(line, " \t") != line {
				t.Fatalf("trailing white space in line %q", line)
			}
		}
		switch format {
		case transcript.FormatText:
			if strings.Contains(text, "\n\n\n") {
				t.Fatalf("blank lines not collapsed in %q", text)
			}
			// Plain text loses no word.
			if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) && utf8.Valid(data) {
				if w := missingWord(string(data), text); w != "" {
					t.Fatalf("word %q of the input is not in the output %q", w, text)
				}
			}
		case transcript.FormatSRT, transcript.FormatVTT, transcript.FormatTranscribe, transcript.FormatWhisper:
			if strings.Contains(text, "\n\n") {
				t.Fatalf("blank line in turns %q", text)
			}
		default:
			if !isVendorFormat(format) && !exportFormats[format] {
				t.Fatalf("unknown format %q", format)
			}
			if strings.Contains(text, "\n\n") {
				t.Fatalf("blank line in turns %q", text)
			}
		}
	})
}

// addWorstCases seeds f with every worst-case shape of memory (package
// worstcase), size bytes each.
func addWorstCases(f *testing.F, size int, add func(worstcase.Case)) {
	f.Helper()
	for _, name := range worstcase.Names() {
		c, err := worstcase.Build(name, size)
		if err != nil {
			f.Fatal(err)
		}
		add(c)
	}
}

// sanitizeCueText makes fuzzed text fit in a cue: valid UTF-8, no markup
// characters (markup is not spoken text, and a '>' could make a timing
// line), no blank lines (a blank line ends a cue).
func sanitizeCueText(s string) []string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '<', '>', '{', '}', '&', '\r', 0:
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	var cues []string
	for block := range strings.SplitSeq(s, "\n\n") {
		var lines []string
		for line := range strings.SplitSeq(block, "\n") {
			if strings.TrimSpace(line) != "" {
				lines = append(lines, line)
			}
		}
		if len(lines) > 0 {
			cues = append(cues, strings.Join(lines, "\n"))
		}
	}
	return cues
}

// cueTime formats second i as an SRT or WebVTT timestamp.
func cueTime(i int, sep string) string {
	return fmt.Sprintf("%02d:%02d:%02d%s%03d", i/3600, i/60%60, i%60, sep, i*37%1000)
}

// checkCueWords decodes doc and checks that every word of cues survives.
func checkCueWords(t *testing.T, doc, key string, want transcript.Format, cues []string) {
	t.Helper()
	all := strings.Join(cues, "\n")
	text, format, err := transcript.Decode([]byte(doc), key, "", 0)
	if err != nil {
		if len(words(all)) > 0 {
			t.Fatalf("Decode: %v (cue text %q)", err, all)
		}
		return
	}
	if format != want {
		t.Fatalf("format %q, want %q", format, want)
	}
	if !utf8.ValidString(text) {
		t.Fatalf("output is not valid UTF-8: %q", text)
	}
	if w := missingWord(all, text); w != "" {
		t.Fatalf("word %q of the cues is not in the output\ndocument:\n%s\noutput:\n%s", w, doc, text)
	}
}

func addCueSeeds(f *testing.F) {
	addSamples(f, func(data []byte, key string) {
		if !strings.HasSuffix(key, ".gz") {
			f.Add(string(data))
		}
	})
	for _, s := range []string{
		"Alice: hello\nworld\n\nBob: hi",
		"[Alice] one\n\n- Bob: two\n- Alice: three\n\n[MUSIC]\n\nfour",
		"42\n\n7\nx\n\n1\n2",
		"WEBVTT\n\nNOTE\n\nSTYLE\n\nREGION",
		"中文: 你好 🎉\n\nÉlodie: très bien",
		"00:00:01,000 -- 00:00:02,000\n1\n\n\u00a0\u2028 x \u0085",
		"Dr. Mei Lin: a\n\nDr. Mei Lin: b\nc: d\nE:f",
	} {
		f.Add(s)
	}
}

func FuzzSRT(f *testing.F) {
	addCueSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		cues := sanitizeCueText(text)
		if len(cues) == 0 {
			return
		}
		var doc strings.Builder
		for i, cue := range cues {
			fmt.Fprintf(&doc, "%d\n%s --> %s\n%s\n\n", i+1, cueTime(i, ","), cueTime(i+1, ","), cue)
		}
		checkCueWords(t, doc.String(), "fuzz.srt", transcript.FormatSRT, cues)
	})
}

func FuzzVTT(f *testing.F) {
	addCueSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		cues := sanitizeCueText(text)
		if len(cues) == 0 {
			return
		}
		var doc strings.Builder
		doc.WriteString("WEBVTT - fuzz\nKind: captions\n\nSTYLE\n::cue { color: lime }\n\nNOTE generated\n\n")
		for i, cue := range cues {
			switch i % 3 {
			case 0:
				cue = "<v Speaker A>" + cue
			case 1:
				cue = "<v.loud Speaker B><c.yellow>" + cue + "</c></v>"
			}
			fmt.Fprintf(&doc, "cue-%d\n%s --> %s align:start position:10%%\n%s\n\n", i, cueTime(i, "."), cueTime(i+1, "."), cue)
		}
		checkCueWords(t, doc.String(), "fuzz.vtt", transcript.FormatVTT, cues)
	})
}
