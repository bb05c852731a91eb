package transcript

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Member names of the Transcribe objects read, as in the JSON.
var (
	audioSegmentFields = []string{"transcript", "speaker_label", "channel_label"}
	itemFields         = []string{"type", "start_time", "speaker_label", "channel_label"}
	labelItemFields    = []string{"speaker_label", "start_time"}
	transcriptFields   = []string{"transcript"}
	contentFields      = []string{"content"}
	channelFields      = []string{"channel_label", "items"}
)

// transcribeText writes the turns of an Amazon Transcribe result: from
// audio_segments when they hold any text, else from the channels of
// channel identification when the items do not say their channel, else
// from items and the speaker labels, else from the transcripts.
func (d *jsonDoc) transcribeText(f *jsonFields, w *turnWriter) {
	var v [4]string
	var names speakerNames
	for e := d.elements(f.audioSegments); e.scan() && !w.over; {
		d.stringFields(e.val, audioSegmentFields, v[:3])
		w.add(names.of(awsLabel(v[1], v[2])), v[0])
	}
	if w.b.size() > 0 || w.over {
		return
	}
	if f.channels >= 0 && f.speakerSegments < 0 && !d.itemsLabeled(f.items) {
		// Channel identification whose items have no channel labels:
		// who said what is only in channel_labels.
		if d.transcribeChannels(f.channels, w); written(w) {
			return
		}
	}
	var index speakerIndex
	indexed := false
	for e := d.elements(f.items); e.scan() && !w.over; {
		content, ok := d.itemContent(e.val)
		if !ok {
			continue
		}
		d.stringFields(e.val, itemFields, v[:4])
		typ, start, label, channel := v[0], v[1], v[2], v[3]
		if typ == "punctuation" {
			w.attach(content)
			continue
		}
		if label == "" && start != "" {
			// Older jobs label only speaker_labels.segments, whose items
			// carry the start time of each word.
			if !indexed {
				index, indexed = d.speakerIndex(f.speakerSegments), true
			}
			label = index.find(start)
		}
		w.add(names.of(awsLabel(label, channel)), content)
	}
	if w.b.size() > 0 || w.over {
		return
	}
	for e := d.elements(f.transcripts); e.scan() && !w.over; {
		d.stringFields(e.val, transcriptFields, v[:1])
		w.add("", v[0])
		w.newTurn = true
	}
}

// itemsLabeled reports whether an item at items has a speaker or a
// channel label.
func (d *jsonDoc) itemsLabeled(items int) bool {
	var v [4]string
	for e := d.elements(items); e.scan(); {
		if d.stringFields(e.val, itemFields, v[:]); v[2] != "" || v[3] != "" {
			return true
		}
	}
	return false
}

// transcribeChannels writes the items of each channel of
// channel_labels.channels, named by channel (ch_0: "Channel 1"), in runs
// of sentences: the runs of all channels go in the order of their first
// words' start times, so that the turns of a call alternate as its
// speakers did. (Transcribe orders its own transcript by utterance.)
func (d *jsonDoc) transcribeChannels(channels int, w *turnWriter) {
	var names speakerNames
	var f [2]int
	d.inTimeOrder(func(emit func(at float64, pos, ch int)) {
		for c := d.elements(channels); c.scan(); {
			d.fields(c.val, channelFields, f[:])
			label := -1 // where the channel's label is, for items without one
			if f[0] >= 0 && d.s[f[0]] == '"' {
				label = f[0]
			}
			d.channelRuns(d.array(f[1]), func(at float64, pos int) { emit(at, pos, label) })
		}
	}, func(pos, label int) {
		var v [4]string
		words := false
		for e := (arrayElements{d: d, next: pos}); e.scan() && !w.over; {
			content, ok := d.itemContent(e.val)
			if !ok {
				continue
			}
			d.stringFields(e.val, itemFields, v[:])
			if v[0] == "punctuation" {
				w.attach(content)
				if words && sentenceEnd(content) {
					return
				}
				continue
			}
			if v[3] == "" && label >= 0 {
				v[3] = d.text(label)
			}
			w.add(names.of(v[3]), content)
			words = words || hasVisible(content)
		}
	})
}

// channelRuns calls fn with the start time and the offset of the first
// item of each run of the items at items that holds a word: a run ends
// with the punctuation that ends a sentence.
func (d *jsonDoc) channelRuns(items int, fn func(at float64, pos int)) {
	var v [2]string
	pos, at, words := -1, 0.0, false
	for e := d.elements(items); e.scan(); {
		content, ok := d.itemContent(e.val)
		if !ok {
			continue
		}
		d.stringFields(e.val, itemFields[:2], v[:])
		if pos < 0 {
			pos = e.val
		}
		switch {
		case v[0] == "punctuation":
			if words && sentenceEnd(content) {
				fn(at, pos)
				pos, words = -1, false
			}
		case !words && hasVisible(content):
			if t, err := strconv.ParseFloat(strings.TrimSpace(v[1]), 64); err == nil {
				at = t
			}
			words = true
		}
	}
	if words {
		fn(at, pos)
	}
}

// itemContent returns the content of the first alternative of the item
// at i, and false when the item has no alternatives. Only the first
// alternative is read, however many follow.
func (d *jsonDoc) itemContent(i int) (string, bool) {
	alts := -1
	if d.s[i] == '{' {
		for m := d.members(i); m.scan(); {
			if d.is(m.key, "alternatives") {
				d.setArray(&alts, m.val)
			}
		}
	}
	e := d.elements(alts)
	if !e.scan() {
		return "", false
	}
	var v [1]string
	d.stringFields(e.val, contentFields, v[:])
	return v[0], true
}

// awsLabel returns the label that names the speaker of Transcribe text:
// the speaker label (spk_0: "Speaker 1"), else with channel
// identification the channel label (ch_0: "Channel 1").
func awsLabel(speaker, channel string) string {
	if speaker != "" {
		return speaker
	}
	return channel
}

// speakerIndex maps the start time of a word to its speaker label, from
// the items of speaker_labels.segments: a label of its own, else the
// label of its segment. It is sorted by start time, and where a start
// time is given more than once, the last one given counts. An entry
// takes 32 bytes (two strings that mostly point into the content) for
// the at least 19 bytes of its {"start_time":"x"}, so the index is
// never much bigger than the content.
type speakerIndex []startLabel

type startLabel struct{ start, label string }

// speakerIndex builds the index of the speaker_labels segments at segs.
func (d *jsonDoc) speakerIndex(segs int) speakerIndex {
	n := 0
	d.labeledStarts(segs, func(string, string) { n++ })
	index := make(speakerIndex, 0, n)
	d.labeledStarts(segs, func(start, label string) {
		index = append(index, startLabel{start, label})
	})
	slices.SortStableFunc(index, func(a, b startLabel) int { return strings.Compare(a.start, b.start) })
	return index
}

// labeledStarts calls fn with the start time and label of each item of
// the speaker_labels segments at segs, in the order given, except items
// without a start time, which no word looks up.
func (d *jsonDoc) labeledStarts(segs int, fn func(start, label string)) {
	var v [2]string
	for e := d.elements(segs); e.scan(); {
		if d.s[e.val] != '{' {
			continue
		}
		segLabel, items := "", -1
		for m := d.members(e.val); m.scan(); {
			switch {
			case d.is(m.key, "speaker_label"):
				d.setString(&segLabel, m.val)
			case d.is(m.key, "items"):
				d.setArray(&items, m.val)
			}
		}
		for it := d.elements(items); it.scan(); {
			d.stringFields(it.val, labelItemFields, v[:])
			label, start := v[0], v[1]
			if label == "" {
				label = segLabel
			}
			if start != "" {
				fn(start, label)
			}
		}
	}
}

// find returns the label of start time start, or "".
func (x speakerIndex) find(start string) string {
	i := sort.Search(len(x), func(i int) bool { return x[i].start > start })
	if i > 0 && x[i-1].start == start {
		return x[i-1].label
	}
	return ""
}
