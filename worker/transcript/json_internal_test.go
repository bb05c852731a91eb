package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/summarizer/summarizer/worker/transcript/internal/worstcase"
)

// jsonSeeds are documents that reach every rule of decodeJSON: each
// format and fallback, keys in other cases or escaped, values of the
// wrong type, null, and escapes in strings.
var jsonSeeds = []string{
	`{"results":{"transcripts":[{"transcript":"a b"}],"items":[],"audio_segments":[{"transcript":"Hi.","speaker_label":"spk_0"},{"transcript":"Yo.","channel_label":"ch_1"},{"transcript":"","speaker_label":"spk_2"}]}}`,
	`{"results":{"audio_segments":[{"transcript":" ","speaker_label":"spk_3"},7,null,[]],"items":[{"alternatives":[{"content":"a"}],"type":"pronunciation"}]}}`,
	`{"results":{"speaker_labels":{"segments":[{"speaker_label":"spk_1","items":[{"start_time":"1"},{"start_time":"2","speaker_label":"spk_0"},{"start_time":"1","speaker_label":""},{"start_time":""}]},{"items":[{"start_time":"3"}],"speaker_label":"spk_2"},5,{"items":null}]},"items":[{"start_time":"1","alternatives":[{"content":"one"}]},{"start_time":"2","alternatives":[{"content":"two"}]},{"type":"punctuation","alternatives":[{"content":","}]},{"start_time":"3","alternatives":[{"content":"three"}]},{"start_time":"4","alternatives":[{"content":"four"}]}]}}`,
	`{"results":{"items":[{"alternatives":[7,{"content":"b"}]},{"alternatives":[{"content":5}],"speaker_label":"spk_1"},{"alternatives":[],"speaker_label":"spk_2"},{"alternatives":null},{"alternatives":"x"},{"alternatives":[{}],"speaker_label":"spk_3"},{"alternatives":[{"content":"c"}]}]}}`,
	`{"results":{"items":[{"alternatives":[{"content":"x"}],"speaker_label":7,"channel_label":"ch_0","type":["punctuation"]}],"transcripts":"no"}}`,
	`{"RESULTS":{"Items":[{"Alternatives":[{"CONTENT":"folded"}],"TYPE":"pronunciation","Speaker_Label":"spk_1"}]}}`,
	`{"re\u0073ults":{"\u0069tems":[{"alternatives":[{"con\u0074ent":"esc\u00e9\ud83d\ude00\ud800\t\"\\\/"}],"\u0073peaker_label":"sp\u006b_0"}]}}`,
	`{"results":{"items":[{"alternatives":[{"content":"kelvin"}],"ſtart_time":"1"}],"speaker_labels":{"segments":[{"items":[{"start_time":"1","spea` + "\u212a" + `er_label":"spk_4"}]}]}}}`,
	`{"results":{"transcripts":[{"transcript":"one"},{"transcript":"two"},{"transcript":5},null]}}`,
	`{"results":null,"text":"after null"}`,
	`{"results":{"items":null},"segments":[]}`,
	`{"results":"x","text":5}`,
	`{"text":null,"segments":null}`,
	`{"text":{},"segments":"x"}`,
	`{"text":" hi ","segments":[{"text":" hi","speaker":" "},{"text":"b","speaker":5}]}`,
	`{"text":"ignored","segments":[{"text":"Hi.","speaker":"SPEAKER_00"},{"text":"Yo."},{"text":"Bye.","speaker":"SPEAKER_01"},7]}`,
	`{"segments":[{"text":"a\u0000b\nc"},{"Text":"d","SPEAKER":"Alice"}]}`,
	`{"text":"\ud800\udc00 \udc00\ud800 \ud800\u0041"}`,
	`[1,2]`, `"text"`, `5`, `null`, `{}`, `{"hello":1}`, ` {"text":"spaces"} `,
	`{"results":{"items":[[[[[[[[[[]]]]]]]]]],"transcripts":[{"transcript":"deep"}]}}`,
	`{"results":{"items":[{}]}}`, `{"text":"x",}`, `{"text":"x"} trailing`, `{"text":"\x"}`,
}

// FuzzJSONLikeStructs holds decodeJSON to the struct decoding it replaced
// (refDecodeJSON): the same text, format and error for any document
// without a key given twice in one object (the struct decoding merged
// repeated keys in ways of its own; decodeJSON takes the last one), that
// is Transcribe or Whisper JSON or none, as the reference knew them: not
// the other vendors' JSON, which comes first (AssemblyAI's has Whisper's
// text), nor Transcribe's channel identification, which the reference
// wrote as one flat text. JSON that neither knows is refused by both.
func FuzzJSONLikeStructs(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	for _, name := range worstcase.Names() {
		c, err := worstcase.Build(name, 16<<10)
		if err != nil {
			f.Fatal(err)
		}
		if strings.HasSuffix(c.Key, ".json") {
			f.Add(c.Data)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Decode hands decodeJSON valid UTF-8 only.
		if !utf8.Valid(data) || hasRepeatedKey(data) || !referenceKnows(data) {
			return
		}
		for _, strict := range []bool{true, false} {
			text, format, err := decodeJSON(data, strict)
			wantText, wantFormat, wantErr := refDecodeJSON(data, strict)
			if unrecognized(wantErr) {
				if !unrecognized(err) || text != "" || format != "" {
					t.Fatalf("strict %v: decodeJSON(%q) = %q, %q, %v; want it unrecognized", strict, data, text, format, err)
				}
				continue
			}
			if errors.Is(err, ErrTooLarge) && len(wantText) > textLimit(len(data)) {
				continue
			}
			if text != wantText || format != wantFormat || errText(err) != errText(wantErr) {
				t.Fatalf("strict %v: decodeJSON(%q)\n = %q, %q, %v\nwant %q, %q, %v", strict, data, text, format, err, wantText, wantFormat, wantErr)
			}
		}
	})
}

// referenceKnows reports whether refDecodeJSON is the reference for
// data: data is not JSON, or decodeJSON reads it as Transcribe without
// channel_labels, as Whisper, or as no transcript at all.
func referenceKnows(data []byte) bool {
	if !json.Valid(data) {
		return true
	}
	d := jsonDoc{s: string(data)}
	switch s := d.shape(); s.format {
	case FormatTranscribe:
		return s.channels < 0
	case FormatWhisper, "":
		return true
	}
	return false
}

// unrecognized reports whether err refuses JSON that is no transcript.
func unrecognized(err error) bool {
	return errors.Is(err, ErrBadFormat) && strings.Contains(errText(err), "unrecognized JSON transcript")
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// hasRepeatedKey reports whether an object of the valid JSON document data
// has two keys that encoding/json would take for the same field.
func hasRepeatedKey(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	repeated, err := repeatedKey(dec)
	return repeated || err != nil
}

func repeatedKey(dec *json.Decoder) (bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	switch tok {
	case json.Delim('{'):
		var keys []string
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return false, err
			}
			key := tok.(string)
			for _, k := range keys {
				if strings.EqualFold(k, key) {
					return true, nil
				}
			}
			keys = append(keys, key)
			if repeated, err := repeatedKey(dec); repeated || err != nil {
				return repeated, err
			}
		}
	case json.Delim('['):
		for dec.More() {
			if repeated, err := repeatedKey(dec); repeated || err != nil {
				return repeated, err
			}
		}
	default:
		return false, nil
	}
	_, err = dec.Token() // the closing delimiter
	return false, err
}

// FuzzAppendUnquoted holds appendUnquoted to encoding/json's unescaping.
func FuzzAppendUnquoted(f *testing.F) {
	for _, s := range []string{
		`plain`, `\ud83d\ude00`, `\ud800`, `\udc00\ud800`, `\ud800\u0041`, `\ud800\ud800\udc00`,
		`\u00e9\\\/\b\f\n\r\t\"`, `\u0000`, `\uD834\uDD1E`, `\ud800\`, `a\\u0041`, `é中🙂`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		lit := []byte(`"` + body + `"`)
		if !utf8.ValidString(body) || !json.Valid(lit) {
			return
		}
		var want string
		if err := json.Unmarshal(lit, &want); err != nil {
			t.Fatal(err)
		}
		if got := string(appendUnquoted(nil, body)); got != want {
			t.Fatalf("appendUnquoted(%q) = %q, want %q", body, got, want)
		}
	})
}

func TestJSONKeyMatching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, name string
		want      bool
	}{
		{"results", "results", true},
		{"RESULTS", "results", true},
		{`re\u0073ults`, "results", true},
		{`RE\u0053ULTS`, "results", true},
		{"ſtart_time", "start_time", true}, // long s folds to s
		{"spea\u212aer", "speaker", true},  // Kelvin sign folds to k
		{"result", "results", false},
		{"results ", "results", false},
		{`re\u0073ult`, "results", false},
		{"start-time", "start_time", false},
	}
	for _, tt := range tests {
		var d jsonDoc
		if got := d.is(tt.key, tt.name); got != tt.want {
			t.Errorf("is(%q, %q) = %v, want %v", tt.key, tt.name, got, tt.want)
		}
	}
}

func TestJSONWalk(t *testing.T) {
	t.Parallel()
	// Values that end in every way: strings with escaped quotes and
	// backslashes, nesting with brackets inside strings, literals.
	doc := `{ "a" : "x\\\"]}\\" , "b":[1,{"c":"]}"},[[]]] ,"c":-1.5e3,"d":true,"e":null , "f":{}}`
	d := jsonDoc{s: doc}
	var got []string
	for m := d.members(0); m.scan(); {
		got = append(got, m.key+"="+doc[m.val:d.end(m.val)])
	}
	want := []string{`a="x\\\"]}\\"`, `b=[1,{"c":"]}"},[[]]]`, `c=-1.5e3`, `d=true`, `e=null`, `f={}`}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("members:\n%q\nwant\n%q", got, want)
	}
	var elems []string
	arr := strings.Index(doc, "[")
	for e := d.elements(arr); e.scan(); {
		elems = append(elems, doc[e.val:d.end(e.val)])
	}
	if want := []string{`1`, `{"c":"]}"}`, `[[]]`}; strings.Join(elems, " ") != strings.Join(want, " ") {
		t.Errorf("elements: %q, want %q", elems, want)
	}
}
