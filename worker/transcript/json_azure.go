package transcript

import (
	"strconv"
	"strings"
)

// FormatAzure is the JSON of Azure AI Speech: a batch transcription's
// result file (learn.microsoft.com/azure/ai-services/speech-service/batch-transcription-get:
// recognizedPhrases[] with nBest[0].display, combinedRecognizedPhrases[]),
// a fast transcription's response (fast-transcription-create: phrases[]
// with text, combinedPhrases[]), or real-time results as the Speech SDK
// and the REST API for short audio give them (DisplayText, NBest[]),
// one object or a list of them.
const FormatAzure Format = "azure"

// Member names of the Azure objects read, as in the JSON. A phrase of
// any of the three APIs is read alike: its text is the first of
// DisplayText, nBest[0].display, display and text that it has.
var (
	azPhraseFields = []string{"DisplayText", "nBest", "display", "text", "speaker", "SpeakerId",
		"channel", "offsetInTicks", "offsetMilliseconds", "offset"}
	azDisplayFields = []string{"display"}
)

// Offsets of azPhraseFields.
const (
	azDisplayText = iota
	azNBest
	azDisplay
	azText
	azSpeaker
	azSpeakerID
	azChannel
	azOffsetInTicks
	azOffsetMilliseconds
	azOffset
	azFieldCount
)

// azureText writes the phrases at phrases (or the one real-time result
// at result), in the order of their offsets: a batch transcription of
// stereo audio lists each channel's phrases apart. Speakers (diarization)
// count from 1, channels from 0; channels are named when the phrases
// come from more than one. Without phrases, the combined phrases of each
// channel are the text.
func (d *jsonDoc) azureText(phrases, combined, result int, w *turnWriter) {
	var f [azFieldCount]int
	var names labelNames
	multi := false
	name := func(speaker, channel string) string {
		if !multi {
			return azureSpeakerName(speaker)
		}
		return channelSpeaker(numbered(channelKind, channel, 0), azureSpeakerName(speaker))
	}
	if result >= 0 {
		d.fields(result, azPhraseFields, f[:])
		w.add(names.of(d.azureSpeaker(&f), "", name), d.azureDisplay(&f))
		return
	}
	multi = d.azureChannels(phrases)
	d.inTimeOrder(func(emit func(at float64, pos, ch int)) {
		for e := d.elements(phrases); e.scan(); {
			d.fields(e.val, azPhraseFields, f[:])
			if hasVisible(d.azureDisplay(&f)) {
				emit(d.azureOffset(&f), e.val, 0)
			}
		}
	}, func(pos, _ int) {
		var pf [azFieldCount]int
		d.fields(pos, azPhraseFields, pf[:])
		w.add(names.of(d.azureSpeaker(&pf), d.label(pf[azChannel]), name), d.azureDisplay(&pf))
	})
	if written(w) {
		return
	}
	multi = d.azureChannels(combined)
	for e := d.elements(combined); e.scan() && !w.over; {
		d.fields(e.val, azPhraseFields, f[:])
		w.add(names.of("", d.label(f[azChannel]), name), d.azureDisplay(&f))
	}
}

// azureChannels reports whether the phrases at i with text come from
// more than one channel.
func (d *jsonDoc) azureChannels(i int) bool {
	var f [azFieldCount]int
	first := ""
	for e := d.elements(i); e.scan(); {
		d.fields(e.val, azPhraseFields, f[:])
		ch := d.label(f[azChannel])
		if ch == "" || !hasVisible(d.azureDisplay(&f)) {
			continue
		}
		if first == "" {
			first = ch
		} else if ch != first {
			return true
		}
	}
	return false
}

// azureDisplay returns the text of the phrase whose fields are f: its
// display form, with punctuation and capitals.
func (d *jsonDoc) azureDisplay(f *[azFieldCount]int) string {
	if t := d.text(f[azDisplayText]); hasVisible(t) {
		return t
	}
	var nf [1]int
	if d.fields(d.first(f[azNBest]), azDisplayFields, nf[:]); hasVisible(d.text(nf[0])) {
		return d.text(nf[0])
	}
	if t := d.text(f[azDisplay]); hasVisible(t) {
		return t
	}
	return d.text(f[azText])
}

// azureSpeaker returns the speaker label of the phrase whose fields are
// f: batch and fast transcription's speaker, or conversation
// transcription's SpeakerId.
func (d *jsonDoc) azureSpeaker(f *[azFieldCount]int) string {
	if s := d.label(f[azSpeaker]); s != "" {
		return s
	}
	return d.text(f[azSpeakerID])
}

// azureSpeakerName names an Azure speaker: batch and fast transcription
// number them from 1, conversation transcription names them Guest-1 or
// Unknown.
func azureSpeakerName(label string) string {
	label = strings.TrimSpace(label)
	if _, ok := wholeNumber(label); ok {
		return numbered(speakerKind, label, 1)
	}
	if s := prefixed(speakerKind, label, "Guest-", 1); s != "" {
		return s
	}
	if strings.EqualFold(label, "Unknown") {
		return "Unknown speaker"
	}
	return collapse(label)
}

// azureOffset returns where the phrase whose fields are f starts, in
// seconds: offsetInTicks (100 ns), offsetMilliseconds, or offset, as
// ticks (real-time results) or an ISO 8601 duration (batch).
func (d *jsonDoc) azureOffset(f *[azFieldCount]int) float64 {
	if t, ok := d.number(f[azOffsetInTicks]); ok {
		return t / 1e7
	}
	if ms, ok := d.number(f[azOffsetMilliseconds]); ok {
		return ms / 1e3
	}
	if t, ok := d.number(f[azOffset]); ok {
		return t / 1e7
	}
	s, _ := isoSeconds(d.text(f[azOffset]))
	return s
}

// isoSeconds reads an ISO 8601 duration of hours, minutes and seconds
// ("PT1M2.5S") in seconds.
func isoSeconds(s string) (float64, bool) {
	rest, ok := strings.CutPrefix(strings.ToUpper(strings.TrimSpace(s)), "PT")
	if !ok || rest == "" {
		return 0, false
	}
	total := 0.0
	for rest != "" {
		i := strings.IndexAny(rest, "HMS")
		if i <= 0 {
			return 0, false
		}
		v, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, false
		}
		switch rest[i] {
		case 'H':
			total += v * 3600
		case 'M':
			total += v * 60
		case 'S':
			total += v
		}
		rest = rest[i+1:]
	}
	return total, true
}

// azureResult reports whether the value at i is an Azure real-time
// result: an object with DisplayText, NBest or RecognitionStatus.
func (d *jsonDoc) azureResult(i int) bool {
	var f [3]int
	d.fields(i, []string{"DisplayText", "NBest", "RecognitionStatus"}, f[:])
	return f[0] >= 0 || f[1] >= 0 || f[2] >= 0
}
