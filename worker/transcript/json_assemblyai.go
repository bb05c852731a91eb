package transcript

import (
	"strconv"
	"strings"
)

// FormatAssemblyAI is the JSON of an AssemblyAI transcript (GET
// /v2/transcript/{id}, www.assemblyai.com/docs/api-reference/transcripts/get):
// text, words[], and utterances[] with speaker_labels or multichannel.
const FormatAssemblyAI Format = "assemblyai"

// Member names of the AssemblyAI objects read, as in the JSON.
var (
	aaiFields     = []string{"text", "speaker", "channel"}
	aaiWordFields = []string{"text", "word"}
)

// assemblyAIText writes the turns of an AssemblyAI transcript: from the
// utterances, else from the words when they have speakers, else the
// text, else the words.
func (d *jsonDoc) assemblyAIText(s *jsonShape, w *turnWriter) {
	var names labelNames
	var f [3]int
	for e := d.elements(s.aaiUtterances); e.scan() && !w.over; {
		d.fields(e.val, aaiFields, f[:])
		w.add(names.of(d.label(f[1]), d.label(f[2]), assemblyAIName), d.text(f[0]))
	}
	if written(w) {
		return
	}
	words := func(speakers bool) {
		for e := d.elements(s.aaiWords); e.scan() && !w.over; {
			d.fields(e.val, aaiFields, f[:])
			name := ""
			if speakers {
				name = names.of(d.label(f[1]), d.label(f[2]), assemblyAIName)
			}
			w.addWord(name, d.text(f[0]))
		}
	}
	if d.anyLabel(s.aaiWords, aaiFields[1:2]) {
		if words(true); written(w) {
			return
		}
	}
	if w.add("", s.text); !written(w) {
		words(false)
	}
}

// assemblyAIName names an AssemblyAI speaker: speaker_labels letters
// them from A ("Speaker 1"); multichannel gives the channel's number,
// from 1 ("Channel 1"), and with speaker_labels too the channel's number
// and a letter ("1B": "Channel 1 Speaker 2"); speaker identification
// gives names, which are kept.
func assemblyAIName(speaker, channel string) string {
	speaker = strings.TrimSpace(speaker)
	digits := len(speaker) - len(strings.TrimLeft(speaker, "0123456789"))
	switch rest := speaker[digits:]; {
	case speaker == "":
		return numbered(channelKind, channel, 1)
	case len(rest) == 1 && 'A' <= rest[0] && rest[0] <= 'Z':
		spk := speakerKind + " " + strconv.Itoa(int(rest[0]-'A')+1)
		if digits == 0 {
			return spk
		}
		return channelSpeaker(numbered(channelKind, speaker[:digits], 1), spk)
	case rest == "":
		return numbered(channelKind, speaker, 1)
	}
	return collapse(speaker)
}

// assemblyAIWords reports whether the words at i are AssemblyAI's, whose
// text is in "text", and not OpenAI's word timestamps (verbose_json),
// whose text is in "word".
func (d *jsonDoc) assemblyAIWords(i int) bool {
	var f [2]int
	for e := d.elements(i); e.scan(); {
		if d.s[e.val] != '{' {
			continue
		}
		d.fields(e.val, aaiWordFields, f[:])
		return f[0] >= 0 && f[1] < 0
	}
	return false
}

// anyLabel reports whether an element of the array at i has a label
// (speaker, channel) in its member names[0].
func (d *jsonDoc) anyLabel(i int, names []string) bool {
	var f [1]int
	for e := d.elements(d.array(i)); e.scan(); {
		if d.fields(e.val, names[:1], f[:]); strings.TrimSpace(d.label(f[0])) != "" {
			return true
		}
	}
	return false
}
