package transcript

import "strings"

// speakerTurn is what whisper.cpp's --tinydiarize prints after a segment
// when the next one is another speaker's.
const speakerTurn = "[SPEAKER_TURN]"

// cppTiming parses a line of whisper.cpp's console output, "[00:00:01.000
// --> 00:00:04.000]  text", and returns the text after the timing.
func cppTiming(line string) (text string, ok bool) {
	t := strings.TrimLeft(line, " \t")
	if !strings.HasPrefix(t, "[") {
		return "", false
	}
	end := strings.IndexByte(t, ']')
	if end < 0 || !isTiming(strings.TrimSpace(t[1:end])) {
		return "", false
	}
	return t[end+1:], true
}

// looksWhisperCpp reports whether the first non-blank line of s is a
// line of whisper.cpp's console output.
func looksWhisperCpp(s string) bool {
	r := lineReader{s: s}
	for {
		line, ok := r.next()
		if !ok {
			return false
		}
		if strings.TrimSpace(line) != "" {
			_, ok = cppTiming(line)
			return ok
		}
	}
}

// parseWhisperCpp turns whisper.cpp's console output into turns: the
// timings go, the speaker comes from a diarization label at the start of
// a segment's text (--diarize prints "(speaker 0) ", WhisperX-style tools
// "[SPEAKER_00]: "; splitMachine), and --tinydiarize's [SPEAKER_TURN]
// ends a turn.
// The colors of --print-colors are dropped. A line without a timing is
// kept as text, so that no word is lost.
func parseWhisperCpp(s string) (string, error) {
	if strings.Contains(s, "\x1b[") {
		s = stripANSI(s)
	}
	w := newTurnWriter(textLimit(len(s)), len(s)/2)
	r := lineReader{s: s}
	for !w.over {
		line, ok := r.next()
		if !ok {
			break
		}
		text, ok := cppTiming(line)
		if !ok {
			text = line
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		turn := false
		if rest, found := strings.CutSuffix(text, speakerTurn); found {
			text, turn = strings.TrimSpace(rest), true
		}
		w.addLabeled(splitMachine(text))
		if turn {
			w.breakTurn()
		}
	}
	return w.text()
}

// stripANSI returns s without its ANSI escape sequences (ESC '[',
// parameters, a final letter), as --print-colors writes them around each
// token.
func stripANSI(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		j := i + 2
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';') {
			j++
		}
		if j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
			j++
		}
		s = s[j:]
	}
}
