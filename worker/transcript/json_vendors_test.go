package transcript_test

import (
	"errors"
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
			got, f := checkGolden(t, fx.file, fx.format, func(t *testing.T, got string) { checkTurns(t, got, fx.speakers) })
			if *update {
				return
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
		`{"transcript":[{"line":"not Call Analytics"}]}`,
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

func TestDecodeDeepgram(t *testing.T) {
	t.Parallel()
	const dg = transcript.FormatDeepgram
	alt := func(body string) string {
		return `{"metadata":{"request_id":"r","channels":1},"results":{"channels":[{"alternatives":[` + body + `]}]}}`
	}
	runDecodeCases(t, []decodeCase{
		{name: "utterances of two channels", key: "a.json", format: dg,
			data: `{"results":{"channels":[{"alternatives":[{"transcript":"Hello."}]},{"alternatives":[{"transcript":"Hi there."}]}],
				"utterances":[{"start":0.1,"end":0.5,"channel":0,"transcript":"Hello."},{"start":0.9,"end":1.5,"channel":1,"transcript":"Hi there."},{"start":2,"end":3,"channel":0,"transcript":"Bye."}]}}`,
			want: "Channel 1: Hello.\nChannel 2: Hi there.\nChannel 1: Bye."},
		{name: "utterances of diarized channels", key: "a.json", format: dg,
			data: `{"results":{"channels":[{"alternatives":[]},{"alternatives":[]}],
				"utterances":[{"channel":0,"speaker":0,"transcript":"Yes."},{"channel":0,"speaker":1,"transcript":"No."},{"channel":1,"speaker":0,"transcript":"Maybe."}]}}`,
			want: "Channel 1 Speaker 1: Yes.\nChannel 1 Speaker 2: No.\nChannel 2 Speaker 1: Maybe."},
		{name: "paragraphs", key: "a.json", format: dg,
			data: alt(`{"transcript":"A. B. C.","words":[{"word":"a","punctuated_word":"A.","speaker":0}],"paragraphs":{"transcript":"\nSpeaker 0: A. B.\n\nSpeaker 1: C.","paragraphs":[
				{"sentences":[{"text":"A.","start":0,"end":1},{"text":"B.","start":1,"end":2}],"speaker":0,"start":0,"end":2},
				{"sentences":[{"text":"C.","start":3,"end":4}],"speaker":1,"start":3,"end":4}]}}`),
			want: "Speaker 1: A. B.\nSpeaker 2: C."},
		{name: "paragraphs of two channels in time order", key: "a.json", format: dg,
			data: `{"results":{"channels":[
				{"alternatives":[{"transcript":"One. Three.","paragraphs":{"paragraphs":[{"sentences":[{"text":"One."}],"start":0.5},{"sentences":[{"text":"Three."}],"start":6.25}]}}]},
				{"alternatives":[{"transcript":"Two.","paragraphs":{"paragraphs":[{"sentences":[{"text":"Two."}],"start":3}]}}]}]}}`,
			want: "Channel 1: One.\nChannel 2: Two.\nChannel 1: Three."},
		{name: "words with speakers", key: "a.json", format: dg,
			data: alt(`{"transcript":"hello there hi","words":[
				{"word":"hello","start":0.1,"end":0.3,"confidence":0.9,"punctuated_word":"Hello","speaker":0,"speaker_confidence":0.8},
				{"word":"there","punctuated_word":"there.","speaker":0},
				{"word":"hi","punctuated_word":"Hi!","speaker":1}]}`),
			want: "Speaker 1: Hello there.\nSpeaker 2: Hi!"},
		{name: "transcript only", key: "a.json", format: dg,
			data: alt(`{"transcript":"Just the transcript.","confidence":0.99,"words":[{"word":"just","start":0,"end":0.2}]}`),
			want: "Just the transcript."},
		{name: "words without a transcript", key: "a.json", format: dg,
			data: alt(`{"transcript":"","words":[{"word":"no"},{"word":"punctuation"}]}`),
			want: "no punctuation"},
		{name: "Japanese words join without spaces", key: "a.json", format: dg,
			data: alt(`{"words":[{"word":"今日","speaker":0},{"word":"は","speaker":0},{"word":"晴れ","speaker":0},{"word":"です。","speaker":0},{"word":"OK","speaker":1}]}`),
			want: "Speaker 1: 今日は晴れです。\nSpeaker 2: OK"},
		{name: "silence", key: "a.json", err: transcript.ErrBadFormat, errText: "empty: deepgram",
			data: alt(`{"transcript":"","confidence":0,"words":[]}`)},
	})
}

func TestDecodeAssemblyAI(t *testing.T) {
	t.Parallel()
	const aai = transcript.FormatAssemblyAI
	runDecodeCases(t, []decodeCase{
		{name: "text without speaker labels", key: "a.json", format: aai,
			data: `{"id":"x","status":"completed","text":"Hello world.","words":[{"text":"Hello","start":10,"end":200,"confidence":0.9,"speaker":null},{"text":"world.","start":210,"end":400,"confidence":0.9,"speaker":null}],"utterances":null}`,
			want: "Hello world."},
		{name: "words with speakers", key: "a.json", format: aai,
			data: `{"text":"Hi. Yo.","words":[{"text":"Hi.","speaker":"A"},{"text":"Yo.","speaker":"B"}]}`,
			want: "Speaker 1: Hi.\nSpeaker 2: Yo."},
		{name: "multichannel", key: "a.json", format: aai,
			data: `{"audio_url":"https://x/a.wav","multichannel":true,"audio_channels":2,"utterances":[{"text":"Hello.","speaker":"1","channel":"1"},{"text":"Hi.","speaker":"2","channel":"2"}]}`,
			want: "Channel 1: Hello.\nChannel 2: Hi."},
		{name: "multichannel with speaker labels", key: "a.json", format: aai,
			data: `{"utterances":[{"text":"Hello.","speaker":"1A"},{"text":"Hey.","speaker":"1B"},{"text":"Hi.","speaker":"2A"}]}`,
			want: "Channel 1 Speaker 1: Hello.\nChannel 1 Speaker 2: Hey.\nChannel 2 Speaker 1: Hi."},
		{name: "identified speakers keep their names", key: "a.json", format: aai,
			data: `{"utterances":[{"text":"Good morning.","speaker":"Michel Martin"},{"text":"Morning.","speaker":"Peter DeCarlo"}]}`,
			want: "Michel Martin: Good morning.\nPeter DeCarlo: Morning."},
		{name: "Whisper words are not AssemblyAI's", key: "a.json", format: transcript.FormatWhisper,
			data: `{"task":"transcribe","language":"english","duration":1.1,"text":"Hi there.","words":[{"word":"Hi","start":0,"end":0.4},{"word":"there.","start":0.5,"end":1}]}`,
			want: "Hi there."},
	})
}

func TestDecodeAzure(t *testing.T) {
	t.Parallel()
	const az = transcript.FormatAzure
	runDecodeCases(t, []decodeCase{
		{name: "batch diarized", key: "a.json", format: az,
			data: `{"source":"s","durationInTicks":41200000,"combinedRecognizedPhrases":[{"channel":0,"display":"Hello world. Hi."}],"recognizedPhrases":[
				{"recognitionStatus":"Success","speaker":1,"channel":0,"offset":"PT0.07S","offsetInTicks":700000.0,"nBest":[{"confidence":0.9,"lexical":"hello world","display":"Hello world."}]},
				{"recognitionStatus":"Success","speaker":2,"channel":0,"offset":"PT2S","offsetInTicks":20000000.0,"nBest":[{"lexical":"hi","display":"Hi."}]}]}`,
			want: "Speaker 1: Hello world.\nSpeaker 2: Hi."},
		{name: "batch stereo by ISO offsets", key: "a.json", format: az,
			data: `{"recognizedPhrases":[
				{"channel":0,"offset":"PT1.5S","nBest":[{"display":"First."}]},
				{"channel":0,"offset":"PT1M2S","nBest":[{"display":"Third."}]},
				{"channel":1,"offset":"PT20S","nBest":[{"display":"Second."}]}]}`,
			want: "Channel 1: First.\nChannel 2: Second.\nChannel 1: Third."},
		{name: "combined phrases of two channels", key: "a.json", format: az,
			data: `{"combinedRecognizedPhrases":[{"channel":0,"display":"Left side."},{"channel":1,"display":"Right side."}],"recognizedPhrases":[]}`,
			want: "Channel 1: Left side.\nChannel 2: Right side."},
		{name: "fast transcription of two channels", key: "a.json", format: az,
			data: `{"durationMilliseconds":9000,"combinedPhrases":[{"channel":0,"text":"A. C."},{"channel":1,"text":"B."}],"phrases":[
				{"channel":0,"offsetMilliseconds":100,"text":"A."},{"channel":0,"offsetMilliseconds":5000,"text":"C."},{"channel":1,"offsetMilliseconds":2500,"text":"B."}]}`,
			want: "Channel 1: A.\nChannel 2: B.\nChannel 1: C."},
		{name: "fast transcription combined only", key: "a.json", format: az,
			data: `{"durationMilliseconds":9000,"combinedPhrases":[{"text":"All of it."}]}`,
			want: "All of it."},
		{name: "real-time result", key: "a.json", format: az,
			data: `{"RecognitionStatus":"Success","Offset":1800000,"Duration":32100000,"DisplayText":"What's the weather like?"}`,
			want: "What's the weather like?"},
		{name: "real-time detailed result", key: "a.json", format: az,
			data: `{"RecognitionStatus":"Success","Offset":1800000,"NBest":[{"Confidence":0.97,"Lexical":"hello","ITN":"hello","MaskedITN":"hello","Display":"Hello."}]}`,
			want: "Hello."},
		{name: "conversation transcription results", key: "a.json", format: az,
			data: `[{"Id":"b","RecognitionStatus":"Success","Offset":50000000,"DisplayText":"Fine, thanks.","SpeakerId":"Guest-2"},
				{"Id":"a","RecognitionStatus":"Success","Offset":10000000,"DisplayText":"How are you?","SpeakerId":"Guest-1"},
				{"Id":"c","RecognitionStatus":"Success","Offset":90000000,"DisplayText":"Who's there?","SpeakerId":"Unknown"}]`,
			want: "Speaker 1: How are you?\nSpeaker 2: Fine, thanks.\nUnknown speaker: Who's there?"},
	})
}

func TestDecodeGoogle(t *testing.T) {
	t.Parallel()
	const g = transcript.FormatGoogle
	runDecodeCases(t, []decodeCase{
		{name: "v1 results", key: "a.json", format: g,
			data: `{"results":[{"alternatives":[{"transcript":"how old is the Brooklyn Bridge","confidence":0.98}],"resultEndTime":"2.100s","languageCode":"en-us"},
				{"alternatives":[{"transcript":" it opened in 1883","confidence":0.95}],"resultEndTime":"4s","languageCode":"en-us"}],"totalBilledTime":"5s"}`,
			want: "how old is the Brooklyn Bridge it opened in 1883"},
		{name: "v1 separate recognition per channel", key: "a.json", format: g,
			data: `{"results":[
				{"alternatives":[{"transcript":"Hi, thanks for calling."}],"channelTag":1,"resultEndTime":"2s"},
				{"alternatives":[{"transcript":"Bye now."}],"channelTag":1,"resultEndTime":"9s"},
				{"alternatives":[{"transcript":"Hello, my order is late."}],"channelTag":2,"resultEndTime":"5.5s"}]}`,
			want: "Channel 1: Hi, thanks for calling.\nChannel 2: Hello, my order is late.\nChannel 1: Bye now."},
		{name: "v2 diarized in the last result", key: "a.json", format: g,
			data: `{"results":[
				{"alternatives":[{"transcript":"Good morning.","words":[{"startOffset":"0s","endOffset":"0.5s","word":"Good"},{"word":"morning."}]}],"resultEndOffset":"1s","languageCode":"en-US"},
				{"alternatives":[{"transcript":"Hi!","words":[{"word":"Hi!"}]}],"resultEndOffset":"2s","languageCode":"en-US"},
				{"alternatives":[{"words":[{"word":"Good","speakerLabel":"1"},{"word":"morning.","speakerLabel":"1"},{"word":"Hi!","speakerLabel":"2"}]}],"resultEndOffset":"2s"}],
				"metadata":{"totalBilledDuration":"3s"}}`,
			want: "Speaker 1: Good morning.\nSpeaker 2: Hi!"},
		{name: "v1 with proto field names", key: "a.json", format: g,
			data: `{"results":[{"alternatives":[{"transcript":"yes no","words":[{"word":"yes"},{"word":"no"}]}],"result_end_time":"1s"},
				{"alternatives":[{"words":[{"word":"yes","speaker_tag":2},{"word":"no","speaker_tag":1}]}],"result_end_time":"1s"}]}`,
			want: "Speaker 2: yes\nSpeaker 1: no"},
		{name: "v2 batch response of two files", key: "a.json", format: g,
			data: `{"results":{"gs://calls/a.wav":{"transcript":{"results":[{"alternatives":[{"transcript":"First file."}]}]}},
				"gs://calls/b.wav":{"inlineResult":{"transcript":{"results":[{"alternatives":[{"transcript":"Second file."}]}]}}}},"totalBilledDuration":"2s"}`,
			want: "First file. Second file."},
		{name: "Japanese transcript", key: "a.json", format: g,
			data: `{"results":[{"alternatives":[{"transcript":"今日は晴れです","words":[{"word":"今日"},{"word":"は"}]}],"languageCode":"ja-jp"}]}`,
			want: "今日は晴れです"},
	})
}

func TestDecodeRevAI(t *testing.T) {
	t.Parallel()
	const rev = transcript.FormatRevAI
	runDecodeCases(t, []decodeCase{
		{name: "older transcripts without spaces", key: "a.json", format: rev,
			data: `{"monologues":[{"speaker":0,"elements":[{"type":"text","value":"Hello","ts":0.5,"end_ts":1.5,"confidence":1},{"type":"text","value":"World","ts":1.75,"end_ts":2.85,"confidence":0.8},{"type":"punct","value":"."}]},
				{"speaker":1,"elements":[{"type":"text","value":"Monologues"},{"type":"text","value":"are"},{"type":"punct","value":","},{"type":"text","value":"yes"},{"type":"punct","value":"."}]}]}`,
			want: "Speaker 1: Hello World.\nSpeaker 2: Monologues are, yes."},
		{name: "spaces as punctuation", key: "a.json", format: rev,
			data: `{"monologues":[{"speaker":1,"elements":[{"type":"punct","value":"\""},{"type":"text","value":"Quoted"},{"type":"punct","value":"\""},{"type":"punct","value":" "},{"type":"text","value":"text"},{"type":"punct","value":"."},{"type":"punct","value":" "},{"type":"punct","value":"("},{"type":"text","value":"aside"},{"type":"punct","value":")"}]},
				{"speaker":1,"elements":[{"type":"text","value":"Same"},{"type":"punct","value":" "},{"type":"text","value":"speaker"}]}]}`,
			want: "Speaker 2: \"Quoted\" text. (aside) Same speaker"},
		{name: "speaker names and unknown elements", key: "a.json", format: rev,
			data: `{"monologues":[{"speaker":0,"speaker_name":"Jane Doe","elements":[{"type":"text","value":"Hi"},{"type":"punct","value":" "},{"type":"unknown","value":"<inaudible>"},{"type":"punct","value":" "},{"type":"text","value":"there"},{"type":"punct","value":"."}]}]}`,
			want: "Jane Doe: Hi there."},
	})
}

func TestDecodeSpeechmatics(t *testing.T) {
	t.Parallel()
	const sm = transcript.FormatSpeechmatics
	word := func(content, speaker string) string {
		return `{"type":"word","start_time":1,"end_time":2,"alternatives":[{"content":"` + content + `","confidence":1,"language":"es","speaker":"` + speaker + `"}]}`
	}
	punct := func(content, attaches string) string {
		return `{"type":"punctuation","attaches_to":"` + attaches + `","is_eos":false,"start_time":2,"end_time":2,"alternatives":[{"content":"` + content + `","speaker":"S1"}]}`
	}
	doc := func(results ...string) string {
		return `{"format":"2.9","metadata":{"type":"transcription"},"results":[` + strings.Join(results, ",") + `]}`
	}
	runDecodeCases(t, []decodeCase{
		{name: "attaches_to", key: "a.json", format: sm,
			data: doc(punct("¿", "next"), word("Qué", "S1"), word("tal", "S1"), punct("?", "previous"), word("un", "S1"),
				word("buen", "S1"), punct("-", "both"), word("día", "S1"), punct("—", "none"), word("sí", "S1"), punct(".", "")),
			want: "Speaker 1: ¿Qué tal? un buen-día — sí."},
		{name: "speaker changes and unknown speakers", key: "a.json", format: sm,
			data: doc(word("Hi", "S1"), punct(".", "previous"), word("Hello", "S2"), word("there", "UU")),
			want: "Speaker 1: Hi.\nSpeaker 2: Hello\nUnknown speaker: there"},
		{name: "channel diarization", key: "a.json", format: sm,
			data: doc(`{"type":"word","channel":"channel_1","alternatives":[{"content":"Hello"}]}`,
				`{"type":"word","channel":"channel_2","alternatives":[{"content":"Hi"}]}`,
				`{"type":"word","channel":"Agent","alternatives":[{"content":"Welcome"}]}`),
			want: "Channel 1: Hello\nChannel 2: Hi\nAgent: Welcome"},
		{name: "Japanese", key: "a.json", format: sm,
			data: doc(word("今日", "S1"), word("は", "S1"), word("晴れ", "S1"), punct("。", "previous")),
			want: "Speaker 1: 今日は晴れ。"},
		{name: "entities and speaker changes", key: "a.json", format: sm,
			data: doc(word("It", "S1"), word("costs", "S1"), `{"type":"entity","entity_class":"money","alternatives":[{"content":"£10","speaker":"S1"}],"spoken_form":[],"written_form":[]}`,
				`{"type":"speaker_change","start_time":3,"end_time":3,"alternatives":[]}`),
			want: "Speaker 1: It costs £10"},
	})
}

func TestDecodeAmazonVariants(t *testing.T) {
	t.Parallel()
	item := func(start, content, label string) string {
		if start == "" {
			return `{"type":"punctuation","alternatives":[{"confidence":"0.0","content":"` + content + `"}]` + label + `}`
		}
		return `{"type":"pronunciation","start_time":"` + start + `","end_time":"9","alternatives":[{"confidence":"0.9","content":"` + content + `"}]` + label + `}`
	}
	runDecodeCases(t, []decodeCase{
		{name: "channel identification: overlapping speech by sentence", key: "a.json", format: transcript.FormatTranscribe,
			data: `{"results":{"transcripts":[{"transcript":"x"}],"channel_labels":{"number_of_channels":2,"channels":[
				{"channel_label":"ch_0","items":[` + item("12.2", "When", "") + `,` + item("12.6", "you", "") + `,` + item("", "?", "") + `,` + item("15.1", "Later", "") + `,` + item("", ".", "") + `]},
				{"channel_label":"ch_1","items":[` + item("12.3", "It", "") + `,` + item("12.6", "seems", "") + `,` + item("", ".", "") + `]}]},
				"items":[` + item("12.2", "When", "") + `]}}`,
			want: "Channel 1: When you?\nChannel 2: It seems.\nChannel 1: Later."},
		{name: "channel identification with labeled items", key: "a.json", format: transcript.FormatTranscribe,
			data: `{"results":{"transcripts":[{"transcript":"x"}],"channel_labels":{"channels":[{"channel_label":"ch_0","items":[` + item("1", "Wrong", `,"channel_label":"ch_0"`) + `]}]},
				"items":[` + item("1", "Hi", `,"channel_label":"ch_1"`) + `]}}`,
			want: "Channel 2: Hi"},
		{name: "Call Analytics", key: "a.json", format: transcript.FormatCallAnalytics,
			data: `{"JobStatus":"COMPLETED","Transcript":[{"Content":"Hello.","ParticipantRole":"AGENT","BeginOffsetMillis":0},{"Content":"Hi.","ParticipantRole":"CUSTOMER"},{"Content":"Hold on.","ParticipantRole":"AGENT"},{"Content":"Joining.","ParticipantRole":"SUPERVISOR"}]}`,
			want: "Agent: Hello.\nCustomer: Hi.\nAgent: Hold on.\nSUPERVISOR: Joining."},
		{name: "Bedrock segments with channels", key: "a.json", format: transcript.FormatBedrock,
			data: `{"metadata":{"semantic_modality":"AUDIO"},"audio_segments":[{"text":"Left.","channel":{"channel_label":"ch_0"}},{"text":"Right.","channel_label":"ch_1"},{"text":"Again.","speaker_label":"spk_0"}]}`,
			want: "Channel 1: Left.\nChannel 2: Right.\nSpeaker 1: Again."},
		{name: "Bedrock transcript representation", key: "a.json", format: transcript.FormatBedrock,
			data: `{"metadata":{"semantic_modality":"AUDIO"},"audio":{"summary":"s","transcript":{"representation":{"text":"[spk_0]: Hello there.\n[spk_1]: Hi.\nStill talking.\nspk_0: Bye. 10:30 works."}}}}`,
			want: "Speaker 1: Hello there.\nSpeaker 2: Hi. Still talking.\nSpeaker 1: Bye. 10:30 works."},
	})
}
