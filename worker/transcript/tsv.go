package transcript

import "strings"

// looksTSV reports whether s is Whisper's TSV: its first non-blank line
// is the header (tsvHeader) and the line after it, if any, a row.
func looksTSV(s string) bool {
	r := lineReader{s: s}
	cols := 0
	for {
		line, ok := r.next()
		if !ok {
			return cols > 0
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if cols == 0 {
			if cols = tsvHeader(line); cols == 0 {
				return false
			}
			continue
		}
		_, _, ok = tsvRow(line, cols)
		return ok
	}
}

// tsvHeader returns the number of columns of a TSV header line: 3 for
// Whisper's "start", "end" and "text", 4 when a "speaker" column comes
// before the text; 0 when line is no such header.
func tsvHeader(line string) int {
	line = strings.TrimSpace(line)
	switch strings.ToLower(line) {
	case "start\tend\ttext":
		return 3
	case "start\tend\tspeaker\ttext":
		return 4
	}
	return 0
}

// tsvRow splits a row of a TSV of cols columns into its speaker ("" when
// there is no speaker column) and text, and reports whether it is one:
// start and end are numbers (integer milliseconds, or seconds with a
// fraction). The text is the rest of the line, tabs and all.
func tsvRow(line string, cols int) (speaker, text string, ok bool) {
	for i := range cols - 1 {
		field, rest, found := strings.Cut(line, "\t")
		if !found {
			return "", "", false
		}
		switch i {
		case 0, 1:
			if !isNumber(strings.TrimSpace(field)) {
				return "", "", false
			}
		case 2:
			speaker = field
		}
		line = rest
	}
	return speaker, line, true
}

// isNumber reports whether s is digits, with a fraction after '.' or not.
func isNumber(s string) bool {
	whole, frac, dot := strings.Cut(s, ".")
	return isDigits(whole) && (!dot || isDigits(frac))
}

// parseTSV turns Whisper's TSV into turns: the text column only, its
// speaker from a speaker column or a diarization label at its start
// ("[SPEAKER_00]: ", as WhisperX writes diarized text; splitMachine). A line that is no row is kept as
// text, so that no word is lost.
func parseTSV(s string) (string, error) {
	w := newTurnWriter(textLimit(len(s)), len(s)/2)
	r := lineReader{s: s}
	cols := 0
	for !w.over {
		line, ok := r.next()
		if !ok {
			break
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if cols == 0 {
			cols = tsvHeader(line)
			continue
		}
		speaker, text, ok := tsvRow(line, cols)
		switch {
		case !ok:
			w.addLabeled(splitMachine(line))
		case strings.TrimSpace(speaker) != "":
			w.add(speakerName(speaker), text)
		default:
			w.addLabeled(splitMachine(text))
		}
	}
	return w.text()
}
