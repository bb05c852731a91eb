package transcript

// The struct decoding of JSON transcripts that decodeJSON replaced, kept
// as the reference that FuzzJSONLikeStructs holds it to: it filled a
// struct tree of every item and segment, which cost up to 88 bytes of Go
// structures per 3 bytes of input. The fuzz target compares outputs.

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// refDoc holds the fields of both JSON transcript formats, so one pass of
// the decoder serves either.
type refDoc struct {
	// Amazon Transcribe.
	Results *refResults `json:"results"`
	// Whisper and WhisperX.
	Text     *string              `json:"text"`
	Segments *[]refWhisperSegment `json:"segments"`
}

// refResults is the "results" object of an Amazon Transcribe batch job's
// output (docs.aws.amazon.com/transcribe/latest/dg/diarization-output-batch.html).
type refResults struct {
	Transcripts []struct {
		Transcript string `json:"transcript"`
	} `json:"transcripts"`
	SpeakerLabels *struct {
		Segments []refSpeakerSegment `json:"segments"`
	} `json:"speaker_labels"`
	Items         []refItem         `json:"items"`
	AudioSegments []refAudioSegment `json:"audio_segments"`
}

// refSpeakerSegment is one speaker turn of speaker_labels: the start and end
// times of the words it covers, without the words.
type refSpeakerSegment struct {
	SpeakerLabel string `json:"speaker_label"`
	StartTime    string `json:"start_time"`
	EndTime      string `json:"end_time"`
	Items        []struct {
		SpeakerLabel string `json:"speaker_label"`
		StartTime    string `json:"start_time"`
	} `json:"items"`
}

// refItem is a word ("pronunciation") or punctuation mark; punctuation has
// no times. speaker_label and channel_label are set by newer jobs with
// speaker or channel identification.
type refItem struct {
	Type         string `json:"type"`
	StartTime    string `json:"start_time"`
	SpeakerLabel string `json:"speaker_label"`
	ChannelLabel string `json:"channel_label"`
	Alternatives []struct {
		Content string `json:"content"`
	} `json:"alternatives"`
}

// refAudioSegment is one utterance with its text, as newer jobs write it.
type refAudioSegment struct {
	Transcript   string `json:"transcript"`
	SpeakerLabel string `json:"speaker_label"`
	ChannelLabel string `json:"channel_label"`
}

// refWhisperSegment is one segment of Whisper's JSON; WhisperX adds the
// speaker when it diarized.
type refWhisperSegment struct {
	Text    string `json:"text"`
	Speaker string `json:"speaker"`
}

// refDecodeJSON reads an Amazon Transcribe or Whisper JSON transcript. When
// the content is not JSON it fails with ErrBadFormat if strict, else with
// errNotJSON.
func refDecodeJSON(b []byte, strict bool) (string, Format, error) {
	var doc refDoc
	err := json.Unmarshal(b, &doc)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &typeErr):
		// The decoder filled what it could: a field of an unexpected type
		// is left empty (a speaker given as a number has no speaker).
	case strict:
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return "", "", fmt.Errorf("%w: invalid JSON at offset %d", ErrBadFormat, syn.Offset)
		}
		return "", "", fmt.Errorf("%w: invalid JSON", ErrBadFormat)
	default:
		return "", "", errNotJSON
	}
	var text string
	var f Format
	switch {
	case doc.Results != nil && (doc.Results.Transcripts != nil || doc.Results.Items != nil || doc.Results.AudioSegments != nil):
		text, f = refTranscribeText(doc.Results), FormatTranscribe
	case doc.Text != nil || doc.Segments != nil:
		text, f = refWhisperText(&doc), FormatWhisper
	default:
		return "", "", fmt.Errorf("%w: unrecognized JSON transcript (neither Amazon Transcribe nor Whisper)", ErrBadFormat)
	}
	if text == "" {
		return "", "", fmt.Errorf("%w: empty: %s JSON without words", ErrBadFormat, f)
	}
	return text, f, nil
}

// refTranscribeText makes turns of an Amazon Transcribe result: from
// audio_segments when there are any, else from items and the speaker
// labels, else from the transcripts.
func refTranscribeText(res *refResults) string {
	var w turnWriter
	for _, seg := range res.AudioSegments {
		w.add(refAWSSpeaker(seg.SpeakerLabel, seg.ChannelLabel), seg.Transcript)
	}
	if w.b.size() > 0 {
		return w.String()
	}
	w.b.grow(len(res.Items) * 8)
	// Older jobs label only speaker_labels.segments, whose items carry the
	// start time of each word.
	byStart := map[string]string{}
	if res.SpeakerLabels != nil {
		for _, seg := range res.SpeakerLabels.Segments {
			for _, it := range seg.Items {
				label := it.SpeakerLabel
				if label == "" {
					label = seg.SpeakerLabel
				}
				byStart[it.StartTime] = label
			}
		}
	}
	for _, it := range res.Items {
		if len(it.Alternatives) == 0 {
			continue
		}
		content := it.Alternatives[0].Content
		if it.Type == "punctuation" {
			w.attach(content)
			continue
		}
		label := it.SpeakerLabel
		if label == "" && it.StartTime != "" {
			label = byStart[it.StartTime]
		}
		w.add(refAWSSpeaker(label, it.ChannelLabel), content)
	}
	if w.b.size() > 0 {
		return w.String()
	}
	for _, t := range res.Transcripts {
		w.add("", t.Transcript)
		w.newTurn = true
	}
	return w.String()
}

// refWhisperText makes turns of Whisper segments when WhisperX put speakers
// on them, else returns the whole text, or the segments joined when there
// is none.
func refWhisperText(doc *refDoc) string {
	var segs []refWhisperSegment
	if doc.Segments != nil {
		segs = *doc.Segments
	}
	speakers := false
	for _, s := range segs {
		if strings.TrimSpace(s.Speaker) != "" {
			speakers = true
			break
		}
	}
	var w turnWriter
	if !speakers && doc.Text != nil && hasVisible(*doc.Text) {
		w.add("", *doc.Text)
		return w.String()
	}
	for _, s := range segs {
		speaker := ""
		if s.Speaker != "" {
			speaker = speakerName(s.Speaker)
		}
		w.add(speaker, s.Text)
	}
	return w.String()
}

func refAWSSpeaker(speaker, channel string) string {
	if speaker != "" {
		return speakerName(speaker)
	}
	if channel != "" {
		return speakerName(channel)
	}
	return ""
}
