package transcript

import (
	"slices"
	"testing"
)

// TestVendorLabelsNamedAlike checks the one naming of diarization labels:
// the first speaker and channel of every vendor's numbering get the name
// that speakerName gives Transcribe's spk_0 and ch_0.
func TestVendorLabelsNamedAlike(t *testing.T) {
	t.Parallel()
	speaker1, channel1 := speakerName("spk_0"), speakerName("ch_0")
	if speaker1 != "Speaker 1" || channel1 != "Channel 1" || speakerName("SPEAKER_00") != speaker1 {
		t.Fatalf("speakerName: %q, %q", speaker1, channel1)
	}
	var az [azFieldCount]int
	d := jsonDoc{s: `{"SpeakerId":"Guest-1"}`}
	d.fields(0, azPhraseFields, az[:])
	for _, tt := range []struct{ vendor, got, want string }{
		{"Deepgram speaker 0", numbered(speakerKind, "0", 0), speaker1},
		{"Deepgram channel 0", numbered(channelKind, "0", 0), channel1},
		{"Rev.ai speaker 0", revAIName("0", ""), speaker1},
		{"Rev.ai speaker_name", revAIName("0", " Jane  Doe "), "Jane Doe"},
		{"AssemblyAI A", assemblyAIName("A", ""), speaker1},
		{"AssemblyAI C", assemblyAIName("C", ""), "Speaker 3"},
		{"AssemblyAI channel 1", assemblyAIName("1", ""), channel1},
		{"AssemblyAI 1A", assemblyAIName("1A", ""), channel1 + " " + speaker1},
		{"AssemblyAI name", assemblyAIName("Ana Lima", ""), "Ana Lima"},
		{"Speechmatics S1", speechmaticsName("S1", ""), speaker1},
		{"Speechmatics channel_1", speechmaticsName("", "channel_1"), channel1},
		{"Speechmatics UU", speechmaticsName("UU", ""), "Unknown speaker"},
		{"Google speakerTag 1", googleName("1", ""), speaker1},
		{"Google channelTag 1", googleName("", "1"), channel1},
		{"Azure speaker 1", azureSpeakerName("1"), speaker1},
		{"Azure Guest-1", azureSpeakerName(d.azureSpeaker(&az)), speaker1},
		{"Azure Unknown", azureSpeakerName("Unknown"), "Unknown speaker"},
		{"Azure channel 0", numbered(channelKind, "0", 0), channel1},
		{"a whole number written as a float", numbered(speakerKind, "2.0", 1), "Speaker 2"},
		{"below the base", numbered(speakerKind, "0", 1), "Speaker 0"},
		{"not a number", numbered(speakerKind, "x  y", 1), "Speaker x y"},
		{"none", numbered(speakerKind, " ", 0), ""},
		{"Call Analytics AGENT", callAnalyticsRole("AGENT", ""), "Agent"},
		{"Call Analytics CUSTOMER", callAnalyticsRole("customer", ""), "Customer"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.vendor, tt.got, tt.want)
		}
	}
}

func TestISOSeconds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"PT0.07S", 0.07, true}, {"PT1M2.5S", 62.5, true}, {"PT1H", 3600, true}, {"pt2m", 120, true},
		{"", 0, false}, {"PT", 0, false}, {"P1D", 0, false}, {"PT1X", 0, false}, {"PTS", 0, false},
	} {
		got, ok := isoSeconds(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("isoSeconds(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBedrockLine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ line, label, rest string }{
		{"[spk_0]: Hello.", "spk_0", " Hello."},
		{"spk_1: Hi.", "spk_1", " Hi."},
		{"[ch_0] Yes.", "ch_0", "Yes."},
		{"Meeting at 10:30.", "", "Meeting at 10:30."},
		{"[Laughter] ok", "", "[Laughter] ok"},
		{"[spk_0", "", "[spk_0"},
	} {
		label, rest := bedrockLine(tt.line)
		if label != tt.label || rest != tt.rest {
			t.Errorf("bedrockLine(%q) = %q, %q; want %q, %q", tt.line, label, rest, tt.label, tt.rest)
		}
	}
}

// TestInTimeOrder checks that pieces are written by time, stably,
// listed twice whether or not they need the index.
func TestInTimeOrder(t *testing.T) {
	t.Parallel()
	d := jsonDoc{s: "x"}
	for _, tt := range []struct {
		name  string
		times []float64
		want  []int
	}{
		{"in order", []float64{1, 2, 2, 3}, []int{0, 1, 2, 3}},
		{"channels one after the other", []float64{1, 5, 9, 3, 7}, []int{0, 3, 1, 4, 2}},
		{"ties keep their order", []float64{2, 1, 2, 1}, []int{1, 3, 0, 2}},
		{"none", nil, nil},
	} {
		lists := 0
		var got []int
		d.inTimeOrder(func(emit func(at float64, pos, ch int)) {
			lists++
			for i, at := range tt.times {
				emit(at, i, -i)
			}
		}, func(pos, ch int) {
			if ch != -pos {
				t.Errorf("%s: piece %d of channel %d", tt.name, pos, ch)
			}
			got = append(got, pos)
		})
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: written %v, want %v", tt.name, got, tt.want)
		}
		if lists != 2 {
			t.Errorf("%s: listed %d times", tt.name, lists)
		}
	}
}
