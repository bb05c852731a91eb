package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// errNotJSON says content sniffed as JSON is not JSON after all, so it is
// read as text.
var errNotJSON = errors.New("not JSON")

// decodeJSON reads an Amazon Transcribe or Whisper JSON transcript. When
// the content is not JSON it fails with ErrBadFormat if strict, else with
// errNotJSON.
//
// The document is never built: encoding/json checks its syntax, then
// jsonDoc walks the bytes and the words go straight into the turns. What
// decoding allocates is the text, bounded by textLimit, and for older
// Transcribe output whose words find their speaker by start time, an
// index of the labeled start times (speakerIndex); never anything per
// item, alternative or segment, whatever their number. The fields are
// read as encoding/json read them into structs (keys matched exactly or
// else case-insensitively, a value of the wrong type leaves its field
// empty), so the text is the one that the struct decoding made.
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
	doc := d.locate()
	w := newTurnWriter(textLimit(len(b)), 0)
	var f Format
	switch {
	case doc.transcripts >= 0 || doc.items >= 0 || doc.audioSegments >= 0:
		f = FormatTranscribe
		d.transcribeText(&doc, w)
	case doc.hasText || doc.hasSegments:
		f = FormatWhisper
		d.whisperText(&doc, w)
	default:
		return "", "", fmt.Errorf("%w: unrecognized JSON transcript (neither Amazon Transcribe nor Whisper)", ErrBadFormat)
	}
	text, err := w.text()
	if err != nil {
		return "", "", err
	}
	if text == "" {
		return "", "", fmt.Errorf("%w: empty: %s JSON without words", ErrBadFormat, f)
	}
	return text, f, nil
}

// jsonFields says where the fields of both JSON transcript formats are:
// the offset of each array's '[', or -1 when the field is absent.
type jsonFields struct {
	// Amazon Transcribe (docs.aws.amazon.com/transcribe/latest/dg/diarization-output-batch.html):
	// results.transcripts, .items, .audio_segments and
	// .speaker_labels.segments.
	transcripts, items, audioSegments, speakerSegments int
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
	f := jsonFields{transcripts: -1, items: -1, audioSegments: -1, speakerSegments: -1, segments: -1}
	top := d.ws(0)
	if d.s[top] != '{' {
		return f
	}
	for m := d.members(top); m.scan(); {
		switch {
		case d.is(m.key, "results"):
			switch d.s[m.val] {
			case 'n':
				f.transcripts, f.items, f.audioSegments, f.speakerSegments = -1, -1, -1, -1
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
			switch d.s[m.val] {
			case 'n':
				f.speakerSegments = -1
			case '{':
				for sm := d.members(m.val); sm.scan(); {
					if d.is(sm.key, "segments") {
						d.setArray(&f.speakerSegments, sm.val)
					}
				}
			}
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
