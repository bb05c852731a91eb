package transcript

import "strings"

// FormatRevAI is the JSON of a Rev.ai transcript (GET
// /speechtotext/v1/jobs/{id}/transcript, Accept
// application/vnd.rev.transcript.v1.0+json): monologues[] of a speaker
// and elements[] of type text or punct.
const FormatRevAI Format = "revai"

// Member names of the Rev.ai objects read, as in the JSON.
var (
	revMonologueFields = []string{"speaker", "speaker_name", "elements"}
	revElementFields   = []string{"type", "value"}
)

// revAIText writes a turn for each monologue: its text elements with a
// space between them, its punctuation attached to the word before (the
// spaces that Rev.ai gives as punctuation are spaces already). Elements
// of type unknown are markup, not words.
func (d *jsonDoc) revAIText(monologues int, w *turnWriter) {
	var names labelNames
	var f [3]int
	var ef [2]int
	for m := d.elements(monologues); m.scan() && !w.over; {
		d.fields(m.val, revMonologueFields, f[:])
		name := names.of(d.label(f[0]), d.text(f[1]), revAIName)
		w.add(name, "") // the turn starts here, even with punctuation
		for e := d.elements(d.array(f[2])); e.scan() && !w.over; {
			d.fields(e.val, revElementFields, ef[:])
			switch typ := d.text(ef[0]); {
			case strings.EqualFold(typ, "text"):
				w.addWord(name, d.text(ef[1]))
			case strings.EqualFold(typ, "punct"):
				w.attach(d.text(ef[1]))
			}
		}
	}
}

// revAIName names a Rev.ai speaker: its speaker_name when it has one,
// else its number, from 0.
func revAIName(speaker, name string) string {
	if hasVisible(name) {
		return collapse(name)
	}
	return numbered(speakerKind, speaker, 0)
}
