package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// errNotJSON says content sniffed as JSON is not JSON after all, so it is
// read as text.
var errNotJSON = errors.New("not JSON")

// decodeJSON reads a JSON transcript of any shape that jsonShape knows.
// When the content is not JSON it fails with ErrBadFormat if strict,
// else with errNotJSON.
//
// The document is never built: encoding/json checks its syntax, then
// jsonDoc walks the bytes and the words go straight into the turns. What
// decoding allocates is the text, bounded by textLimit, and two indexes
// of bounded size: for older Transcribe output whose words find their
// speaker by start time, the labeled start times (speakerIndex), and
// for pieces of text that come out of time order (the channels of a
// recording, listed one after the other), their times (inTimeOrder);
// never anything per item, alternative, word or segment that holds no
// text, whatever their number. The fields of Transcribe and Whisper are
// read as encoding/json read them into structs (keys matched exactly or
// else case-insensitively, a value of the wrong type leaves its field
// empty), so their text is the one that the struct decoding made; the
// other vendors' fields are matched the same way.
func decodeJSON(b []byte, strict bool) (string, Format, error) {
	if !json.Valid(b) {
		if !strict {
			return "", "", errNotJSON
		}
		// Unmarshal checks the whole syntax before it decodes anything:
		// it only says where the error is.
		var syn *json.SyntaxError
		if err := json.Unmarshal(b, new(struct{})); errors.As(err, &syn) {
			return "", "", fmt.Errorf("%w: invalid JSON at offset %d", ErrBadFormat, syn.Offset)
		}
		return "", "", fmt.Errorf("%w: invalid JSON", ErrBadFormat)
	}
	d := jsonDoc{s: view(b)}
	shape := d.shape()
	if shape.format == "" {
		return "", "", fmt.Errorf("%w: unrecognized JSON transcript (%s)", ErrBadFormat, knownJSONShapes)
	}
	w := newTurnWriter(textLimit(len(b)), 0)
	d.write(&shape, w)
	text, err := w.text()
	if err != nil {
		return "", "", err
	}
	if text == "" {
		return "", "", fmt.Errorf("%w: empty: %s JSON without words", ErrBadFormat, shape.format)
	}
	return text, shape.format, nil
}

// knownJSONShapes names the JSON transcripts decodeJSON reads, for the
// error about any other JSON.
const knownJSONShapes = "known shapes: Amazon Transcribe, Bedrock Data Automation, Whisper, " +
	"Deepgram, AssemblyAI, Azure, Google, Rev.ai, Speechmatics"

// jsonShape is what a JSON document was recognized as: its format, and
// where the fields that the format's reader starts from are.
type jsonShape struct {
	format Format
	jsonFields
	vendorFields
}

// shape recognizes the document by its top-level fields: the first
// format of this list whose fields it has is the one (no format's
// fields are another's, except Whisper's text, which AssemblyAI has
// too). The format is "" when the document is none of them.
func (d *jsonDoc) shape() jsonShape {
	s := jsonShape{jsonFields: d.locate(), vendorFields: d.locateVendors()}
	v := &s.vendorFields
	switch {
	case s.transcripts >= 0 || s.items >= 0 || s.audioSegments >= 0 || s.channels >= 0:
		s.format = FormatTranscribe
	case v.caTranscript >= 0 && d.callAnalyticsSegments(v.caTranscript):
		s.format = FormatCallAnalytics
	case v.dgChannels >= 0 || v.dgUtterances >= 0:
		s.format = FormatDeepgram
	case v.results >= 0 && d.resultsKind(v.results) != "":
		s.format = d.resultsKind(v.results)
	case v.googleFiles >= 0:
		s.format = FormatGoogle
	case v.aaiUtterances >= 0 || v.aaiURL || (v.aaiWords >= 0 && d.assemblyAIWords(v.aaiWords)):
		s.format = FormatAssemblyAI
	case v.monologues >= 0:
		s.format = FormatRevAI
	case v.azPhrases >= 0 || v.azCombined >= 0 || v.azResult >= 0:
		s.format = FormatAzure
	case v.bdaSegments >= 0 || v.bdaText >= 0:
		s.format = FormatBedrock
	case s.hasText || s.hasSegments:
		s.format = FormatWhisper
	}
	return s
}

// write writes the turns of the document recognized as s.
func (d *jsonDoc) write(s *jsonShape, w *turnWriter) {
	v := &s.vendorFields
	switch s.format {
	case FormatTranscribe:
		d.transcribeText(&s.jsonFields, w)
	case FormatCallAnalytics:
		d.callAnalyticsText(v.caTranscript, w)
	case FormatDeepgram:
		d.deepgramText(v.dgChannels, v.dgUtterances, w)
	case FormatSpeechmatics:
		d.speechmaticsText(v.results, w)
	case FormatGoogle:
		d.googleText(v.results, v.googleFiles, w)
	case FormatAssemblyAI:
		d.assemblyAIText(s, w)
	case FormatRevAI:
		d.revAIText(v.monologues, w)
	case FormatAzure:
		d.azureText(v.azPhrases, v.azCombined, v.azResult, w)
	case FormatBedrock:
		d.bedrockText(v.bdaSegments, v.bdaText, w)
	case FormatWhisper:
		d.whisperText(&s.jsonFields, w)
	}
}

// jsonFields says where the fields of both JSON transcript formats are:
// the offset of each array's '[', or -1 when the field is absent.
type jsonFields struct {
	// Amazon Transcribe (docs.aws.amazon.com/transcribe/latest/dg/diarization-output-batch.html):
	// results.transcripts, .items, .audio_segments,
	// .speaker_labels.segments and, with channel identification
	// (channel-id-output-batch.html), .channel_labels.channels.
	transcripts, items, audioSegments, speakerSegments, channels int
	// Whisper and WhisperX: text and segments, which count as given
	// when they hold anything but null, even a value of the wrong type.
	text        string
	hasText     bool
	segments    int
	hasSegments bool
}

// locate finds the fields of the document. A key given twice counts
// where it is last given, as when encoding/json decodes it into a struct:
// null clears a field, and a value of the wrong type leaves it as it was.
func (d *jsonDoc) locate() jsonFields {
	f := jsonFields{transcripts: -1, items: -1, audioSegments: -1, speakerSegments: -1, channels: -1, segments: -1}
	top := d.ws(0)
	if d.s[top] != '{' {
		return f
	}
	for m := d.members(top); m.scan(); {
		switch {
		case d.is(m.key, "results"):
			switch d.s[m.val] {
			case 'n':
				f.transcripts, f.items, f.audioSegments, f.speakerSegments, f.channels = -1, -1, -1, -1, -1
			case '{':
				d.locateResults(m.val, &f)
			}
		case d.is(m.key, "text"):
			if v, ok := d.str(m.val); ok {
				f.text, f.hasText = v, true
			} else if d.s[m.val] == 'n' {
				f.text, f.hasText = "", false
			} else {
				f.hasText = true
			}
		case d.is(m.key, "segments"):
			switch d.s[m.val] {
			case '[':
				f.segments, f.hasSegments = m.val, true
			case 'n':
				f.segments, f.hasSegments = -1, false
			default:
				f.hasSegments = true
			}
		}
	}
	return f
}

// vendorFields says where the top-level fields of the other vendors'
// JSON are: the offset of each value, or -1 when the field is absent,
// null or of another type than the vendor gives.
type vendorFields struct {
	// Google Speech-to-Text (v1 and v2) and Speechmatics: results[];
	// Google's long-running operation: response.results[]; Google v2's
	// BatchRecognizeResponse: results{file: {transcript: {results[]}}}.
	results, googleFiles int
	// Deepgram: results.channels[] and results.utterances[].
	dgChannels, dgUtterances int
	// Amazon Transcribe Call Analytics: Transcript[].
	caTranscript int
	// AssemblyAI: utterances[], words[], and audio_url, which only its
	// JSON has.
	aaiUtterances, aaiWords int
	aaiURL                  bool
	// Rev.ai: monologues[].
	monologues int
	// Azure Speech: batch transcription's recognizedPhrases[] and
	// combinedRecognizedPhrases[], fast transcription's phrases[] and
	// combinedPhrases[]; a real-time result (DisplayText, NBest) or a
	// list of them: the whole document.
	azPhrases, azCombined, azResult int
	// Bedrock Data Automation: audio_segments[] and
	// audio.transcript.representation.text.
	bdaSegments, bdaText int
}

// locateVendors finds the vendorFields of the document.
func (d *jsonDoc) locateVendors() vendorFields {
	v := vendorFields{results: -1, googleFiles: -1, dgChannels: -1, dgUtterances: -1, caTranscript: -1,
		aaiUtterances: -1, aaiWords: -1, monologues: -1, azPhrases: -1, azCombined: -1, azResult: -1,
		bdaSegments: -1, bdaText: -1}
	top := d.ws(0)
	if d.s[top] == '[' {
		if d.azureResult(d.first(top)) {
			v.azPhrases = top
		}
		return v
	}
	if d.s[top] != '{' {
		return v
	}
	realtime := false
	for m := d.members(top); m.scan(); {
		switch k := m.key; {
		case d.is(k, "results"):
			v.results, v.googleFiles, v.dgChannels, v.dgUtterances = d.array(m.val), -1, -1, -1
			if d.s[m.val] == '{' {
				d.locateResultsObject(m.val, &v)
			}
		case d.is(k, "response"):
			if r := d.array(d.path(m.val, "results")); r >= 0 {
				v.results = r
			}
		case d.is(k, "transcript"):
			d.setArray(&v.caTranscript, m.val)
		case d.is(k, "utterances"):
			d.setArray(&v.aaiUtterances, m.val)
		case d.is(k, "words"):
			d.setArray(&v.aaiWords, m.val)
		case d.is(k, "audio_url"):
			v.aaiURL = d.s[m.val] == '"'
		case d.is(k, "monologues"):
			d.setArray(&v.monologues, m.val)
		case d.is(k, "recognizedPhrases"), d.is(k, "phrases"):
			d.setArray(&v.azPhrases, m.val)
		case d.is(k, "combinedRecognizedPhrases"), d.is(k, "combinedPhrases"):
			d.setArray(&v.azCombined, m.val)
		case d.is(k, "DisplayText"), d.is(k, "NBest"):
			realtime = realtime || d.s[m.val] == '"' || d.s[m.val] == '['
		case d.is(k, "audio_segments"):
			d.setArray(&v.bdaSegments, m.val)
		case d.is(k, "audio"):
			v.bdaText = d.path(m.val, "transcript", "representation", "text")
		}
	}
	if realtime {
		v.azResult = top
	}
	return v
}

// locateResultsObject finds the vendor fields in a results object:
// Deepgram's channels and utterances, or Google v2's files.
func (d *jsonDoc) locateResultsObject(i int, v *vendorFields) {
	for m := d.members(i); m.scan(); {
		switch {
		case d.is(m.key, "channels"):
			d.setArray(&v.dgChannels, m.val)
		case d.is(m.key, "utterances"):
			d.setArray(&v.dgUtterances, m.val)
		case v.googleFiles < 0 && d.googleFile(m.val) >= 0:
			v.googleFiles = i
		}
	}
}

// locateResults finds the fields of the results object at i.
func (d *jsonDoc) locateResults(i int, f *jsonFields) {
	for m := d.members(i); m.scan(); {
		switch {
		case d.is(m.key, "transcripts"):
			d.setArray(&f.transcripts, m.val)
		case d.is(m.key, "items"):
			d.setArray(&f.items, m.val)
		case d.is(m.key, "audio_segments"):
			d.setArray(&f.audioSegments, m.val)
		case d.is(m.key, "speaker_labels"):
			d.setMember(&f.speakerSegments, m.val, "segments")
		case d.is(m.key, "channel_labels"):
			d.setMember(&f.channels, m.val, "channels")
		}
	}
}

// jsonDoc walks a JSON document that json.Valid accepted, without
// building it: a value is the offset of its first byte in s, and strings
// are read where they are unless they hold escapes.
type jsonDoc struct {
	s       string
	scratch []byte // keys with escapes, unescaped
}

// stringFields reads the members of the object at i named by names into
// out, as encoding/json fills string fields of a struct: a key matches
// exactly or else case-insensitively, the last string given counts, and
// a value of another type leaves the field as it was. out is cleared
// first; a value at i that is not an object leaves it empty.
func (d *jsonDoc) stringFields(i int, names, out []string) {
	clear(out)
	if d.s[i] != '{' {
		return
	}
	for m := d.members(i); m.scan(); {
		for k, name := range names {
			if d.is(m.key, name) {
				d.setString(&out[k], m.val)
				break
			}
		}
	}
}

// setString stores the string at i in *field, and leaves *field as it
// is when the value is not a string.
func (d *jsonDoc) setString(field *string, i int) {
	if v, ok := d.str(i); ok {
		*field = v
	}
}

// setArray stores in *field where a slice field's value is, as
// encoding/json decodes one: an array replaces the field, null clears it
// (-1), and a value of another type leaves it as it was.
func (d *jsonDoc) setArray(field *int, i int) {
	switch d.s[i] {
	case '[':
		*field = i
	case 'n':
		*field = -1
	}
}

// setMember stores in *field where the array of the member name of the
// object at i is, as setArray does; null at i clears it.
func (d *jsonDoc) setMember(field *int, i int, name string) {
	switch d.s[i] {
	case 'n':
		*field = -1
	case '{':
		for m := d.members(i); m.scan(); {
			if d.is(m.key, name) {
				d.setArray(field, m.val)
			}
		}
	}
}

// fields finds the members of the object at i named by names: out[k] is
// the offset of the value of names[k], or -1 when it is absent or null.
// Keys match as in stringFields, and the last one given counts. A value
// at i that is not an object, or i of -1, has no members.
func (d *jsonDoc) fields(i int, names []string, out []int) {
	for k := range out {
		out[k] = -1
	}
	if i < 0 || d.s[i] != '{' {
		return
	}
	for m := d.members(i); m.scan(); {
		for k, name := range names {
			if d.is(m.key, name) {
				out[k] = m.val
				if d.s[m.val] == 'n' {
					out[k] = -1
				}
				break
			}
		}
	}
}

// path follows the members named by names from the object at i, and
// returns the offset of the last one's value, or -1 when one is missing,
// null or not an object to follow.
func (d *jsonDoc) path(i int, names ...string) int {
	var out [1]int
	for _, name := range names {
		d.fields(i, []string{name}, out[:])
		if i = out[0]; i < 0 {
			return -1
		}
	}
	return i
}

// text returns the string at i, or "" when i is -1 or not a string.
func (d *jsonDoc) text(i int) string {
	if i < 0 {
		return ""
	}
	v, _ := d.str(i)
	return v
}

// label returns the string or number at i as written ("S1", "spk_0",
// "0", "1.0"), or "" for any other value and for i of -1: vendors give
// speakers and channels as either.
func (d *jsonDoc) label(i int) string {
	if i < 0 {
		return ""
	}
	switch c := d.s[i]; {
	case c == '"':
		return d.text(i)
	case c == '-' || '0' <= c && c <= '9':
		return d.s[i:d.end(i)]
	}
	return ""
}

// number returns the number at i, or held by a string there ("4.86",
// as Transcribe gives times), and false for anything else.
func (d *jsonDoc) number(i int) (float64, bool) {
	v := d.label(i)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return f, err == nil
}

// array returns i when the value at i is an array, else -1.
func (d *jsonDoc) array(i int) int {
	if i < 0 || d.s[i] != '[' {
		return -1
	}
	return i
}

// first returns the offset of the first element of the array at i, or
// -1 when there is none.
func (d *jsonDoc) first(i int) int {
	e := d.elements(d.array(i))
	if !e.scan() {
		return -1
	}
	return e.val
}

// is reports whether key, the raw text of an object key between its
// quotes, names the field name, as encoding/json matches keys to struct
// fields: once unescaped, exactly or else under Unicode simple case
// folding ("Results", "RESULTS").
func (d *jsonDoc) is(key, name string) bool {
	if strings.IndexByte(key, '\\') < 0 {
		return key == name || strings.EqualFold(key, name)
	}
	d.scratch = appendUnquoted(d.scratch[:0], key)
	return bytes.EqualFold(d.scratch, []byte(name))
}

// str returns the string value at i, and false when the value is not a
// string. A string without escapes is a part of s; one with escapes is
// unescaped into a new string.
func (d *jsonDoc) str(i int) (string, bool) {
	if d.s[i] != '"' {
		return "", false
	}
	raw := d.s[i+1 : d.strEnd(i)-1]
	if strings.IndexByte(raw, '\\') < 0 {
		return raw, true
	}
	d.scratch = appendUnquoted(d.scratch[:0], raw)
	return string(d.scratch), true
}

// ws returns the offset of the first byte at or after i that is not
// JSON white space.
func (d *jsonDoc) ws(i int) int {
	for i < len(d.s) {
		switch d.s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// end returns the offset just after the value that starts at i. Nesting
// is followed with a counter, so its depth costs no stack.
func (d *jsonDoc) end(i int) int {
	s := d.s
	switch s[i] {
	case '"':
		return d.strEnd(i)
	case '{', '[':
		depth := 0
		for i < len(s) {
			switch s[i] {
			case '"':
				i = d.strEnd(i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(s) { // a number, true, false or null
		switch s[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// strEnd returns the offset just after the closing quote of the string
// that starts at i: the first quote after it not escaped by an odd run
// of backslashes.
func (d *jsonDoc) strEnd(i int) int {
	s := d.s
	for j := i + 1; ; {
		k := strings.IndexByte(s[j:], '"')
		if k < 0 {
			return len(s) // not valid JSON: json.Valid let nothing like it in
		}
		j += k
		backslashes := 0
		for p := j - 1; s[p] == '\\'; p-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return j + 1
		}
		j++
	}
}

// objectMembers walks the members of an object.
type objectMembers struct {
	d    *jsonDoc
	next int    // offset of the next member's key, or of the closing '}'
	key  string // the current member's key, raw, between its quotes
	val  int    // offset of the current member's value
}

// members walks the object at i, which must be one.
func (d *jsonDoc) members(i int) objectMembers {
	return objectMembers{d: d, next: d.ws(i + 1)}
}

// scan moves to the next member, and reports false after the last.
func (m *objectMembers) scan() bool {
	d, i := m.d, m.next
	if i >= len(d.s) || d.s[i] != '"' {
		return false
	}
	e := d.strEnd(i)
	m.key = d.s[i+1 : e-1]
	m.val = d.ws(d.ws(e) + 1) // after the ':'
	i = d.ws(d.end(m.val))
	if i < len(d.s) && d.s[i] == ',' {
		i = d.ws(i + 1)
	}
	m.next = i
	return true
}

// arrayElements walks the elements of an array.
type arrayElements struct {
	d    *jsonDoc
	next int // offset of the next element, or of the closing ']'; -1: none
	val  int // offset of the current element
}

// elements walks the array at i, or nothing when i is -1.
func (d *jsonDoc) elements(i int) arrayElements {
	if i < 0 {
		return arrayElements{d: d, next: -1}
	}
	return arrayElements{d: d, next: d.ws(i + 1)}
}

// scan moves to the next element, and reports false after the last.
func (e *arrayElements) scan() bool {
	d, i := e.d, e.next
	if i < 0 || i >= len(d.s) || d.s[i] == ']' {
		return false
	}
	e.val = i
	i = d.ws(d.end(i))
	if i < len(d.s) && d.s[i] == ',' {
		i = d.ws(i + 1)
	}
	e.next = i
	return true
}

// appendUnquoted appends the body of a valid JSON string (between its
// quotes) to dst with its escapes undone, as encoding/json undoes them:
// \u escapes of a surrogate pair are one character, and an unpaired
// surrogate is U+FFFD.
func appendUnquoted(dst []byte, raw string) []byte {
	for i := 0; i < len(raw); {
		j := strings.IndexByte(raw[i:], '\\')
		if j < 0 {
			return append(dst, raw[i:]...)
		}
		dst = append(dst, raw[i:i+j]...)
		i += j
		c := raw[i+1]
		switch c {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'u':
			r := getu4(raw[i:])
			i += 6
			if utf16.IsSurrogate(r) {
				if pair := utf16.DecodeRune(r, getu4(raw[i:])); pair != utf8.RuneError {
					r = pair
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		}
		dst = append(dst, c) // also '"', '\\' and '/'
		i += 2
	}
	return dst
}

// getu4 decodes the \uXXXX escape s starts with, or returns -1.
func getu4(s string) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
