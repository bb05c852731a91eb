package transcript

import "strings"

// Member names of the Whisper objects read, as in the JSON.
var (
	segmentFields = []string{"text", "speaker"}
	speakerFields = []string{"speaker"}
)

// whisperText writes the turns of Whisper segments when WhisperX put
// speakers on them, else the whole text, or the segments joined when
// there is none.
func (d *jsonDoc) whisperText(f *jsonFields, w *turnWriter) {
	var v [2]string
	speakers := false
	for e := d.elements(f.segments); e.scan(); {
		if d.stringFields(e.val, speakerFields, v[:1]); strings.TrimSpace(v[0]) != "" {
			speakers = true
			break
		}
	}
	if !speakers && f.hasText && hasVisible(f.text) {
		w.add("", f.text)
		return
	}
	var names speakerNames
	for e := d.elements(f.segments); e.scan() && !w.over; {
		d.stringFields(e.val, segmentFields, v[:2])
		w.add(names.of(v[1]), v[0])
	}
}
