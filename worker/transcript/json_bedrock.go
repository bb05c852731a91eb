package transcript

import "strings"

// FormatBedrock is the audio standard output of Amazon Bedrock Data
// Automation (docs.aws.amazon.com/bedrock/latest/userguide/audio-processing.html):
// audio_segments[] of text with, when labeling is enabled, a speaker
// (spk_0) and a channel (ch_0), and the whole transcript in
// audio.transcript.representation.text.
const FormatBedrock Format = "bedrock-data-automation"

// Member names of the Bedrock Data Automation objects read, as in the
// JSON. A speaker or channel is either a label or an object holding one.
var bdaSegmentFields = []string{"text", "transcript", "speaker", "speaker_label", "channel", "channel_label"}

// bedrockText writes a turn for each audio segment, named as Transcribe
// names its labels (spk_0: "Speaker 1", ch_0: "Channel 1"), else the
// lines of the transcript's representation, where a line may start with
// its speaker's label ("[spk_0]: ").
func (d *jsonDoc) bedrockText(segments, text int, w *turnWriter) {
	var names speakerNames
	var f [6]int
	for e := d.elements(segments); e.scan() && !w.over; {
		d.fields(e.val, bdaSegmentFields, f[:])
		t := d.text(f[0])
		if !hasVisible(t) {
			t = d.text(f[1])
		}
		speaker, channel := d.label(f[3]), d.label(f[5])
		if speaker == "" {
			speaker = d.bedrockLabel(f[2], "speaker_label")
		}
		if channel == "" {
			channel = d.bedrockLabel(f[4], "channel_label")
		}
		w.add(names.of(awsLabel(speaker, channel)), t)
	}
	if written(w) {
		return
	}
	for line := range strings.Lines(d.text(text)) {
		if w.over {
			return
		}
		label, rest := bedrockLine(line)
		w.add(names.of(label), rest)
	}
}

// bedrockLabel reads a label that is given as it is or in an object's
// member name.
func (d *jsonDoc) bedrockLabel(i int, name string) string {
	if i >= 0 && d.s[i] == '{' {
		return d.label(d.path(i, name))
	}
	return d.label(i)
}

// bedrockLine splits the speaker label ("[spk_0]: ", "spk_1: ") off a line
// of a transcript's representation; a label is one that speakerName
// names (spk_0, ch_1). It returns "" and the line when there is none.
func bedrockLine(line string) (label, rest string) {
	body := strings.TrimSpace(line)
	var after string
	if strings.HasPrefix(body, "[") {
		end := strings.IndexByte(body, ']')
		if end < 0 {
			return "", line
		}
		label, after = body[1:end], strings.TrimPrefix(strings.TrimSpace(body[end+1:]), ":")
	} else {
		colon := strings.IndexByte(body, ':')
		if colon < 0 {
			return "", line
		}
		label, after = body[:colon], body[colon+1:]
	}
	if label == "" || speakerName(label) == collapse(label) {
		return "", line
	}
	return label, after
}
