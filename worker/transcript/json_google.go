package transcript

import (
	"strconv"
	"strings"
)

// FormatGoogle is the JSON of a Google Cloud Speech-to-Text recognition:
// v1's RecognizeResponse or LongRunningRecognizeResponse
// (cloud.google.com/speech-to-text/docs/reference/rest/v1/speech/recognize),
// alone or in its operation's response, and v2's recognition results, as
// a file or in a BatchRecognizeResponse: results[] of alternatives[]
// with a transcript and words[], each word with a speaker tag
// (speakerTag in v1, speakerLabel in v2) when diarized, and a channelTag
// per result with separate recognition per channel.
const FormatGoogle Format = "google"

// Member names of the Google objects read, as in the JSON (protobuf's
// JSON names, and the proto names that some clients write instead).
var (
	gResultFields = []string{"alternatives", "channelTag", "channel_tag",
		"resultEndTime", "result_end_time", "resultEndOffset", "result_end_offset"}
	gAlternativeFields = []string{"transcript", "words"}
	gWordFields        = []string{"word", "speakerTag", "speaker_tag", "speakerLabel", "speaker_label"}
)

// googleText writes the turns of the results at results, or of each file
// of a v2 BatchRecognizeResponse's results at files.
func (d *jsonDoc) googleText(results, files int, w *turnWriter) {
	if files < 0 {
		d.googleResults(results, w)
		return
	}
	for m := d.members(files); m.scan() && !w.over; {
		d.googleResults(d.googleFile(m.val), w)
	}
}

// googleFile returns the results[] of one file of a v2
// BatchRecognizeResponse ({transcript: {results}}, or with inline
// results {inlineResult: {transcript: {results}}}), or -1.
func (d *jsonDoc) googleFile(i int) int {
	if r := d.array(d.path(i, "transcript", "results")); r >= 0 {
		return r
	}
	return d.array(d.path(i, "inlineResult", "transcript", "results"))
}

// googleResults writes the turns of Google results. With diarization,
// Google gives every word of the recording again, with its speaker tag,
// in the last result: those words are the turns, and the transcripts,
// which hold the same words, are not written. Else the transcripts are
// the text, in the order of their end times, named by channel when the
// results come from more than one (channelTag, from 1).
func (d *jsonDoc) googleResults(results int, w *turnWriter) {
	var f [7]int
	var af [2]int
	var wf [5]int
	tagged := -1 // the first alternative of the last result with speaker tags
	for e := d.elements(results); e.scan(); {
		d.fields(e.val, gResultFields, f[:])
		alt := d.first(f[0])
		d.fields(alt, gAlternativeFields, af[:])
		for word := d.elements(d.array(af[1])); word.scan(); {
			if d.fields(word.val, gWordFields, wf[:]); googleSpeaker(d, &wf) != "" {
				tagged = alt
				break
			}
		}
	}
	var names labelNames
	if tagged >= 0 {
		d.fields(tagged, gAlternativeFields, af[:])
		for word := d.elements(d.array(af[1])); word.scan() && !w.over; {
			d.fields(word.val, gWordFields, wf[:])
			w.addWord(names.of(googleSpeaker(d, &wf), "", googleName), d.text(wf[0]))
		}
		if written(w) {
			return
		}
	}
	firstChannel, multi := "", false
	for e := d.elements(results); e.scan() && !multi; {
		d.fields(e.val, gResultFields, f[:])
		if ch := googleChannel(d, &f); ch != "" {
			if firstChannel == "" {
				firstChannel = ch
			}
			multi = ch != firstChannel
		}
	}
	d.inTimeOrder(func(emit func(at float64, pos, ch int)) {
		for e := d.elements(results); e.scan(); {
			d.fields(e.val, gResultFields, f[:])
			d.fields(d.first(f[0]), gAlternativeFields, af[:])
			if hasVisible(d.text(af[0])) || d.anyText(af[1], gWordFields) {
				emit(googleEnd(d, &f), e.val, 0)
			}
		}
	}, func(pos, _ int) {
		var rf [7]int
		var raf [2]int
		d.fields(pos, gResultFields, rf[:])
		name := ""
		if multi {
			name = names.of("", googleChannel(d, &rf), googleName)
		}
		d.fields(d.first(rf[0]), gAlternativeFields, raf[:])
		if t := d.text(raf[0]); hasVisible(t) {
			w.add(name, t)
			return
		}
		var rwf [5]int
		for word := d.elements(d.array(raf[1])); word.scan() && !w.over; {
			d.fields(word.val, gWordFields, rwf[:])
			w.addWord(name, d.text(rwf[0]))
		}
	})
}

// googleSpeaker returns the speaker tag of the word whose fields are f
// (gWordFields), or "" when it has none: 0 is no speaker in v1.
func googleSpeaker(d *jsonDoc, f *[5]int) string {
	for _, i := range f[1:] {
		if v := strings.TrimSpace(d.label(i)); v != "" && v != "0" {
			return v
		}
	}
	return ""
}

// googleChannel returns the channel tag of the result whose fields are f
// (gResultFields), or "".
func googleChannel(d *jsonDoc, f *[7]int) string {
	if ch := d.label(f[1]); ch != "" {
		return ch
	}
	return d.label(f[2])
}

// googleEnd returns the end time of the result whose fields are f
// (gResultFields), in seconds: a protobuf Duration ("3.200s"), or 0.
func googleEnd(d *jsonDoc, f *[7]int) float64 {
	for _, i := range f[3:] {
		if v := d.label(i); v != "" {
			if s, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), "s"), 64); err == nil {
				return s
			}
		}
	}
	return 0
}

// googleName names a Google speaker tag (v1's speakerTag and v2's
// speakerLabel count from 1) or channel tag (from 1).
func googleName(speaker, channel string) string {
	if speaker != "" {
		return numbered(speakerKind, speaker, 1)
	}
	return numbered(channelKind, channel, 1)
}
