package transcript

import "testing"

func TestMachinePrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line, name, rest string
		ok               bool
	}{
		{"[SPEAKER_00]: hi", "Speaker 1", "hi", true},
		{"[SPEAKER_07] hi", "Speaker 8", "hi", true},
		{"SPEAKER_01: hi", "Speaker 2", "hi", true},
		{"SPEAKER_01:", "Speaker 2", "", true},
		{"[spk_2]: hi", "Speaker 3", "hi", true},
		{"spk_0: hi", "Speaker 1", "hi", true},
		{"speaker_4: hi", "Speaker 5", "hi", true},
		{"ch_1: hi", "Channel 2", "hi", true},
		{"(speaker 0) hi", "Speaker 1", "hi", true},
		{"(speaker 1)hi", "Speaker 2", "hi", true},
		{"(Speaker 1) hi", "", "(Speaker 1) hi", false},
		{"(speaker ?) hi", "Speaker ?", "hi", true},
		{"(speaker x) hi", "", "(speaker x) hi", false},
		{"(speaker 0 hi", "", "(speaker 0 hi", false},
		{"SPEAKER_00:hi", "", "SPEAKER_00:hi", false},
		{"Alice: hi", "", "Alice: hi", false},
		{"[Alice] hi", "", "[Alice] hi", false},
		{"[SPEAKER_TURN] hi", "", "[SPEAKER_TURN] hi", false},
		{"[SPEAKER_00 hi", "", "[SPEAKER_00 hi", false},
		{"spk: hi", "", "spk: hi", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			name, rest, ok := machinePrefix(tt.line)
			if ok != tt.ok || (ok && (name != tt.name || rest != tt.rest)) {
				t.Errorf("machinePrefix(%q) = %q, %q, %v; want %q, %q, %v", tt.line, name, rest, ok, tt.name, tt.rest, tt.ok)
			}
		})
	}
}

// TestSpeakerNameEverywhere checks that a diarization label gets one
// name wherever it is read: in JSON, in a voice tag, in a label of cue
// text, in plain text.
func TestSpeakerNameEverywhere(t *testing.T) {
	t.Parallel()
	tests := []struct{ label, want string }{
		{"SPEAKER_00", "Speaker 1"},
		{"Speaker0", "Speaker 1"},
		{"speaker_9", "Speaker 10"},
		{"spk_1", "Speaker 2"},
		{"Speaker 1", "Speaker 1"},
		{"Speaker", "Speaker"},
		{"Speakers2", "Speakers2"},
		{"SPEAKER_1234567", "SPEAKER_1234567"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			t.Parallel()
			if got := speakerName(tt.label); got != tt.want {
				t.Errorf("speakerName(%q) = %q, want %q", tt.label, got, tt.want)
			}
			if kind, name := classifyTag("v " + tt.label); kind != tagVoice || name != tt.want {
				t.Errorf("voice tag <v %s> = %q, want %q", tt.label, name, tt.want)
			}
			if name, _ := splitSpeaker("[" + tt.label + "]: x"); name != tt.want {
				t.Errorf("splitSpeaker([%s]: x) = %q, want %q", tt.label, name, tt.want)
			}
		})
	}
}

func TestCaptionStyle(t *testing.T) {
	t.Parallel()
	cue := func(n int, ms int, text string) string {
		return "00:00:" + twoDigits(n) + ".000 --> 00:00:" + twoDigits(n) + "." + threeDigits(ms) + "\n" + text + "\n\n"
	}
	tests := []struct {
		name, vtt string
		want      int
	}{
		{"ordinary", cue(1, 900, "one two") + cue(2, 900, "three") + cue(3, 900, "four five"), styleOrdinary},
		{"ordinary with a repeated word", cue(1, 900, "no") + cue(2, 900, "no that's wrong"), styleOrdinary},
		{"ordinary with repeated lines", cue(1, 900, "no") + cue(2, 900, "no") + cue(3, 900, "no\nyes") + cue(4, 900, "yes"), styleOrdinary},
		{"youtube", cue(1, 900, " \na<00:00:01.500><c> b</c>") + cue(1, 910, "a b\n ") + cue(2, 900, "a b\nc<00:00:02.500><c> d</c>"), styleRolling},
		{"youtube without timestamps, 10 ms cues", cue(1, 900, "a b") + cue(1, 10, "a b") + cue(2, 900, "a b\nc d") + cue(2, 10, "c d"), styleRolling},
		{"highlight", cue(1, 900, "<u>a</u> b") + cue(2, 900, "a <u>b</u>") + cue(3, 900, "<u>c</u> d") + cue(4, 900, "c <u>d</u>"), styleHighlight},
		{"italics do not highlight", cue(1, 900, "<i>a</i> b") + cue(2, 900, "c d"), styleOrdinary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := captionStyle("WEBVTT\n\n"+tt.vtt, true); got != tt.want {
				t.Errorf("captionStyle = %d, want %d", got, tt.want)
			}
		})
	}
}

func twoDigits(n int) string {
	return string([]byte{byte('0' + n/10%10), byte('0' + n%10)})
}

func threeDigits(n int) string {
	return string([]byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}

func TestTimingSpan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		want int64
	}{
		{"00:00:02.510 --> 00:00:02.520 align:start position:0%", 10},
		{"00:00:01,000 --> 00:00:04,000", 3000},
		{"00:59.5 --> 01:00.25", 750},
		{"1:00:00.000 --> 0:00:00.000", -1},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			if got := timingSpan(tt.line); got != tt.want {
				t.Errorf("timingSpan(%q) = %d, want %d", tt.line, got, tt.want)
			}
		})
	}
}
