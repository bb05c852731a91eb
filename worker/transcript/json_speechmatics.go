package transcript

import "strings"

// FormatSpeechmatics is the JSON of a Speechmatics batch transcript
// (GET /v2/jobs/{id}/transcript, format json-v2,
// docs.speechmatics.com): results[] of type word or punctuation, each
// with alternatives[0].content and, with diarization, a speaker ("S1")
// or a channel ("channel_1").
const FormatSpeechmatics Format = "speechmatics"

// Member names of the Speechmatics objects read, as in the JSON.
var (
	smResultFields      = []string{"type", "alternatives", "attaches_to", "channel"}
	smAlternativeFields = []string{"content", "speaker"}
	smClassifyFields    = []string{"type", "alternatives", "channelTag", "resultEndTime", "resultEndOffset", "languageCode"}
	smContentFields     = []string{"content", "transcript", "words"}
)

// speechmaticsText writes the words and punctuation of a Speechmatics
// transcript as Speechmatics renders them: punctuation attaches to the
// word before it, or as attaches_to says ("next": to the word after it,
// "both", "none"). An entity is written as its written form.
func (d *jsonDoc) speechmaticsText(results int, w *turnWriter) {
	var names labelNames
	var f [4]int
	var af [2]int
	glue := false // the next text attaches to the text before it
	for e := d.elements(results); e.scan() && !w.over; {
		d.fields(e.val, smResultFields, f[:])
		d.fields(d.first(f[1]), smAlternativeFields, af[:])
		content := d.text(af[0])
		if !hasVisible(content) {
			continue
		}
		name := names.of(d.label(af[1]), d.label(f[3]), speechmaticsName)
		w.add(name, "")
		typ := d.text(f[0])
		switch {
		case strings.EqualFold(typ, "punctuation"):
			attaches := strings.ToLower(d.text(f[2]))
			switch {
			case glue || attaches == "" || attaches == "previous" || attaches == "both":
				w.attach(content)
			default:
				w.addWord(name, content)
			}
			glue = attaches == "next" || attaches == "both"
		case typ == "" || strings.EqualFold(typ, "word") || strings.EqualFold(typ, "entity"):
			if glue {
				w.attach(content)
			} else {
				w.addWord(name, content)
			}
			glue = false
		}
	}
}

// speechmaticsName names a Speechmatics speaker ("S1": "Speaker 1", "UU":
// "Unknown speaker") or channel ("channel_1": "Channel 1"); labels given
// by channel_diarization_labels or speaker identification are kept.
func speechmaticsName(speaker, channel string) string {
	spk := prefixed(speakerKind, speaker, "S", 1)
	switch {
	case spk != "":
	case strings.EqualFold(strings.TrimSpace(speaker), "UU"):
		spk = "Unknown speaker"
	default:
		spk = collapse(speaker)
	}
	ch := prefixed(channelKind, channel, "channel_", 1)
	if ch == "" {
		ch = collapse(channel)
	}
	return channelSpeaker(ch, spk)
}

// resultsKind tells the results at i of Speechmatics, whose elements
// have a type and alternatives with content, from Google's, whose
// alternatives have a transcript or words: the first element that tells
// decides, and results that none tells are neither's ("").
func (d *jsonDoc) resultsKind(i int) Format {
	var f [6]int
	var af [3]int
	for e := d.elements(i); e.scan(); {
		d.fields(e.val, smClassifyFields, f[:])
		d.fields(d.first(f[1]), smContentFields, af[:])
		switch {
		case f[0] >= 0 || af[0] >= 0:
			return FormatSpeechmatics
		case af[1] >= 0 || af[2] >= 0 || f[2] >= 0 || f[3] >= 0 || f[4] >= 0 || f[5] >= 0:
			return FormatGoogle
		}
	}
	return ""
}
