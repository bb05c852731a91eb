package transcript

import "testing"

func TestIsTiming(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		want bool
	}{
		{"00:00:01,000 --> 00:00:04,000", true},
		{"00:01.000 --> 00:05.000 align:start position:10%", true},
		{"00:00:01.000 --> 00:00:04.000\tline:0", true},
		{"1:02:03,5 --> 1:02:04,5", true},
		{"100:00:00,000 --> 100:00:01,000 X1:40 X2:600", true},
		{"00:01 --> 00:02", true},
		{"00:00:01,000-->00:00:04,000", true},
		{"00:00:01,000 -> 00:00:04,000", false},
		{"00:00:01,000 --> soon", false},
		{"later --> 00:00:04,000", false},
		{"1 --> 2", false},
		{"00:000:01 --> 00:00:02", false},
		{"00:00:01, --> 00:00:02", false},
		{"00:00:01,000 --> 00:00:04,0a0", false},
		{"a --> b --> c", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			if got := isTiming(tt.line); got != tt.want {
				t.Errorf("isTiming(%q) = %v, want %v", tt.line, got, tt.want)
			}
		})
	}
}

func TestSplitSpeaker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line, speaker, rest string
	}{
		{"Alice: hello", "Alice", "hello"},
		{"Alice:", "Alice", ""},
		{"[Alice] hello", "Alice", "hello"},
		{"[Alice]: hello", "Alice", "hello"},
		{"- Alice: hello", "Alice", "hello"},
		{"– Bob: hi", "Bob", "hi"},
		{"Dr. Mei  Lin: hi", "Dr. Mei Lin", "hi"},
		{"SPEAKER_00: hi", "Speaker 1", "hi"},
		{"Speaker 1: hi", "Speaker 1", "hi"},
		{"张伟: 你好", "张伟", "你好"},
		{"O'Brien: yes", "O'Brien", "yes"},
		{"note: lower case", "", "note: lower case"},
		{"10:30 meeting", "", "10:30 meeting"},
		{"https://example.com", "", "https://example.com"},
		{"Ratio 3:1 is fine", "", "Ratio 3:1 is fine"},
		{"One two three four five: too many words", "", "One two three four five: too many words"},
		{"[Laughter] ok", "", "[Laughter] ok"},
		{"[MUSIC PLAYING]", "", "[MUSIC PLAYING]"},
		{"[laughs]", "", "[laughs]"},
		{"[unclosed hello", "", "[unclosed hello"},
		{"- just a dash line", "", "- just a dash line"},
		{"Why? Because: reasons", "", "Why? Because: reasons"},
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			speaker, rest := splitSpeaker(tt.line)
			if speaker != tt.speaker || rest != tt.rest {
				t.Errorf("splitSpeaker(%q) = %q, %q; want %q, %q", tt.line, speaker, rest, tt.speaker, tt.rest)
			}
		})
	}
}

func TestSpeakerName(t *testing.T) {
	t.Parallel()
	tests := []struct{ label, want string }{
		{"spk_0", "Speaker 1"},
		{"spk_9", "Speaker 10"},
		{"SPEAKER_00", "Speaker 1"},
		{"SPEAKER_12", "Speaker 13"},
		{"ch_1", "Channel 2"},
		{"spk_x", "spk_x"},
		{"spk_-1", "spk_-1"},
		{"spk_99999999999999999999", "spk_99999999999999999999"},
		{"Alice", "Alice"},
		{" Alice  Smith ", "Alice Smith"},
		{"team_lead", "team_lead"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			t.Parallel()
			if got := speakerName(tt.label); got != tt.want {
				t.Errorf("speakerName(%q) = %q, want %q", tt.label, got, tt.want)
			}
		})
	}
}

func TestEntity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		r    rune
		size int
	}{
		{"&amp; x", '&', 5},
		{"&lt;", '<', 4},
		{"&nbsp;", ' ', 6},
		{"&lrm;", -1, 5},
		{"&#233;", 'é', 6},
		{"&#x4E2D;", '中', 8},
		{"&#X1F600;", '😀', 9},
		{"&#0;", 0, 0},
		{"&#xD800;", 0, 0},
		{"&#x110000;", 0, 0},
		{"&unknown;", 0, 0},
		{"&amp", 0, 0},
		{"&;", 0, 0},
		{"& amp;", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			r, n := entity(tt.in)
			if n != tt.size || (n > 0 && r != tt.r) {
				t.Errorf("entity(%q) = %q, %d; want %q, %d", tt.in, r, n, tt.r, tt.size)
			}
		})
	}
}

func TestNormalizeNewlines(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"a\r\nb", "a\nb"},
		{"a\rb", "a\nb"},
		{"a\r\r\nb\r", "a\n\nb\n"},
		{"\r", "\n"},
		{"no CR\n", "no CR\n"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			for _, owned := range []bool{false, true} {
				in := []byte(tt.in)
				if got := string(normalizeNewlines(in, owned)); got != tt.want {
					t.Errorf("normalizeNewlines(%q, %v) = %q, want %q", tt.in, owned, got, tt.want)
				}
				if !owned && string(in) != tt.in {
					t.Errorf("input not owned was modified: %q", in)
				}
			}
		})
	}
}

func TestWriteCollapsed(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"  a  b\t\nc  ", "a b c"},
		{"a\u00a0\u3000b", "a b"},
		{"a\x00\x01b", "a b"},
		{"   ", ""},
		{"é 中", "é 中"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := collapse(tt.in); got != tt.want {
				t.Errorf("collapse(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
