package sentence

import "testing"

func TestSpeakerLabel(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]int{
		"Alice: hello":               len("Alice:"),
		"Dr. Who: hi":                len("Dr. Who:"),
		"[00:01] Bob: yes":           len("[00:01] Bob:"),
		"Speaker 1:":                 len("Speaker 1:"),
		"note: lower case":           0,
		"http://example.com":         0,
		"At 10:30 we met":            0,
		"One two three four five: x": 0,
	} {
		if got := SpeakerLabel(line); got != want {
			t.Errorf("SpeakerLabel(%q) = %d, want %d", line, got, want)
		}
	}
}

func TestRunes(t *testing.T) {
	t.Parallel()
	if !IsTerminator('。') || IsTerminator(',') || !IsCloser('”') || !IsOpener('«') || IsOpener('a') {
		t.Error("punctuation classes wrong")
	}
	if !IsAbbreviation("Mr") || !IsAbbreviation("e.g") || IsAbbreviation("etc") {
		t.Error("abbreviations wrong")
	}
}
