package transcript_test

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/transcript"
)

// decodeCase is one table row: input, then the expected output or error.
type decodeCase struct {
	name     string
	data     string
	key      string
	encoding string
	limit    int64
	want     string
	format   transcript.Format
	err      error  // ErrBadFormat or ErrTooLarge when Decode must fail
	errText  string // a part of the error text
}

func runDecodeCases(t *testing.T, tests []decodeCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, f, err := transcript.Decode([]byte(tt.data), tt.key, tt.encoding, tt.limit)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if !strings.Contains(err.Error(), tt.errText) {
					t.Errorf("err = %q, want it to say %q", err, tt.errText)
				}
				if got != "" || f != "" {
					t.Errorf("failed Decode returned %q, %q", got, f)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tt.want {
				t.Errorf("text:\n%q\nwant:\n%q", got, tt.want)
			}
			if f != tt.format {
				t.Errorf("format %q, want %q", f, tt.format)
			}
		})
	}
}

func TestDecodeText(t *testing.T) {
	t.Parallel()
	const txt = transcript.FormatText
	runDecodeCases(t, []decodeCase{
		{name: "plain", data: "Alice: hi\nBob: hello\n", key: "a.txt", want: "Alice: hi\nBob: hello", format: txt},
		{name: "CRLF", data: "Alice: hi\r\nBob: hello\r\n", key: "a.txt", want: "Alice: hi\nBob: hello", format: txt},
		{name: "lone CR", data: "Alice: hi\rBob: hello\r\rCarol: hey\r", key: "a.txt", want: "Alice: hi\nBob: hello\n\nCarol: hey", format: txt},
		{name: "mixed line ends", data: "a\r\nb\rc\nd", key: "a.txt", want: "a\nb\nc\nd", format: txt},
		{name: "BOM", data: "\ufeffHello there", key: "a.txt", want: "Hello there", format: txt},
		{name: "blank lines collapse", data: "\n\n  \none\n\n\n \t \n\ntwo\n\n\n", key: "a.txt", want: "one\n\ntwo", format: txt},
		{name: "trailing spaces trimmed, leading kept", data: "  indented  \t\nnext\u00a0 \n", key: "a.txt", want: "  indented\nnext", format: txt},
		{name: "control characters become spaces", data: "form\ffeed and\x1b[1mbell\x07\n\x0b\n", key: "a.txt", want: "form feed and [1mbell", format: txt},
		{name: "unicode", data: "Zoë: 你好 👋 café\n", key: "a.txt", want: "Zoë: 你好 👋 café", format: txt},
		{name: "UTF-16LE with BOM", data: "\xff\xfeH\x00i\x00 \x00=\xd8\x4b\xde", key: "a.txt", want: "Hi 🙋", format: txt},
		{name: "UTF-16BE with BOM", data: "\xfe\xff\x00H\x00i\x00\n\x00\xe9", key: "a.txt", want: "Hi\né", format: txt},
		{name: "markdown", data: "# Notes\n\n- one\n", key: "notes.md", want: "# Notes\n\n- one", format: txt},
		{name: "upper case extension", data: "hello", key: "A.TXT", want: "hello", format: txt},
		{name: "no extension", data: "just words", key: "transcripts/call", want: "just words", format: txt},
		{name: "unknown extension", data: "just words", key: "call.log", want: "just words", format: txt},
		{name: "txt holding JSON is read as JSON", data: `{"text":"hi"}`, key: "a.txt", want: "hi", format: transcript.FormatWhisper},
		{name: "brace that is not JSON", data: "{laughs} ok", key: "a", want: "{laughs} ok", format: txt},
		{name: "tags are kept in text", data: "<i>as typed</i>", key: "a.txt", want: "<i>as typed</i>", format: txt},
		{name: "srt without timing is text", data: "1\nhello\n", key: "a.srt", want: "1\nhello", format: txt},
		{name: "vtt without cues is text", data: "just a note\n", key: "a.vtt", want: "just a note", format: txt},
		{name: "content-encoding gzip already decoded", data: "plain", key: "a.txt", encoding: "gzip", want: "plain", format: txt},
		{name: "content-encoding br on text", data: "plain", key: "a.txt", encoding: "br", want: "plain", format: txt},
		{name: "exactly the limit", data: "12345", key: "a.txt", limit: 5, want: "12345", format: txt},
	})
}

func TestDecodeSRT(t *testing.T) {
	t.Parallel()
	const srt = transcript.FormatSRT
	runDecodeCases(t, []decodeCase{
		{name: "cues and speakers", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:04,000\nAlice: Hello.\n\n2\n00:00:04,500 --> 00:00:06,000\nBob: Hi.\n",
			want: "Alice: Hello.\nBob: Hi."},
		{name: "multi-line cue joined", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:04,000\nAlice: Hello\nand welcome.\n",
			want: "Alice: Hello and welcome."},
		{name: "same speaker merged, no speaker continues", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\nAlice: One.\n\n2\n00:00:02,000 --> 00:00:03,000\nAlice: Two.\n\n3\n00:00:03,000 --> 00:00:04,000\nThree.\n\n4\n00:00:04,000 --> 00:00:05,000\nBob: Four.\n",
			want: "Alice: One. Two. Three.\nBob: Four."},
		{name: "no speakers at all is one turn", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\nOne.\n\n2\n00:00:02,000 --> 00:00:03,000\nTwo.\n",
			want: "One. Two."},
		{name: "bracket and dash labels", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\n[Alice] Ready?\n\n2\n00:00:02,000 --> 00:00:03,000\n- Bob: Yes.\n- Alice: Go.\n",
			want: "Alice: Ready?\nBob: Yes.\nAlice: Go."},
		{name: "dash dialogue without names is kept", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\n- Ready?\n- Yes.\n",
			want: "- Ready? - Yes."},
		{name: "sound cue is not a speaker", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\nAlice: Hi.\n\n2\n00:00:02,000 --> 00:00:03,000\n[MUSIC PLAYING]\n",
			want: "Alice: Hi. [MUSIC PLAYING]"},
		{name: "lower case prefix and times are not speakers", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\nAlice: see https://x.io\n\n2\n00:00:02,000 --> 00:00:03,000\nnote: at 10:30 we meet\n",
			want: "Alice: see https://x.io note: at 10:30 we meet"},
		{name: "styling tags dropped", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<i>Alice:</i> <font color=\"#fff\">very</font> <b>bold</b> <u>move</u>\n",
			want: "Alice: very bold move"},
		{name: "unknown tags and stray brackets kept", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\nx <laughs> y < z > w {a} &unknown; 3 > 2\n",
			want: "x <laughs> y < z > w {a} &unknown; 3 > 2"},
		{name: "entities decoded", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\nTom &amp; Jerry &#233;&#x4E2D;\n",
			want: "Tom & Jerry é中"},
		{name: "unicode and emoji", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\n张伟: 你好，世界 🌏\n\n2\n00:00:02,000 --> 00:00:03,000\nÉlodie: Très bien.\n",
			want: "张伟: 你好，世界 🌏\nÉlodie: Très bien."},
		{name: "CRLF", key: "a.srt", format: srt,
			data: "1\r\n00:00:01,000 --> 00:00:02,000\r\nAlice: Hi.\r\n\r\n2\r\n00:00:02,000 --> 00:00:03,000\r\nBob: Yo.\r\n",
			want: "Alice: Hi.\nBob: Yo."},
		{name: "lone CR", key: "a.srt", format: srt,
			data: "1\r00:00:01,000 --> 00:00:02,000\rAlice: Hi.\r\r2\r00:00:02,000 --> 00:00:03,000\rBob: Yo.\r",
			want: "Alice: Hi.\nBob: Yo."},
		{name: "BOM", key: "a.srt", format: srt,
			data: "\ufeff1\n00:00:01,000 --> 00:00:02,000\nHi.\n",
			want: "Hi."},
		{name: "txt holding SRT", key: "call.txt", format: srt,
			data: "\n1\n00:00:01,000 --> 00:00:02,000\nAlice: Hi.\n",
			want: "Alice: Hi."},
		{name: "unknown extension holding SRT", key: "call", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\nHi.\n",
			want: "Hi."},
		{name: "cues without numbers, dot fraction, long hours", key: "a.srt", format: srt,
			data: "00:00:01.000 --> 00:00:02.000\nOne.\n\n100:00:02,5 --> 100:00:03,000 X1:40 X2:600\nTwo.\n",
			want: "One. Two."},
		{name: "spoken number is not a cue number", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\nThe answer is\n42\n\n2\n00:00:02,000 --> 00:00:03,000\n7\n",
			want: "The answer is 42 7"},
		{name: "label on its own line", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\nAlice:\nHello.\n\n2\n00:00:02,000 --> 00:00:03,000\nBob:\n\n3\n00:00:03,000 --> 00:00:04,000\nCarol: Hi.\nDan:\n",
			want: "Alice: Hello.\nBob:\nCarol: Hi.\nDan:"},
		{name: "no blank lines between cues", key: "a.srt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\nOne.\n2\n00:00:02,000 --> 00:00:03,000\nTwo.\n",
			want: "One. Two."},
		{name: "text before the first cue is kept", key: "a.srt", format: srt,
			data: "Recorded by Ann\n\n1\n00:00:01,000 --> 00:00:02,000\nHi.\n",
			want: "Recorded by Ann Hi."},
		{name: "srt named .vtt", key: "a.vtt", format: srt,
			data: "1\n00:00:01,000 --> 00:00:02,000\nHi.\n",
			want: "Hi."},
		{name: "only timings", key: "a.srt", err: transcript.ErrBadFormat, errText: "empty",
			data: "1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:02,000 --> 00:00:03,000\n<i></i>\n"},
	})
}

func TestDecodeVTT(t *testing.T) {
	t.Parallel()
	const vtt = transcript.FormatVTT
	runDecodeCases(t, []decodeCase{
		{name: "voice tags", key: "a.vtt", format: vtt,
			data: "WEBVTT\n\n00:01.000 --> 00:04.000\n<v Alice>Hello.</v>\n\n00:04.000 --> 00:05.000\n<v Bob>Hi.\n",
			want: "Alice: Hello.\nBob: Hi."},
		{name: "voice with classes and two voices in a line", key: "a.vtt", format: vtt,
			data: "WEBVTT\n\n00:01.000 --> 00:04.000\n<v.loud.fast Alice Smith>Stop!</v> <v Bob>Why?</v>\n",
			want: "Alice Smith: Stop!\nBob: Why?"},
		{name: "voice carries to the next line and cue", key: "a.vtt", format: vtt,
			data: "WEBVTT\n\n00:01.000 --> 00:04.000\n<v Alice>One\ntwo\n\n00:04.000 --> 00:05.000\nthree\n",
			want: "Alice: One two three"},
		{name: "voice tag alone on a line", key: "a.vtt", format: vtt,
			data: "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Bob>Hi.\n\n00:02.000 --> 00:04.000\n<v Alice>\nHello.\n",
			want: "Bob: Hi.\nAlice: Hello."},
		{name: "header, NOTE, STYLE, REGION, identifiers, settings", key: "a.vtt", format: vtt,
			data: "WEBVTT - title\nKind: captions\nLanguage: en\n\nSTYLE\n::cue { color: red }\n\nREGION\nid:r1\nwidth:40%\n\nNOTE a comment\nover two lines\n\nNOTE\n\nintro\n00:00:01.000 --> 00:00:02.000 align:start position:10% region:r1\nOne.\n\n2\n00:02.000 --> 00:03.000 line:0\nTwo.\n",
			want: "One. Two."},
		{name: "inline tags, timestamps and entities", key: "a.vtt", format: vtt,
			data: "WEBVTT\n\n00:01.000 --> 00:04.000\n<c.yellow>Fish</c> <00:00:01.500><i>&amp;</i> <b>chips</b>&nbsp;<u>now</u> <lang de>bitte</lang> &lt;3 &gt; &quot;x&quot;&lrm;\n",
			want: "Fish & chips now bitte <3 > \"x\""},
		{name: "ruby", key: "a.vtt", format: vtt,
			data: "WEBVTT\n\n00:01.000 --> 00:02.000\n<ruby>漢<rt>kan</rt></ruby>\n",
			want: "漢kan"},
		{name: "speaker labels without voice tags (Zoom)", key: "a.vtt", format: vtt,
			data: "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAna Lima: Hi.\n\n2\n00:00:02.000 --> 00:00:03.000\nAna Lima: Still me.\n\n3\n00:00:03.000 --> 00:00:04.000\nRavi: Hello.\n",
			want: "Ana Lima: Hi. Still me.\nRavi: Hello."},
		{name: "label after a voice without text", key: "a.vtt", format: vtt,
			data: "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Bob></v>\nBob:\n",
			want: "Bob:"},
		{name: "entity in voice name", key: "a.vtt", format: vtt,
			data: "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Tom &amp; Jerry>Hi.\n",
			want: "Tom & Jerry: Hi."},
		{name: "CRLF", key: "a.vtt", format: vtt,
			data: "WEBVTT\r\n\r\nNOTE x\r\n\r\n00:01.000 --> 00:02.000\r\n<v A>Hi.\r\n",
			want: "A: Hi."},
		{name: "lone CR and BOM", key: "a.vtt", format: vtt,
			data: "\ufeffWEBVTT\r\r00:01.000 --> 00:02.000\r<v A>Hi.\r",
			want: "A: Hi."},
		{name: "txt holding VTT", key: "a.txt", format: vtt,
			data: "WEBVTT\n\n00:01.000 --> 00:02.000\nHi.\n",
			want: "Hi."},
		{name: "srt named file holding VTT", key: "a.srt", format: vtt,
			data: "WEBVTT\n\n00:01.000 --> 00:02.000\nHi.\n",
			want: "Hi."},
		{name: "vtt without header", key: "a.vtt", format: vtt,
			data: "NOTE x\n\nid\n00:01.000 --> 00:02.000\nHi.\n",
			want: "Hi."},
		{name: "header only", key: "a.vtt", err: transcript.ErrBadFormat, errText: "empty",
			data: "WEBVTT\n\nNOTE nothing here\n"},
		{name: "WEBVTTX is not a signature", key: "a.txt", format: transcript.FormatText,
			data: "WEBVTTX\n", want: "WEBVTTX"},
	})
}

const (
	transcribeDiarized = `{"jobName":"j","accountId":"1","status":"COMPLETED","results":{
		"transcripts":[{"transcript":"Hello there. Hi, how are you?"}],
		"speaker_labels":{"channel_label":"ch_0","speakers":2,"segments":[
			{"start_time":"0.5","end_time":"1.2","speaker_label":"spk_0","items":[{"start_time":"0.5","end_time":"0.8","speaker_label":"spk_0"},{"start_time":"0.8","end_time":"1.2","speaker_label":"spk_0"}]},
			{"start_time":"1.5","end_time":"2.6","speaker_label":"spk_1","items":[{"start_time":"1.5","end_time":"1.7","speaker_label":"spk_1"},{"start_time":"1.8","end_time":"2.0","speaker_label":"spk_1"},{"start_time":"2.0","end_time":"2.2","speaker_label":"spk_1"},{"start_time":"2.2","end_time":"2.6","speaker_label":"spk_1"}]}]},
		"items":[
			{"id":0,"start_time":"0.5","end_time":"0.8","alternatives":[{"confidence":"0.99","content":"Hello"}],"type":"pronunciation"},
			{"id":1,"start_time":"0.8","end_time":"1.2","alternatives":[{"confidence":"0.98","content":"there"}],"type":"pronunciation"},
			{"id":2,"alternatives":[{"confidence":"0.0","content":"."}],"type":"punctuation"},
			{"id":3,"start_time":"1.5","end_time":"1.7","alternatives":[{"confidence":"0.99","content":"Hi"}],"type":"pronunciation"},
			{"id":4,"alternatives":[{"confidence":"0.0","content":","}],"type":"punctuation"},
			{"id":5,"start_time":"1.8","end_time":"2.0","alternatives":[{"confidence":"0.99","content":"how"}],"type":"pronunciation"},
			{"id":6,"start_time":"2.0","end_time":"2.2","alternatives":[{"confidence":"0.99","content":"are"}],"type":"pronunciation"},
			{"id":7,"start_time":"2.2","end_time":"2.6","alternatives":[{"confidence":"0.99","content":"you"}],"type":"pronunciation"},
			{"id":8,"alternatives":[{"confidence":"0.0","content":"?"}],"type":"punctuation"}]}}`
)

func TestDecodeTranscribe(t *testing.T) {
	t.Parallel()
	const aws = transcript.FormatTranscribe
	runDecodeCases(t, []decodeCase{
		{name: "audio_segments", key: "a.json", format: aws,
			data: `{"results":{"transcripts":[{"transcript":"ignored"}],"items":[],"audio_segments":[
				{"id":0,"transcript":"Hello there.","start_time":"0.5","end_time":"1.2","speaker_label":"spk_0","items":[0,1,2]},
				{"id":1,"transcript":"Hi, how are you?","speaker_label":"spk_1","items":[3]},
				{"id":2,"transcript":"Fine.","speaker_label":"spk_1","items":[4]},
				{"id":3,"transcript":"Great.","speaker_label":"spk_10","items":[5]}]},"status":"COMPLETED"}`,
			want: "Speaker 1: Hello there.\nSpeaker 2: Hi, how are you? Fine.\nSpeaker 11: Great."},
		{name: "items with speaker_labels segments", key: "a.json", format: aws,
			data: transcribeDiarized, want: "Speaker 1: Hello there.\nSpeaker 2: Hi, how are you?"},
		{name: "items with speaker_label on items", key: "a.json", format: aws,
			data: `{"results":{"transcripts":[{"transcript":"x"}],"items":[
				{"start_time":"0.1","alternatives":[{"content":"Yes"}],"type":"pronunciation","speaker_label":"spk_1"},
				{"alternatives":[{"content":"."}],"type":"punctuation","speaker_label":"spk_1"},
				{"start_time":"0.9","alternatives":[{"content":"No"}],"type":"pronunciation","speaker_label":"spk_0"},
				{"alternatives":[{"content":"!"}],"type":"punctuation","speaker_label":"spk_0"}]}}`,
			want: "Speaker 2: Yes.\nSpeaker 1: No!"},
		{name: "channel identification", key: "a.json", format: aws,
			data: `{"results":{"transcripts":[{"transcript":"x"}],"items":[
				{"channel_label":"ch_0","start_time":"0.1","alternatives":[{"content":"Hello"}],"type":"pronunciation"},
				{"channel_label":"ch_1","start_time":"0.9","alternatives":[{"content":"Hi"}],"type":"pronunciation"}]}}`,
			want: "Channel 1: Hello\nChannel 2: Hi"},
		{name: "items without speakers", key: "a.json", format: aws,
			data: `{"results":{"transcripts":[{"transcript":"x"}],"items":[
				{"start_time":"0.1","alternatives":[{"content":"Just"}],"type":"pronunciation"},
				{"start_time":"0.3","alternatives":[{"content":"words"}],"type":"pronunciation"},
				{"alternatives":[{"content":"."}],"type":"punctuation"}]}}`,
			want: "Just words."},
		{name: "transcripts only", key: "a.json", format: aws,
			data: `{"jobName":"j","results":{"transcripts":[{"transcript":"I've been on hold for an hour. Sorry about that."}]},"status":"COMPLETED"}`,
			want: "I've been on hold for an hour. Sorry about that."},
		{name: "sniffed without extension", key: "jobs/out", format: aws,
			data: `{"results":{"transcripts":[{"transcript":"Sniffed."}]}}`, want: "Sniffed."},
		{name: "silent audio", key: "a.json", err: transcript.ErrBadFormat, errText: "empty",
			data: `{"jobName":"j","results":{"transcripts":[{"transcript":""}],"items":[]},"status":"COMPLETED"}`},
	})
}

func TestDecodeWhisper(t *testing.T) {
	t.Parallel()
	const wh = transcript.FormatWhisper
	runDecodeCases(t, []decodeCase{
		{name: "openai verbose_json", key: "a.json", format: wh,
			data: `{"task":"transcribe","language":"english","duration":8.47,"text":" The beach was a popular spot.  Sunny day.","segments":[{"id":0,"seek":0,"start":0.0,"end":3.3,"text":" The beach was a popular spot.","tokens":[50364],"temperature":0.0,"avg_logprob":-0.28,"compression_ratio":1.2,"no_speech_prob":0.01},{"id":1,"seek":0,"start":3.3,"end":4.0,"text":" Sunny day."}]}`,
			want: "The beach was a popular spot. Sunny day."},
		{name: "segments without text", key: "a.json", format: wh,
			data: `{"segments":[{"id":0,"start":0,"end":1,"text":" One."},{"id":1,"start":1,"end":2,"text":" Two."}],"language":"en"}`,
			want: "One. Two."},
		{name: "whisperx speakers", key: "a.json", format: wh,
			data: `{"segments":[{"start":0.1,"end":1,"text":" Hi.","speaker":"SPEAKER_00"},{"start":1,"end":2,"text":" Hello.","speaker":"SPEAKER_01"},{"start":2,"end":3,"text":" Unassigned."},{"start":3,"end":4,"text":" Bye.","speaker":"SPEAKER_00"}],"word_segments":[]}`,
			want: "Speaker 1: Hi.\nSpeaker 2: Hello. Unassigned.\nSpeaker 1: Bye."},
		{name: "named speakers kept", key: "a.json", format: wh,
			data: `{"text":"ignored","segments":[{"text":"Hi.","speaker":"Alice"},{"text":"Yo.","speaker":"Bob"}]}`,
			want: "Alice: Hi.\nBob: Yo."},
		{name: "speaker of the wrong type is ignored", key: "a.json", format: wh,
			data: `{"segments":[{"text":"Hi.","speaker":7}]}`, want: "Hi."},
		{name: "text with control escapes", key: "a.json", format: wh,
			data: `{"text":"a\u0000b\nc\td"}`, want: "a b c d"},
		{name: "empty", key: "a.json", err: transcript.ErrBadFormat, errText: "empty",
			data: `{"text":"  ","segments":[]}`},
	})
}

func TestDecodeJSONErrors(t *testing.T) {
	t.Parallel()
	runDecodeCases(t, []decodeCase{
		{name: "unrecognized object", key: "a.json", data: `{"hello":"world"}`, err: transcript.ErrBadFormat, errText: "unrecognized JSON transcript"},
		{name: "unrecognized object sniffed", key: "a.dat", data: `{"results":{}}`, err: transcript.ErrBadFormat, errText: "unrecognized JSON transcript"},
		{name: "array", key: "a.json", data: `[1,2]`, err: transcript.ErrBadFormat, errText: "unrecognized JSON transcript"},
		{name: "syntax error", key: "a.json", data: `{"text": "x",}`, err: transcript.ErrBadFormat, errText: "invalid JSON"},
		{name: "not JSON at all", key: "a.json", data: "hello", err: transcript.ErrBadFormat, errText: "invalid JSON"},
		{name: "truncated", key: "a.json", data: `{"results":{"transcripts":[`, err: transcript.ErrBadFormat, errText: "invalid JSON"},
	})
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	runDecodeCases(t, []decodeCase{
		{name: "no bytes", key: "a.txt", data: "", err: transcript.ErrBadFormat, errText: "empty"},
		{name: "BOM only", key: "a.txt", data: "\ufeff", err: transcript.ErrBadFormat, errText: "empty"},
		{name: "white space only", key: "a.txt", data: " \r\n\t\n\u00a0\u3000", err: transcript.ErrBadFormat, errText: "empty"},
		{name: "NUL byte", key: "a.txt", data: "hello\x00world", err: transcript.ErrBadFormat, errText: "binary"},
		{name: "invalid UTF-8 (Latin-1)", key: "a.txt", data: "caf\xe9", err: transcript.ErrBadFormat, errText: "binary"},
		{name: "PDF", key: "a.txt", data: "%PDF-1.7\n\x80\x81\x82", err: transcript.ErrBadFormat, errText: "binary"},
		{name: "PNG", key: "a", data: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", err: transcript.ErrBadFormat, errText: "binary"},
		{name: "unsupported encoding", key: "a.txt", encoding: "br", data: "\x8b\x03\x80hi\x03", err: transcript.ErrBadFormat, errText: `Content-Encoding "br"`},
		{name: "over the limit", key: "a.txt", limit: 4, data: "12345", err: transcript.ErrTooLarge, errText: "limit of 4"},
	})
}

func TestDecodeGzip(t *testing.T) {
	t.Parallel()
	srt := "1\n00:00:01,000 --> 00:00:02,000\nAlice: Hi.\n"
	gzSRT := gz(t, []byte(srt))
	multi := append(gz(t, []byte("first part, ")), gz(t, []byte("second part"))...)
	corrupt := bytes.Clone(gzSRT)
	corrupt[len(corrupt)/2] ^= 0xff
	badCRC := bytes.Clone(gzSRT)
	badCRC[len(badCRC)-8] ^= 0xff
	runDecodeCases(t, []decodeCase{
		{name: "by magic with .srt.gz key", key: "x.srt.gz", data: string(gzSRT), want: "Alice: Hi.", format: transcript.FormatSRT},
		{name: "by magic without .gz key", key: "x.srt", data: string(gzSRT), want: "Alice: Hi.", format: transcript.FormatSRT},
		{name: "by Content-Encoding", key: "x.srt", encoding: "gzip", data: string(gzSRT), want: "Alice: Hi.", format: transcript.FormatSRT},
		{name: "txt.gz holding SRT", key: "x.txt.gz", data: string(gzSRT), want: "Alice: Hi.", format: transcript.FormatSRT},
		{name: ".gz key but plain content", key: "x.txt.gz", data: "plain", want: "plain", format: transcript.FormatText},
		{name: "multi-member", key: "x.txt.gz", data: string(multi), want: "first part, second part", format: transcript.FormatText},
		{name: "exactly the limit", key: "x.txt.gz", limit: 5, data: string(gz(t, []byte("12345"))), want: "12345", format: transcript.FormatText},
		{name: "one byte over the limit", key: "x.txt.gz", limit: 4, data: string(gz(t, []byte("12345"))), err: transcript.ErrTooLarge, errText: "limit of 4"},
		{name: "truncated", key: "x.srt.gz", data: string(gzSRT[:len(gzSRT)-10]), err: transcript.ErrBadFormat, errText: "truncated gzip"},
		{name: "magic only", key: "x.gz", data: "\x1f\x8b", err: transcript.ErrBadFormat, errText: "gzip"},
		{name: "bad header", key: "x.gz", data: "\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\xff", err: transcript.ErrBadFormat, errText: "gzip"},
		{name: "corrupt data", key: "x.gz", data: string(corrupt), err: transcript.ErrBadFormat, errText: "gzip"},
		{name: "checksum mismatch", key: "x.gz", data: string(badCRC), err: transcript.ErrBadFormat, errText: "checksum"},
		{name: "gzip of binary", key: "x.txt.gz", data: string(gz(t, []byte{0, 1, 2, 3})), err: transcript.ErrBadFormat, errText: "binary"},
		{name: "gzip of empty", key: "x.txt.gz", data: string(gz(t, nil)), err: transcript.ErrBadFormat, errText: "empty"},
	})
}

// TestGzipBomb decodes a gigabyte of gzip: Decode must stop after the
// limit, allocating about the limit, in milliseconds. Not parallel: it
// reads the process's allocation counters.
func TestGzipBomb(t *testing.T) {
	member := gz(t, bytes.Repeat([]byte("a"), 16<<20))
	bomb := bytes.Repeat(member, 64) // 64 members of 16 MiB: 1 GiB
	const limit, runs = 1 << 20, 5
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range runs {
		_, _, err := transcript.Decode(bomb, "bomb.txt", "gzip", limit)
		if !errors.Is(err, transcript.ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	}
	elapsed := time.Since(start) / runs
	runtime.ReadMemStats(&after)
	allocated := (after.TotalAlloc - before.TotalAlloc) / runs
	t.Logf("%d bytes of gzip refused in %v, %d bytes allocated", len(bomb), elapsed, allocated)
	if allocated > 3*limit {
		t.Errorf("Decode allocated %d bytes for a limit of %d", allocated, limit)
	}
	if elapsed > 500*time.Millisecond {
		t.Errorf("Decode took %v to refuse a bomb", elapsed)
	}
}

func TestStripGzipSuffix(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, want string }{
		{"a.srt.gz", "a.srt"},
		{"dir/a.TXT.GZ", "dir/a.TXT"},
		{"a.Gz", "a"},
		{"a.txt", "a.txt"},
		{"a.gzip", "a.gzip"},
		{"gz", "gz"},
		{".gz", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			if got := transcript.StripGzipSuffix(tt.key); got != tt.want {
				t.Errorf("StripGzipSuffix(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

// TestRepositorySamples decodes the samples the demo uploads.
func TestRepositorySamples(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file   string
		format transcript.Format
		first  string
	}{
		{"customer-call-acme.srt", transcript.FormatSRT, "Dana: Thanks for making time today."},
		{"incident-review.vtt", transcript.FormatVTT, "Sam: Let's start the review"},
		{"standup-2026-11-23.txt", transcript.FormatText, "Priya: Morning, everyone."},
	} {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data := readFile(t, "../../../testdata/transcripts/"+tt.file)
			got, f, err := transcript.Decode(data, tt.file, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if f != tt.format || !strings.HasPrefix(got, tt.first) {
				t.Errorf("format %q, text %.60q...; want %q, %q...", f, got, tt.format, tt.first)
			}
			if f != transcript.FormatText {
				if strings.Contains(got, "-->") || strings.Contains(got, "<v") {
					t.Errorf("markup left in:\n%s", got)
				}
			}
		})
	}
}

// TestDecodeOwnsItsText checks that the text Decode returns shares no
// memory with the content, which the parsers read in place: changing the
// content afterwards leaves the text as it was.
func TestDecodeOwnsItsText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ data, key string }{
		{"Alice: plain words", "a.txt"},
		{"1\n00:00:01,000 --> 00:00:02,000\nAlice: cue words\n", "a.srt"},
		{"WEBVTT\n\n00:01.000 --> 00:02.000\n<v Alice>cue words\n", "a.vtt"},
		{`{"results":{"items":[{"alternatives":[{"content":"word"}],"speaker_label":"Alice"}]}}`, "a.json"},
		{`{"results":{"audio_segments":[{"transcript":"words","speaker_label":"Alice"}]}}`, "a.json"},
		{`{"text":"whisper words"}`, "a.json"},
	} {
		data := []byte(tt.data)
		text, _, err := transcript.Decode(data, tt.key, "", 0)
		if err != nil {
			t.Fatalf("%s: %v", tt.key, err)
		}
		want := strings.Clone(text)
		for i := range data {
			data[i] = 'Z'
		}
		if text != want {
			t.Errorf("%s: text changed with the content: %q, was %q", tt.key, text, want)
		}
	}
}
