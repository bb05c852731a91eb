package transcript_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker/transcript"
)

// textFixtures are the captions and text exports of testdata, written
// from each tool's documented output, with the format each must be
// recognized as; NAME.EXT has its expected output in NAME.golden.txt.
var textFixtures = []struct {
	file   string
	format transcript.Format
}{
	{"youtube-rolling.en.vtt", transcript.FormatVTT},          // YouTube auto-captions (yt-dlp --write-auto-subs)
	{"highlight-words.vtt", transcript.FormatVTT},             // whisper --highlight_words True
	{"diarized-highlight.whisperx.srt", transcript.FormatSRT}, // whisperx --diarize --highlight_words True
	{"karaoke.srt", transcript.FormatSRT},                     // karaoke: the words sung so far in color
	{"segments.tsv", transcript.FormatTSV},                    // whisper --output_format tsv
	{"otter-export.txt", transcript.FormatOtter},              // Otter.ai export, speaker names and timestamps
	{"whispercpp-console.txt", transcript.FormatWhisperCpp},   // whisper-cli --diarize > out.txt
}

// markup is what must never reach the text of a caption or export:
// timings, timestamps, tags, headers, raw diarization labels.
var markup = regexp.MustCompile(`-->|<[/0-9a-zA-Z]|WEBVTT|Kind:|align:|start\tend|SPEAKER_|\(speaker|otter\.ai|\t|\b\d{1,2}:\d{2}\b`)

// checkNoMarkup fails when text holds markup.
func checkNoMarkup(t *testing.T, text string) {
	t.Helper()
	if m := markup.FindString(text); m != "" {
		t.Errorf("%q reached the text:\n%s", m, text)
	}
}

func TestGoldenTextFormats(t *testing.T) {
	t.Parallel()
	for _, fx := range textFixtures {
		t.Run(fx.file, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, fx.file, fx.format, checkNoMarkup)
		})
	}
}

// TestGoldenTextFormatsByContent decodes the fixtures under other keys:
// the content decides, whatever the extension says.
func TestGoldenTextFormatsByContent(t *testing.T) {
	t.Parallel()
	for _, fx := range textFixtures {
		for _, key := range []string{"in/upload.txt", "in/upload", "in/upload.log", "in/upload.txt.gz"} {
			t.Run(fx.file+" as "+key, func(t *testing.T) {
				t.Parallel()
				data := readFile(t, fx.file)
				if strings.HasSuffix(key, ".gz") {
					data = gz(t, data)
				}
				got, f, err := transcript.Decode(data, key, "", 0)
				if err != nil {
					t.Fatal(err)
				}
				if f != fx.format {
					t.Errorf("format %q, want %q", f, fx.format)
				}
				if want := readGolden(t, fx.file); got != want {
					t.Errorf("got:\n%s\nwant:\n%s", got, want)
				}
			})
		}
	}
}

func TestDecodeTSV(t *testing.T) {
	t.Parallel()
	const tsv, txt = transcript.FormatTSV, transcript.FormatText
	runDecodeCases(t, []decodeCase{
		{name: "whisper rows", key: "a.tsv", format: tsv,
			data: "start\tend\ttext\n0\t1500\tHello there.\n1500\t3200\tHow are you?\n",
			want: "Hello there. How are you?"},
		{name: "whisperx labels in the text", key: "a.tsv", format: tsv,
			data: "start\tend\ttext\n31\t900\t[SPEAKER_00]: Hi.\n900\t1500\t[SPEAKER_01]: Hello.\n1500\t2100\t[SPEAKER_01]: Again.\n2100\t2600\t[SPEAKER_00]: Bye.\n",
			want: "Speaker 1: Hi.\nSpeaker 2: Hello. Again.\nSpeaker 1: Bye."},
		{name: "speaker column", key: "a.tsv", format: tsv,
			data: "start\tend\tspeaker\ttext\n0\t1000\tSPEAKER_00\tHi.\n1000\t2000\tAlice\tHello.\n2000\t2500\t\tStill Alice.\n",
			want: "Speaker 1: Hi.\nAlice: Hello. Still Alice."},
		{name: "seconds with fractions, CRLF, BOM", key: "a.tsv", format: tsv,
			data: "\ufeffStart\tEnd\tText\r\n0.0\t1.52\tOne.\r\n1.52\t3.04\tTwo.\r\n",
			want: "One. Two."},
		{name: "empty text and tabs in the text", key: "a.tsv", format: tsv,
			data: "start\tend\ttext\n0\t0\t\n0\t900\ta\tb\n",
			want: "a b"},
		{name: "a line that is no row is kept", key: "a.tsv", format: tsv,
			data: "start\tend\ttext\n0\t900\tOne.\nnot a row\n900\t1800\tTwo.\n",
			want: "One. not a row Two."},
		{name: "under .txt", key: "a.txt", format: tsv,
			data: "start\tend\ttext\n0\t900\tHi.\n", want: "Hi."},
		{name: "under .srt", key: "a.srt", format: tsv,
			data: "start\tend\ttext\n0\t900\tHi.\n", want: "Hi."},
		{name: "another tsv is text", key: "a.tsv", format: txt,
			data: "name\tage\nAda\t36\n", want: "name\tage\nAda\t36"},
		{name: "rows of another shape are text", key: "a.tsv", format: txt,
			data: "start\tend\ttext\nsoon\tlater\thi\n", want: "start\tend\ttext\nsoon\tlater\thi"},
		{name: "header only", key: "a.tsv", err: transcript.ErrBadFormat, errText: "empty",
			data: "start\tend\ttext\n"},
		{name: "rows without text", key: "a.tsv", err: transcript.ErrBadFormat, errText: "empty",
			data: "start\tend\ttext\n0\t10\t\n10\t20\t  \n"},
	})
}

func TestDecodeOtter(t *testing.T) {
	t.Parallel()
	const otter, txt = transcript.FormatOtter, transcript.FormatText
	runDecodeCases(t, []decodeCase{
		{name: "names and times", key: "a.txt", format: otter,
			data: "Ann Lee  0:03\nHello.\n\nBo  0:09\nHi Ann.\nHow are you?\n\nAnn Lee  0:15\nFine.\n",
			want: "Ann Lee: Hello.\nBo: Hi Ann. How are you?\nAnn Lee: Fine."},
		{name: "same speaker twice is one turn", key: "a.txt", format: otter,
			data: "Ann  0:03\nOne.\n\nAnn  0:09\nTwo.\n", want: "Ann: One. Two."},
		{name: "times only", key: "a.txt", format: otter,
			data: "0:00\nHello there.\n\n0:05\nHi.\n\n1:02:03\nBye.\n", want: "Hello there.\nHi.\nBye."},
		{name: "names typed in lower case, tab", key: "a.txt", format: otter,
			data: "jane\t0:00\nhi\n\nbob  12:04\nyo\n", want: "jane: hi\nbob: yo"},
		{name: "diarization label as name", key: "a.txt", format: otter,
			data: "SPEAKER_00  0:00\nhi\n\nspk_1  0:04\nyo\n", want: "Speaker 1: hi\nSpeaker 2: yo"},
		{name: "footer of a free plan dropped", key: "a.txt", format: otter,
			data: "Ann  0:03\nHello.\n\nTranscribed by https://otter.ai\n", want: "Ann: Hello."},
		{name: "CRLF, no extension", key: "a", format: otter,
			data: "Ann  0:03\r\nHello.\r\n\r\nBo  0:09\r\nHi.\r\n", want: "Ann: Hello.\nBo: Hi."},
		{name: "paragraph without header continues the turn", key: "a.txt", format: otter,
			data: "Ann  0:03\nHello.\n\nStill me.\n\nBo  0:09\nHi.\n", want: "Ann: Hello. Still me.\nBo: Hi."},
		{name: "one space before the time is text", key: "a.txt", format: txt,
			data: "Meeting at 10:30\nwe talked\n", want: "Meeting at 10:30\nwe talked"},
		{name: "header without text is text", key: "a.txt", format: txt,
			data: "Ann Lee  0:03\n\nHello.\n", want: "Ann Lee  0:03\n\nHello."},
		{name: "few headers is text", key: "a.txt", format: txt,
			data: "Agenda  1:00\nitems\n\nfirst\n\nsecond\n\nthird\n", want: "Agenda  1:00\nitems\n\nfirst\n\nsecond\n\nthird"},
	})
}

func TestDecodeWhisperCpp(t *testing.T) {
	t.Parallel()
	const cpp, txt = transcript.FormatWhisperCpp, transcript.FormatText
	runDecodeCases(t, []decodeCase{
		{name: "segments", key: "a.txt", format: cpp,
			data: "\n[00:00:00.000 --> 00:00:02.000]   Hello there.\n[00:00:02.000 --> 00:00:04.500]   How are you?\n",
			want: "Hello there. How are you?"},
		{name: "tinydiarize speaker turns", key: "a.txt", format: cpp,
			data: "[00:00:00.000 --> 00:00:02.000]   Hi, how are you? [SPEAKER_TURN]\n[00:00:02.000 --> 00:00:03.000]   Fine.\n[00:00:03.000 --> 00:00:04.000]   Thanks. [SPEAKER_TURN]\n[00:00:04.000 --> 00:00:05.000]   Good.\n",
			want: "Hi, how are you?\nFine. Thanks.\nGood."},
		{name: "stereo diarization", key: "a.log", format: cpp,
			data: "[00:00:00.000 --> 00:00:02.000]  (speaker 0) Hi.\n[00:00:02.000 --> 00:00:03.000]  (speaker 1) Hello.\n[00:00:03.000 --> 00:00:04.000]  (speaker ?) Both.\n",
			want: "Speaker 1: Hi.\nSpeaker 2: Hello.\nSpeaker ?: Both."},
		{name: "whisperx-style labels", key: "a", format: cpp,
			data: "[00:00:00.000 --> 00:00:02.000]  [SPEAKER_00]: Hi.\n[00:00:02.000 --> 00:00:03.000]  SPEAKER_01: Hello.\n",
			want: "Speaker 1: Hi.\nSpeaker 2: Hello."},
		{name: "print colors", key: "a.txt", format: cpp,
			data: "[00:00:00.000 --> 00:00:02.000]  \x1b[38;5;160m Hello\x1b[0m\x1b[38;5;226m there.\x1b[0m\n",
			want: "Hello there."},
		{name: "a line without timing is kept", key: "a.txt", format: cpp,
			data: "[00:00:00.000 --> 00:00:02.000]  Hello.\nwhisper_print_timings: total time = 1.0 ms\n",
			want: "Hello. whisper_print_timings: total time = 1.0 ms"},
		{name: "brackets that are no timing are text", key: "a.txt", format: txt,
			data: "[Laughter] so\n[00:00:00.000 --> 00:00:02.000]  Hello.\n",
			want: "[Laughter] so\n[00:00:00.000 --> 00:00:02.000]  Hello."},
		{name: "only timings", key: "a.txt", err: transcript.ErrBadFormat, errText: "empty",
			data: "[00:00:00.000 --> 00:00:02.000]   \n[00:00:02.000 --> 00:00:04.500]  [SPEAKER_TURN]\n"},
	})
}

// TestDecodeDiarizationLabels decodes one diarized recording in every
// format its tools write: the speakers have the same names in each.
func TestDecodeDiarizationLabels(t *testing.T) {
	t.Parallel()
	const want = "Speaker 1: Hi there.\nSpeaker 2: Hello. Fine.\nSpeaker 1: Bye."
	tests := []struct {
		name, key string
		format    transcript.Format
		data      string
	}{
		{"whisperx json", "a.json", transcript.FormatWhisper,
			`{"segments":[{"start":0,"end":1,"text":" Hi there.","speaker":"SPEAKER_00"},{"start":1,"end":2,"text":" Hello.","speaker":"SPEAKER_01"},{"start":2,"end":3,"text":" Fine.","speaker":"SPEAKER_01"},{"start":3,"end":4,"text":" Bye.","speaker":"SPEAKER_00"}],"language":"en"}`},
		{"whisperx txt", "a.txt", transcript.FormatText,
			"[SPEAKER_00]: Hi there.\n[SPEAKER_01]: Hello. Fine.\n[SPEAKER_00]: Bye.\n"},
		{"faster-whisper txt", "a.txt", transcript.FormatText,
			"SPEAKER_00: Hi there.\nSPEAKER_01: Hello. Fine.\nSPEAKER_00: Bye.\n"},
		{"whisper.cpp txt", "a.txt", transcript.FormatText,
			"(speaker 0) Hi there.\n(speaker 1) Hello. Fine.\n(speaker 0) Bye.\n"},
		{"whisperx srt", "a.srt", transcript.FormatSRT,
			"1\n00:00:00,000 --> 00:00:01,000\n[SPEAKER_00]: Hi there.\n\n2\n00:00:01,000 --> 00:00:02,000\n[SPEAKER_01]: Hello.\n\n3\n00:00:02,000 --> 00:00:03,000\n[SPEAKER_01]: Fine.\n\n4\n00:00:03,000 --> 00:00:04,000\n[SPEAKER_00]: Bye.\n"},
		{"whisperx vtt", "a.vtt", transcript.FormatVTT,
			"WEBVTT\n\n00:00.000 --> 00:01.000\n[SPEAKER_00]: Hi there.\n\n00:01.000 --> 00:02.000\n[SPEAKER_01]: Hello.\n\n00:02.000 --> 00:03.000\n[SPEAKER_01]: Fine.\n\n00:03.000 --> 00:04.000\n[SPEAKER_00]: Bye.\n"},
		{"vtt voices", "a.vtt", transcript.FormatVTT,
			"WEBVTT\n\n00:00.000 --> 00:01.000\n<v SPEAKER_00>Hi there.\n\n00:01.000 --> 00:03.000\n<v SPEAKER_01>Hello.\nFine.\n\n00:03.000 --> 00:04.000\n<v SPEAKER_00>Bye.\n"},
		{"whisper.cpp srt", "a.srt", transcript.FormatSRT,
			"1\n00:00:00,000 --> 00:00:01,000\n(speaker 0) Hi there.\n\n2\n00:00:01,000 --> 00:00:03,000\n(speaker 1) Hello. Fine.\n\n3\n00:00:03,000 --> 00:00:04,000\n(speaker 0) Bye.\n"},
		{"whisper.cpp vtt", "a.vtt", transcript.FormatVTT,
			"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Speaker0> Hi there.\n\n00:00:01.000 --> 00:00:03.000\n<v Speaker1> Hello. Fine.\n\n00:00:03.000 --> 00:00:04.000\n<v Speaker0> Bye.\n"},
		{"whisper.cpp console", "a.txt", transcript.FormatWhisperCpp,
			"[00:00:00.000 --> 00:00:01.000]  (speaker 0) Hi there.\n[00:00:01.000 --> 00:00:03.000]  (speaker 1) Hello. Fine.\n[00:00:03.000 --> 00:00:04.000]  (speaker 0) Bye.\n"},
		{"whisperx tsv", "a.tsv", transcript.FormatTSV,
			"start\tend\ttext\n0\t1000\t[SPEAKER_00]: Hi there.\n1000\t2000\t[SPEAKER_01]: Hello.\n2000\t3000\t[SPEAKER_01]: Fine.\n3000\t4000\t[SPEAKER_00]: Bye.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, f, err := transcript.Decode([]byte(tt.data), tt.key, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if f != tt.format || got != want {
				t.Errorf("Decode = %q, %q; want %q, %q", got, f, want, tt.format)
			}
		})
	}
}

func TestDecodeTextLabels(t *testing.T) {
	t.Parallel()
	const txt = transcript.FormatText
	runDecodeCases(t, []decodeCase{
		{name: "whisperx", key: "a.txt", format: txt, data: "[SPEAKER_00]: Hi.\n[SPEAKER_11]: Yo.", want: "Speaker 1: Hi.\nSpeaker 12: Yo."},
		{name: "bracket without colon, indented", key: "a.txt", format: txt, data: "  [SPEAKER_00] Hi.", want: "Speaker 1: Hi."},
		{name: "label alone", key: "a.txt", format: txt, data: "[SPEAKER_00]:\nHi.", want: "Speaker 1:\nHi."},
		{name: "whisper.cpp unknown", key: "a.txt", format: txt, data: "(speaker ?) Both.", want: "Speaker ?: Both."},
		{name: "names people give are kept", key: "a.txt", format: txt, data: "Alice: hi\n[Bob] yo\n[Music] la", want: "Alice: hi\n[Bob] yo\n[Music] la"},
		// A name longer than its label would make the text longer than
		// its content: kept as written.
		{name: "spk_0 kept", key: "a.txt", format: txt, data: "spk_0: hi\nch_1: yo", want: "spk_0: hi\nch_1: yo"},
		{name: "not a label", key: "a.txt", format: txt, data: "SPEAKER_TURN: x\n(speaker one) y\n[SPEAKER_00 z", want: "SPEAKER_TURN: x\n(speaker one) y\n[SPEAKER_00 z"},
	})
}

// TestDecodeContentOverExtension decodes content under a key whose
// extension says otherwise: the content decides.
func TestDecodeContentOverExtension(t *testing.T) {
	t.Parallel()
	runDecodeCases(t, []decodeCase{
		{name: "whisper json as .txt", key: "a.txt", format: transcript.FormatWhisper,
			data: `{"text":" Hello there.","segments":[{"start":0,"end":1,"text":" Hello there."}],"language":"en"}`, want: "Hello there."},
		{name: "transcribe json as .txt", key: "a.txt", format: transcript.FormatTranscribe,
			data: transcribeDiarized, want: "Speaker 1: Hello there.\nSpeaker 2: Hi, how are you?"},
		{name: "transcribe json as .md.gz, indented", key: "a.md.gz", format: transcript.FormatTranscribe,
			data: string(gz(t, []byte("\n  "+transcribeDiarized))), want: "Speaker 1: Hello there.\nSpeaker 2: Hi, how are you?"},
		{name: "json as .srt", key: "a.srt", format: transcript.FormatWhisper,
			data: `{"text":"hi"}`, want: "hi"},
		{name: "unknown json as .txt", key: "a.txt", err: transcript.ErrBadFormat, errText: "unrecognized JSON transcript",
			data: `{"hello":"world"}`},
		{name: "array of objects as .txt", key: "a.txt", err: transcript.ErrBadFormat, errText: "unrecognized JSON transcript",
			data: `[{"hello":"world"}]`},
		{name: "braces that are not JSON stay text", key: "a.txt", format: transcript.FormatText,
			data: "{laughs} ok\n{", want: "{laughs} ok\n{"},
		{name: "brackets that are not JSON stay text", key: "a.txt", format: transcript.FormatText,
			data: "[{laughs}] ok", want: "[{laughs}] ok"},
		{name: "vtt as .txt", key: "a.txt", format: transcript.FormatVTT,
			data: "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>Hi.\n", want: "Ann: Hi."},
		{name: "srt as .txt", key: "a.txt", format: transcript.FormatSRT,
			data: "1\n00:00:01,000 --> 00:00:02,000\n[SPEAKER_00]: Hi.\n", want: "Speaker 1: Hi."},
		{name: "tsv as .txt", key: "a.txt", format: transcript.FormatTSV,
			data: "start\tend\ttext\n0\t900\tHi.\n", want: "Hi."},
		{name: "whisper.cpp as .md", key: "a.md", format: transcript.FormatWhisperCpp,
			data: "[00:00:00.000 --> 00:00:02.000]   Hi.\n", want: "Hi."},
	})
}

// TestOrdinaryCaptionsKeepRepeats decodes ordinary subtitles whose cues
// repeat words and lines: nothing is de-duplicated.
func TestOrdinaryCaptionsKeepRepeats(t *testing.T) {
	t.Parallel()
	runDecodeCases(t, []decodeCase{
		{name: "no / no, that's wrong", key: "a.srt", format: transcript.FormatSRT,
			data: "1\n00:00:01,000 --> 00:00:02,000\nno\n\n2\n00:00:02,000 --> 00:00:03,000\nno, that's wrong\n",
			want: "no no, that's wrong"},
		{name: "no / no that's wrong", key: "a.srt", format: transcript.FormatSRT,
			data: "1\n00:00:01,000 --> 00:00:02,000\nno\n\n2\n00:00:02,000 --> 00:00:03,000\nno that's wrong\n\n3\n00:00:03,000 --> 00:00:04,000\nthat's wrong\n\n4\n00:00:04,000 --> 00:00:05,000\nthat's wrong, I said\n",
			want: "no no that's wrong that's wrong that's wrong, I said"},
		{name: "a line said again", key: "a.vtt", format: transcript.FormatVTT,
			data: "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>No.\n\n00:02.000 --> 00:03.000\n<v Ann>No.\n\n00:03.000 --> 00:04.000\n<v Bo>Yes.\n\n00:04.000 --> 00:05.000\n<v Bo>Yes.\n",
			want: "Ann: No. No.\nBo: Yes. Yes."},
		{name: "italics move, text stays", key: "a.srt", format: transcript.FormatSRT,
			data: "1\n00:00:01,000 --> 00:00:02,000\n<i>Go.</i>\n\n2\n00:00:02,000 --> 00:00:03,000\nGo.\n\n3\n00:00:03,000 --> 00:00:04,000\n<i>Go.</i>\n",
			want: "Go. Go. Go."},
	})
}

// TestRollingCaptionsShapes decodes the rolling shapes that the
// generator of the property tests does not write.
func TestRollingCaptionsShapes(t *testing.T) {
	t.Parallel()
	runDecodeCases(t, []decodeCase{
		{name: "youtube without the 10 ms cues", key: "a.vtt", format: transcript.FormatVTT,
			data: "WEBVTT\n\n00:00.000 --> 00:01.000\n \none<00:00.500><c> two</c>\n\n00:01.000 --> 00:02.000\none two\nthree<00:01.500><c> four</c>\n\n00:02.000 --> 00:03.000\nthree four\nfive\n",
			want: "one two three four five"},
		{name: "paint-on: the line grows", key: "a.vtt", format: transcript.FormatVTT,
			data: "WEBVTT\n\n00:00.000 --> 00:00.500\n \nhello\n\n00:00.500 --> 00:01.000\nhello every<00:00.800><c>one</c>\n\n00:01.000 --> 00:01.500\nhello everyone\nhow\n\n00:01.500 --> 00:02.000\nhello everyone\nhow are you\n",
			want: "hello everyone how are you"},
		{name: "roll-up of three rows", key: "a.vtt", format: transcript.FormatVTT,
			data: "WEBVTT\n\n00:00.000 --> 00:01.000\n \nA one\n\n00:01.000 --> 00:02.000\nA one\nB two<00:01.500><c> more</c>\n\n00:02.000 --> 00:03.000\nA one\nB two more\nC three\n\n00:03.000 --> 00:04.000\nB two more\nC three\nD four\n",
			want: "A one B two more C three D four"},
		{name: "a cue of too many lines is read as it is", key: "a.vtt", format: transcript.FormatVTT,
			data: "WEBVTT\n\n00:00.000 --> 00:01.000\n \none<00:00.500><c> two</c>\n\n00:01.000 --> 00:01.010\none two\n \n\n00:01.010 --> 00:02.000\n" +
				strings.Repeat("many\n", 40) + "\n00:02.000 --> 00:03.000\n \nthree<00:02.500><c> four</c>\n\n00:03.000 --> 00:03.010\nthree four\n \n",
			want: "one two " + strings.Repeat("many ", 40) + "three four"},
		{name: "duplicated cues with their timing (SRT)", key: "a.srt", format: transcript.FormatSRT,
			data: strings.Repeat("1\n00:00:01,000 --> 00:00:02,000\nSame cue twice.\n\n", 2) + "2\n00:00:02,000 --> 00:00:02,010\nSame cue twice.\n\n3\n00:00:02,010 --> 00:00:04,000\nSame cue twice.\nThen more.\n",
			want: "Same cue twice. Then more."},
	})
}
