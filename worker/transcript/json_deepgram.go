package transcript

import "strconv"

// FormatDeepgram is the JSON of a Deepgram pre-recorded transcription
// (POST /v1/listen, developers.deepgram.com/reference/listen-file):
// results.channels[].alternatives[], and results.utterances[] when the
// request asked for utterances.
const FormatDeepgram Format = "deepgram"

// Member names of the Deepgram objects read, as in the JSON.
var (
	dgUtteranceFields   = []string{"transcript", "speaker", "channel"}
	dgAlternativeFields = []string{"transcript", "words", "paragraphs"}
	dgParagraphFields   = []string{"sentences", "speaker", "start"}
	dgSentenceFields    = []string{"text"}
	dgWordFields        = []string{"punctuated_word", "word", "speaker"}
)

// deepgramText writes the turns of a Deepgram response: from the
// utterances (diarize names their speakers), else from the paragraphs of
// each channel's first alternative, else from its words when they have
// speakers, else from its transcript, else from its words. Deepgram
// numbers speakers and channels from 0. The channels of a multichannel
// recording are named, and their paragraphs go in time order; their
// words and transcripts go one channel after the other.
func (d *jsonDoc) deepgramText(channels, utterances int, w *turnWriter) {
	multi := d.count(channels, 2) > 1
	var names labelNames
	name := func(speaker, channel string) string {
		spk := numbered(speakerKind, speaker, 0)
		if !multi {
			return spk
		}
		return channelSpeaker(numbered(channelKind, channel, 0), spk)
	}
	var f [3]int
	for e := d.elements(utterances); e.scan() && !w.over; {
		d.fields(e.val, dgUtteranceFields, f[:])
		w.add(names.of(d.label(f[1]), d.label(f[2]), name), d.text(f[0]))
	}
	if written(w) {
		return
	}
	d.inTimeOrder(func(emit func(at float64, pos, ch int)) {
		ch := 0
		for c := d.elements(channels); c.scan(); ch++ {
			d.fields(d.deepgramAlternative(c.val), dgAlternativeFields, f[:])
			for p := d.elements(d.array(d.path(f[2], "paragraphs"))); p.scan(); {
				var pf [3]int
				d.fields(p.val, dgParagraphFields, pf[:])
				if d.anyText(pf[0], dgSentenceFields) {
					at, _ := d.number(pf[2])
					emit(at, p.val, ch)
				}
			}
		}
	}, func(pos, ch int) {
		var pf [3]int
		var sf [1]int
		d.fields(pos, dgParagraphFields, pf[:])
		spk := names.of(d.label(pf[1]), strconv.Itoa(ch), name)
		for s := d.elements(d.array(pf[0])); s.scan() && !w.over; {
			d.fields(s.val, dgSentenceFields, sf[:])
			w.add(spk, d.text(sf[0]))
		}
	})
	if written(w) {
		return
	}
	if d.deepgramWordSpeakers(channels) {
		d.deepgramWords(channels, &names, name, w)
		if written(w) {
			return
		}
	}
	ch := 0
	for c := d.elements(channels); c.scan() && !w.over; ch++ {
		d.fields(d.deepgramAlternative(c.val), dgAlternativeFields, f[:])
		w.add(names.of("", strconv.Itoa(ch), name), d.text(f[0]))
	}
	if !written(w) {
		d.deepgramWords(channels, &names, name, w)
	}
}

// deepgramAlternative returns the first alternative of the channel at i,
// or -1.
func (d *jsonDoc) deepgramAlternative(i int) int {
	return d.first(d.path(i, "alternatives"))
}

// deepgramWords writes the words of each channel's first alternative:
// the punctuated word (punctuate, smart_format) or else the word.
func (d *jsonDoc) deepgramWords(channels int, names *labelNames, name func(speaker, channel string) string, w *turnWriter) {
	var f, wf [3]int
	ch := 0
	for c := d.elements(channels); c.scan() && !w.over; ch++ {
		d.fields(d.deepgramAlternative(c.val), dgAlternativeFields, f[:])
		for e := d.elements(d.array(f[1])); e.scan() && !w.over; {
			d.fields(e.val, dgWordFields, wf[:])
			word := d.text(wf[0])
			if !hasVisible(word) {
				word = d.text(wf[1])
			}
			w.addWord(names.of(d.label(wf[2]), strconv.Itoa(ch), name), word)
		}
	}
}

// deepgramWordSpeakers reports whether a word of any channel has a
// speaker (diarize).
func (d *jsonDoc) deepgramWordSpeakers(channels int) bool {
	var f, wf [3]int
	for c := d.elements(channels); c.scan(); {
		d.fields(d.deepgramAlternative(c.val), dgAlternativeFields, f[:])
		for e := d.elements(d.array(f[1])); e.scan(); {
			if d.fields(e.val, dgWordFields, wf[:]); d.label(wf[2]) != "" {
				return true
			}
		}
	}
	return false
}

// count returns the number of elements of the array at i, counting no
// further than limit.
func (d *jsonDoc) count(i, limit int) int {
	n := 0
	for e := d.elements(i); n < limit && e.scan(); {
		n++
	}
	return n
}

// anyText reports whether an element of the array at i has visible text
// in its member names[0].
func (d *jsonDoc) anyText(i int, names []string) bool {
	var f [1]int
	for e := d.elements(d.array(i)); e.scan(); {
		if d.fields(e.val, names[:1], f[:]); hasVisible(d.text(f[0])) {
			return true
		}
	}
	return false
}

// written reports whether w has text, or refused some: a reader stops
// looking for text in other places once it has some.
func written(w *turnWriter) bool {
	return w.b.size() > 0 || w.over
}
