package transcript_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/summarizer/summarizer/worker/transcript"
	"github.com/summarizer/summarizer/worker/transcript/internal/worstcase"
)

// isVendorFormat reports whether f is one of the formats of
// vendorFixtures that the older fixtures do not have.
func isVendorFormat(f transcript.Format) bool {
	return slices.Contains(vendorFormats, f)
}

// FuzzJSONVendors decodes any document as JSON, seeded with every
// vendor fixture, variants of them and the worst-case shapes, and checks
// the package's invariants: no panic, errors that wrap ErrBadFormat or
// ErrTooLarge and quote nothing, and a text of valid UTF-8 in turns, no
// longer than the content plus 4 KiB.
func FuzzJSONVendors(f *testing.F) {
	for _, fx := range vendorFixtures {
		f.Add(readFile(f, fx.file))
	}
	for _, s := range []string{
		`{"results":{"channels":[{"alternatives":[{"paragraphs":{"paragraphs":[{"sentences":[{"text":"b"}],"start":2}]}}]},{"alternatives":[{"paragraphs":{"paragraphs":[{"sentences":[{"text":"a"}],"start":1}]}}]}]}}`,
		`{"results":{"utterances":[{"speaker":1e300,"channel":-1,"transcript":"x"}]}}`,
		`{"utterances":[{"speaker":"1Z","text":"a"},{"speaker":"","channel":"3","text":"b"}],"words":[{"text":"c","speaker":"B"}]}`,
		`{"recognizedPhrases":[{"offsetInTicks":"NaN","channel":1,"nBest":[{"display":"a"}]},{"offset":"PT1H2M3S","channel":0,"nBest":[null,{"display":"b"}]}]}`,
		`[{"DisplayText":"a","SpeakerId":"Guest-99999999999"},{"NBest":[{"Display":"b"}],"Offset":-5}]`,
		`{"results":[{"alternatives":[{"words":[{"word":"a","speakerTag":0},{"word":"b","speakerLabel":"x"}]}],"channelTag":"1"}]}`,
		`{"response":{"results":[{"alternatives":[{"transcript":"a"}],"resultEndTime":"1e9s"}]}}`,
		`{"results":{"f":{"inlineResult":{"transcript":{"results":[{"alternatives":[{"transcript":"a"}]}]}}}}}`,
		`{"results":[{"type":"punctuation","attaches_to":"next","alternatives":[{"content":"¿"}]},{"type":"word","alternatives":[{"content":"a","speaker":"S0"}],"channel":"channel_x"}]}`,
		`{"monologues":[{"speaker":-1,"elements":[{"type":"punct","value":" "},{"type":"text","value":"a"}]},{"speaker_name":"\u0000","elements":null}]}`,
		`{"Transcript":[{"Content":"a","ParticipantRole":7},{"Content":"b"}]}`,
		`{"results":{"transcripts":[],"channel_labels":{"channels":[{"items":[{"start_time":"x","alternatives":[{"content":"a"}]},{"type":"punctuation","alternatives":[{"content":"."}]}]},{"channel_label":"ch_1","items":[{"start_time":"0","alternatives":[{"content":"b"}]}]}]}}}`,
		`{"audio_segments":[{"text":"a","speaker":{"speaker_label":5}}],"audio":{"transcript":{"representation":{"text":"[]: b\n[spk_99999999999]: c"}}}}`,
	} {
		f.Add([]byte(s))
	}
	addWorstCases(f, 16<<10, func(c worstcase.Case) {
		if strings.HasSuffix(c.Key, ".json") {
			f.Add(c.Data)
		}
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		text, format, err := transcript.Decode(data, "upload.json", "", 1<<20)
		if err != nil {
			if !errors.Is(err, transcript.ErrBadFormat) && !errors.Is(err, transcript.ErrTooLarge) {
				t.Fatalf("error wraps neither ErrBadFormat nor ErrTooLarge: %v", err)
			}
			if text != "" || format != "" || len(err.Error()) > 200 {
				t.Fatalf("error %v with output %q, %q", err, text, format)
			}
			return
		}
		if !utf8.ValidString(text) || strings.TrimSpace(text) == "" {
			t.Fatalf("output %q is blank or not valid UTF-8", text)
		}
		if len(text) > len(data)+4<<10 {
			t.Fatalf("%d bytes of text for %d bytes of content", len(text), len(data))
		}
		if strings.Contains(text, "\n\n") || strings.ContainsRune(text, '\r') || strings.HasSuffix(text, "\n") {
			t.Fatalf("blank line, CR or trailing newline in %q", text)
		}
		for line := range strings.Lines(text) {
			if line = strings.TrimSuffix(line, "\n"); line != strings.TrimSpace(line) {
				t.Fatalf("white space around line %q", line)
			}
		}
		if format != transcript.FormatTranscribe && format != transcript.FormatWhisper && !isVendorFormat(format) {
			t.Fatalf("format %q for JSON", format)
		}
	})
}

// vendorDoc builds the JSON of a vendor that says the sentences of
// turns, speaker i%3 saying sentence i.
type vendorDoc struct {
	format transcript.Format
	build  func(turns [][]string) any
}

// vendorDocs build each vendor's JSON, with speakers or channels, and
// out of time order where a vendor may list them so.
var vendorDocs = []vendorDoc{
	{transcript.FormatDeepgram, func(turns [][]string) any {
		var utts []map[string]any
		for i, words := range turns {
			utts = append(utts, map[string]any{"speaker": i % 3, "channel": 0, "start": i, "transcript": strings.Join(words, " ")})
		}
		return map[string]any{"results": map[string]any{"channels": []any{map[string]any{"alternatives": []any{}}}, "utterances": utts}}
	}},
	{transcript.FormatDeepgram, func(turns [][]string) any { // paragraphs of three channels
		channels := make([]any, 3)
		for ch := range channels {
			var paras []any
			for i := ch; i < len(turns); i += 3 {
				paras = append(paras, map[string]any{"start": i, "sentences": []any{map[string]any{"text": strings.Join(turns[i], " ")}}})
			}
			channels[ch] = map[string]any{"alternatives": []any{map[string]any{"paragraphs": map[string]any{"paragraphs": paras}}}}
		}
		return map[string]any{"results": map[string]any{"channels": channels}}
	}},
	{transcript.FormatAssemblyAI, func(turns [][]string) any {
		var words []any
		for i, ws := range turns {
			for _, w := range ws {
				words = append(words, map[string]any{"text": w, "speaker": string(rune('A' + i%3)), "start": i})
			}
		}
		return map[string]any{"status": "completed", "text": nil, "words": words, "utterances": nil}
	}},
	{transcript.FormatAzure, func(turns [][]string) any { // batch, channels one after the other
		var phrases []any
		for ch := range 2 {
			for i := ch; i < len(turns); i += 2 {
				phrases = append(phrases, map[string]any{"channel": ch, "offsetInTicks": float64(i) * 1e7,
					"nBest": []any{map[string]any{"display": strings.Join(turns[i], " ")}}})
			}
		}
		return map[string]any{"recognizedPhrases": phrases}
	}},
	{transcript.FormatAzure, func(turns [][]string) any { // fast transcription, diarized
		var phrases []any
		for i, ws := range turns {
			phrases = append(phrases, map[string]any{"speaker": i%3 + 1, "offsetMilliseconds": i * 1000, "text": strings.Join(ws, " ")})
		}
		return map[string]any{"durationMilliseconds": 1, "phrases": phrases}
	}},
	{transcript.FormatGoogle, func(turns [][]string) any { // diarized: the last result holds every word
		var results, all []any
		for i, ws := range turns {
			results = append(results, map[string]any{"alternatives": []any{map[string]any{"transcript": strings.Join(ws, " ")}}})
			for _, w := range ws {
				all = append(all, map[string]any{"word": w, "speakerTag": i%3 + 1})
			}
		}
		results = append(results, map[string]any{"alternatives": []any{map[string]any{"words": all}}})
		return map[string]any{"results": results}
	}},
	{transcript.FormatRevAI, func(turns [][]string) any {
		var mons []any
		for i, ws := range turns {
			var els []any
			for j, w := range ws {
				if j > 0 {
					els = append(els, map[string]any{"type": "punct", "value": " "})
				}
				els = append(els, map[string]any{"type": "text", "value": w})
			}
			mons = append(mons, map[string]any{"speaker": i % 3, "elements": els})
		}
		return map[string]any{"monologues": mons}
	}},
	{transcript.FormatSpeechmatics, func(turns [][]string) any {
		var results []any
		for i, ws := range turns {
			for _, w := range ws {
				results = append(results, map[string]any{"type": "word", "alternatives": []any{map[string]any{"content": w, "speaker": fmt.Sprintf("S%d", i%3+1)}}})
			}
			results = append(results, map[string]any{"type": "punctuation", "is_eos": true, "alternatives": []any{map[string]any{"content": "."}}})
		}
		return map[string]any{"format": "2.9", "results": results}
	}},
	{transcript.FormatCallAnalytics, func(turns [][]string) any {
		var segs []any
		for i, ws := range turns {
			segs = append(segs, map[string]any{"Content": strings.Join(ws, " "), "ParticipantRole": []string{"AGENT", "CUSTOMER"}[i%2]})
		}
		return map[string]any{"JobStatus": "COMPLETED", "Transcript": segs}
	}},
	{transcript.FormatTranscribe, func(turns [][]string) any { // channel identification, older output
		channels := make([]any, 2)
		for ch := range channels {
			var items []any
			for i := ch; i < len(turns); i += 2 {
				for _, w := range turns[i] {
					items = append(items, map[string]any{"type": "pronunciation", "start_time": fmt.Sprint(i), "alternatives": []any{map[string]any{"content": w}}})
				}
				items = append(items, map[string]any{"type": "punctuation", "alternatives": []any{map[string]any{"content": "?"}}})
			}
			channels[ch] = map[string]any{"channel_label": fmt.Sprintf("ch_%d", ch), "items": items}
		}
		return map[string]any{"results": map[string]any{"transcripts": []any{}, "channel_labels": map[string]any{"channels": channels}}}
	}},
	{transcript.FormatBedrock, func(turns [][]string) any {
		var segs []any
		for i, ws := range turns {
			segs = append(segs, map[string]any{"text": strings.Join(ws, " "), "speaker": map[string]any{"speaker_label": fmt.Sprintf("spk_%d", i%3)}})
		}
		return map[string]any{"metadata": map[string]any{"semantic_modality": "AUDIO"}, "audio_segments": segs}
	}},
}

// FuzzVendorWords cuts any text into turns, writes them as each
// vendor's JSON, and checks that every word comes back, in the vendor's
// format.
func FuzzVendorWords(f *testing.F) {
	for _, s := range []string{
		"Hello there.\nHi!\nHow are you?",
		"a\nb\nc\nd\ne\nf\ng",
		"今日 は 晴れ\nです ね\nはい",
		"¿Qué tal?\n— bien, gracias\n«ok»",
		"one\n\n\ntwo  three\n\x00four",
		"Speaker 1: fake label\n[spk_0]: another\n{\"json\": 1}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var turns [][]string
		for line := range strings.Lines(strings.ToValidUTF8(s, " ")) {
			if ws := strings.Fields(line); len(ws) > 0 {
				turns = append(turns, ws)
			}
		}
		if len(words(s)) == 0 {
			return
		}
		var all []string
		for _, ws := range turns {
			all = append(all, ws...)
		}
		for _, vd := range vendorDocs {
			data, err := json.Marshal(vd.build(turns))
			if err != nil {
				t.Fatal(err)
			}
			text, format, err := transcript.Decode(data, "fuzz.json", "", 0)
			if err != nil {
				t.Fatalf("%s: Decode: %v\n%s", vd.format, err, data)
			}
			if format != vd.format {
				t.Fatalf("format %q, want %q\n%s", format, vd.format, data)
			}
			if w := missingWord(strings.Join(all, " "), text); w != "" {
				t.Fatalf("%s: word %q is not in the output\ndocument:\n%s\noutput:\n%s", format, w, data, text)
			}
		}
	})
}
