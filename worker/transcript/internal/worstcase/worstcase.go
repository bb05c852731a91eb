// Package worstcase builds valid transcripts of the shapes that cost a
// decoder the most memory per input byte: millions of empty Transcribe
// items, one item with a huge alternatives array, Whisper segments that
// are empty, each vendor's JSON of empty elements or of one-letter
// pieces of text out of time order, subtitles of a million one-letter
// cues, and the like. The
// benchmarks, the tests and the memprobe command of package transcript
// decode them.
//
// It never decodes anything itself, and builds each input in one
// allocation of the size asked for, so that what a decoder allocates
// stands out.
package worstcase

import (
	"fmt"
	"strconv"
)

// Case is one generated object: its key and its bytes.
type Case struct {
	Name string
	Key  string
	Data []byte
}

// A shape builds an input of at most size bytes.
type shape struct {
	name, key string
	build     func(size int) []byte
}

var shapes = []shape{
	// The upload that was measured: items of nothing but {}.
	{"transcribe-empty-items", "a.json", func(size int) []byte {
		return repeat(size, `{"results":{"items":[`, ",", `]}}`, func(b []byte, _ int) []byte {
			return append(b, "{}"...)
		})
	}},
	// The smallest items that are words.
	{"transcribe-words", "a.json", func(size int) []byte {
		return repeat(size, `{"results":{"items":[`, ",", `]}}`, func(b []byte, _ int) []byte {
			return append(b, `{"alternatives":[{"content":"a"}]}`...)
		})
	}},
	// One item whose alternatives are millions of {}.
	{"transcribe-alternatives", "a.json", func(size int) []byte {
		return repeat(size, `{"results":{"items":[{"type":"pronunciation","alternatives":[`, ",", `]}]}}`, func(b []byte, i int) []byte {
			if i == 0 {
				return append(b, `{"content":"a"}`...)
			}
			return append(b, "{}"...)
		})
	}},
	{"transcribe-empty-audio-segments", "a.json", func(size int) []byte {
		return repeat(size, `{"results":{"audio_segments":[`, ",", `]}}`, func(b []byte, _ int) []byte {
			return append(b, "{}"...)
		})
	}},
	// Older output: the speaker of each word is found by its start time
	// in speaker_labels, which is half the object.
	{"transcribe-speaker-index", "a.json", func(size int) []byte {
		b := make([]byte, 0, size)
		b = append(b, `{"results":{"speaker_labels":{"segments":[{"speaker_label":"spk_0","items":[`...)
		b = repeatOnto(b, size/2, ",", `]}]},"items":[`, func(b []byte, i int) []byte {
			b = append(b, `{"start_time":"`...)
			b = strconv.AppendInt(b, int64(i), 36)
			return append(b, `"}`...)
		})
		return repeatOnto(b, size, ",", `]}}`, func(b []byte, i int) []byte {
			b = append(b, `{"start_time":"`...)
			b = strconv.AppendInt(b, int64(i), 36)
			return append(b, `","alternatives":[{"content":"a"}]}`...)
		})
	}},
	// Two speakers with long names in speaker_labels, and words that
	// switch between them: each word would repeat a name.
	{"transcribe-label-amplify", "a.json", func(size int) []byte {
		name := make([]byte, 4<<10)
		for i := range name {
			name[i] = 'A' + byte(i%26)
		}
		head := fmt.Sprintf(`{"results":{"speaker_labels":{"segments":[{"speaker_label":"%s0","items":[{"start_time":"0"}]},{"speaker_label":"%s1","items":[{"start_time":"1"}]}]},"items":[`, name, name)
		return repeat(size, head, ",", `]}}`, func(b []byte, i int) []byte {
			b = append(b, `{"start_time":"`...)
			b = strconv.AppendInt(b, int64(i%2), 10)
			return append(b, `","alternatives":[{"content":"a"}]}`...)
		})
	}},
	{"whisper-empty-segments", "a.json", func(size int) []byte {
		return repeat(size, `{"segments":[`, ",", `]}`, func(b []byte, _ int) []byte {
			return append(b, "{}"...)
		})
	}},
	// The vendors' JSON: elements that hold nothing, and the smallest
	// elements that hold text, where the speaker or channel switches with
	// each and the pieces of text come out of time order, so that they
	// are sorted through an index.
	{"deepgram-empty-words", "a.json", func(size int) []byte {
		return repeat(size, `{"results":{"channels":[{"alternatives":[{"transcript":"","words":[`, ",", `]}]}]}}`, func(b []byte, _ int) []byte {
			return append(b, "{}"...)
		})
	}},
	// Two channels of one-letter paragraphs, each channel's listed after
	// the other's and interleaved in time.
	{"deepgram-channel-paragraphs", "a.json", func(size int) []byte {
		b := make([]byte, 0, size)
		b = append(b, `{"results":{"channels":[{"alternatives":[{"paragraphs":{"paragraphs":[`...)
		paragraph := func(b []byte, i, ch int) []byte {
			b = append(b, `{"start":`...)
			b = strconv.AppendInt(b, int64(2*i+ch), 10)
			return append(b, `,"sentences":[{"text":"a"}]}`...)
		}
		b = repeatOnto(b, size/2, ",", `]}}]},{"alternatives":[{"paragraphs":{"paragraphs":[`, func(b []byte, i int) []byte {
			return paragraph(b, i, 0)
		})
		return repeatOnto(b, size, ",", `]}}]}]}}`, func(b []byte, i int) []byte {
			return paragraph(b, i, 1)
		})
	}},
	{"assemblyai-word-speakers", "a.json", func(size int) []byte {
		return repeat(size, `{"text":"","utterances":null,"words":[`, ",", `]}`, func(b []byte, i int) []byte {
			b = append(b, `{"text":"a","speaker":"`...)
			return append(b, 'A'+byte(i%2), '"', '}')
		})
	}},
	// Phrases listed from the last to the first.
	{"azure-phrases-reversed", "a.json", func(size int) []byte {
		return repeat(size, `{"phrases":[`, ",", `]}`, func(b []byte, i int) []byte {
			b = append(b, `{"offsetMilliseconds":`...)
			b = strconv.AppendInt(b, int64(size-i), 10)
			return append(b, `,"text":"a"}`...)
		})
	}},
	{"azure-realtime-list", "a.json", func(size int) []byte {
		return repeat(size, `[`, ",", `]`, func(b []byte, i int) []byte {
			b = append(b, `{"Offset":`...)
			b = strconv.AppendInt(b, int64(size-i), 10)
			b = append(b, `,"DisplayText":"a","SpeakerId":"Guest-`...)
			return append(b, '1'+byte(i%2), '"', '}')
		})
	}},
	// Results of two channels, listed from the last to the first.
	{"google-channel-results", "a.json", func(size int) []byte {
		return repeat(size, `{"results":[`, ",", `]}`, func(b []byte, i int) []byte {
			b = append(b, `{"alternatives":[{"transcript":"a"}],"channelTag":`...)
			b = append(b, '1'+byte(i%2))
			b = append(b, `,"resultEndTime":"`...)
			b = strconv.AppendInt(b, int64(size-i), 10)
			return append(b, `s"}`...)
		})
	}},
	{"speechmatics-word-speakers", "a.json", func(size int) []byte {
		return repeat(size, `{"format":"2.9","results":[`, ",", `]}`, func(b []byte, i int) []byte {
			b = append(b, `{"type":"word","alternatives":[{"content":"a","speaker":"S`...)
			return append(b, '1'+byte(i%2), '"', '}', ']', '}')
		})
	}},
	{"revai-empty-elements", "a.json", func(size int) []byte {
		return repeat(size, `{"monologues":[{"speaker":0,"elements":[`, ",", `]}]}`, func(b []byte, _ int) []byte {
			return append(b, "{}"...)
		})
	}},
	// Transcribe's channel identification without labels on the items:
	// two channels of one-word sentences, interleaved in time.
	{"transcribe-channel-runs", "a.json", func(size int) []byte {
		b := make([]byte, 0, size)
		b = append(b, `{"results":{"transcripts":[],"channel_labels":{"channels":[{"channel_label":"ch_0","items":[`...)
		run := func(b []byte, i, ch int) []byte {
			b = append(b, `{"start_time":"`...)
			b = strconv.AppendInt(b, int64(2*i+ch), 10)
			return append(b, `","alternatives":[{"content":"a"}]},{"type":"punctuation","alternatives":[{"content":"."}]}`...)
		}
		b = repeatOnto(b, size/2, ",", `]},{"channel_label":"ch_1","items":[`, func(b []byte, i int) []byte {
			return run(b, i, 0)
		})
		return repeatOnto(b, size, ",", `]}]}}}`, func(b []byte, i int) []byte {
			return run(b, i, 1)
		})
	}},
	{"callanalytics-turns", "a.json", func(size int) []byte {
		return repeat(size, `{"JobStatus":"COMPLETED","Transcript":[`, ",", `]}`, func(b []byte, i int) []byte {
			if i%2 == 0 {
				return append(b, `{"Content":"a","ParticipantRole":"AGENT"}`...)
			}
			return append(b, `{"Content":"a","ParticipantRole":"CUSTOMER"}`...)
		})
	}},
	{"bedrock-empty-segments", "a.json", func(size int) []byte {
		return repeat(size, `{"audio_segments":[`, ",", `]}`, func(b []byte, _ int) []byte {
			return append(b, "{}"...)
		})
	}},
	// A million and more cues of one letter, speakers switching.
	{"srt-tiny-cues", "a.srt", func(size int) []byte {
		return repeat(size, "", "", "", func(b []byte, i int) []byte {
			if i%2 == 0 {
				return append(b, "0:00-->0:01\nA: x\n\n"...)
			}
			return append(b, "0:00-->0:01\nB: y\n\n"...)
		})
	}},
	{"vtt-tiny-cues", "a.vtt", func(size int) []byte {
		return repeat(size, "WEBVTT\n\n", "", "", func(b []byte, i int) []byte {
			if i%2 == 0 {
				return append(b, "0:00-->0:01\n<v A>x\n\n"...)
			}
			return append(b, "0:00-->0:01\n<v B>y\n\n"...)
		})
	}},
}

// Names lists the shapes Build knows, in a stable order.
func Names() []string {
	names := make([]string, len(shapes))
	for i, s := range shapes {
		names[i] = s.name
	}
	return names
}

// Build returns the input of shape name, at most size bytes long (and
// close to it).
func Build(name string, size int) (Case, error) {
	for _, s := range shapes {
		if s.name == name {
			return Case{Name: name, Key: s.key, Data: s.build(size)}, nil
		}
	}
	return Case{}, fmt.Errorf("worstcase: unknown shape %q", name)
}

// repeat returns head, then units appended by unit and separated by sep,
// then tail: at most size bytes, in one allocation.
func repeat(size int, head, sep, tail string, unit func(b []byte, i int) []byte) []byte {
	b := make([]byte, 0, max(size, len(head)+len(tail)))
	return repeatOnto(append(b, head...), size, sep, tail, unit)
}

// repeatOnto is repeat onto b, which holds the head already: b grows to
// at most size bytes.
func repeatOnto(b []byte, size int, sep, tail string, unit func(b []byte, i int) []byte) []byte {
	var scratch []byte
	for i := 0; ; i++ {
		scratch = unit(scratch[:0], i)
		n := len(scratch)
		if i > 0 {
			n += len(sep)
		}
		if len(b)+n+len(tail) > size {
			break
		}
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, scratch...)
	}
	return append(b, tail...)
}
