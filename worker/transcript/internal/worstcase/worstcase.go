// Package worstcase builds valid transcripts of the shapes that cost a
// decoder the most memory per input byte: millions of empty Transcribe
// items, one item with a huge alternatives array, Whisper segments that
// are empty, subtitles of a million one-letter cues, and the like. The
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
