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

// revAIText writes a turn for each monologue. Rev.ai gives the spaces
// between words as punctuation elements (" "): then the elements are
// joined as they are. Older transcripts have none: then the text
// elements get a space between them and punctuation attaches to the word
// before it. Elements of type unknown are markup, not words.
func (d *jsonDoc) revAIText(monologues int, w *turnWriter) {
	var names labelNames
	var f [3]int
	var ef [2]int
	spaced := d.revAISpaced(monologues)
	for m := d.elements(monologues); m.scan() && !w.over; {
		d.fields(m.val, revMonologueFields, f[:])
		name := names.of(d.label(f[0]), d.text(f[1]), revAIName)
		w.add(name, "") // the turn starts here, even with punctuation
		space := true   // a monologue starts a sentence
		for e := d.elements(d.array(f[2])); e.scan() && !w.over; {
			d.fields(e.val, revElementFields, ef[:])
			value := d.text(ef[1])
			typ := d.text(ef[0])
			text, punct := strings.EqualFold(typ, "text"), strings.EqualFold(typ, "punct")
			switch {
			case punct && !hasVisible(value):
				space = true
			case text && !spaced:
				w.addWord(name, value)
			case punct && !spaced:
				w.attach(value)
			case (text || punct) && space:
				w.addWord(name, value)
				space = false
			case text || punct:
				w.attach(value)
			}
		}
	}
}

// revAISpaced reports whether the monologues at i give the spaces between
// words as punctuation elements.
func (d *jsonDoc) revAISpaced(monologues int) bool {
	var f [3]int
	var ef [2]int
	for m := d.elements(monologues); m.scan(); {
		d.fields(m.val, revMonologueFields, f[:])
		for e := d.elements(d.array(f[2])); e.scan(); {
			d.fields(e.val, revElementFields, ef[:])
			if v := d.text(ef[1]); v != "" && !hasVisible(v) && strings.EqualFold(d.text(ef[0]), "punct") {
				return true
			}
		}
	}
	return false
}

// revAIName names a Rev.ai speaker: its speaker_name when it has one,
// else its number, from 0.
func revAIName(speaker, name string) string {
	if hasVisible(name) {
		return collapse(name)
	}
	return numbered(speakerKind, speaker, 0)
}
