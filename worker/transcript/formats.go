package transcript

// The text exports Decode recognizes by their content, whatever the
// key's extension (see detect).
const (
	// FormatTSV is the tab-separated output of Whisper, faster-whisper
	// and WhisperX (--output_format tsv): a header "start\tend\ttext",
	// then a row per segment with its times in integer milliseconds.
	FormatTSV Format = "tsv"
	// FormatOtter is an Otter.ai text export: a turn header with the
	// speaker's name and the time ("Jane Doe  0:42"), the turn's text on
	// the lines below, a blank line between turns.
	FormatOtter Format = "otter"
	// FormatWhisperCpp is whisper.cpp's console output saved as text:
	// "[00:00:01.000 --> 00:00:04.000]  text", a line per segment.
	FormatWhisperCpp Format = "whispercpp"
)
