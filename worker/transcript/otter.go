package transcript

import "strings"

// maxOtterBlocks bounds the paragraphs looksOtter reads.
const maxOtterBlocks = 256

// otterHeader parses the header of a turn of an Otter.ai text export:
// the speaker's name, two spaces (or a tab) and the time ("Jane Doe
// 0:42", "Speaker 1  1:02:03"), or the time alone when the export leaves
// the names out. It returns the speaker ("" for none) and whether line
// is a header.
func otterHeader(line string) (speaker string, ok bool) {
	t := strings.TrimSpace(line)
	i := strings.LastIndexAny(t, " \t")
	if !isClock(t[i+1:]) {
		return "", false
	}
	if i < 0 {
		return "", true
	}
	name := t[:i+1]
	if !strings.HasSuffix(name, "  ") && !strings.HasSuffix(name, "\t") {
		return "", false
	}
	name = strings.TrimSpace(name)
	if !otterName(name) {
		return "", false
	}
	return speakerName(name), true
}

// isClock reports whether s is a time as Otter writes it: "0:42",
// "12:05", "1:02:03".
func isClock(s string) bool {
	return strings.IndexByte(s, ':') > 0 && !strings.ContainsAny(s, ".,") && isTimestamp(s)
}

// otterName reports whether name can be a speaker's name in an Otter
// turn header: a speaker's name as validSpeaker has it, but it may start
// with a lower case letter (people type the names: "jane" is one).
func otterName(name string) bool {
	return nameLike(name, true)
}

// isOtterFooter reports whether the trimmed line t is the line Otter
// adds at the end of an export from a free plan.
func isOtterFooter(t string) bool {
	t = strings.ToLower(t)
	return strings.HasPrefix(t, "transcribed by ") && strings.HasSuffix(t, "otter.ai")
}

// looksOtter reports whether s is an Otter.ai text export: its first
// paragraph starts with a turn header and has text below it, and at
// least half of its paragraphs start with one.
func looksOtter(s string) bool {
	r := lineReader{s: s}
	blocks, headers := 0, 0
	start := true // the next non-blank line starts a paragraph
	for blocks < maxOtterBlocks {
		line, ok := r.next()
		if !ok {
			break
		}
		t := strings.TrimSpace(line)
		if t == "" {
			start = true
			continue
		}
		if !start {
			continue
		}
		start = false
		blocks++
		if _, ok := otterHeader(t); ok {
			headers++
		} else if blocks == 1 {
			return false
		}
		if blocks == 1 {
			next, ok := r.peek()
			if !ok || strings.TrimSpace(next) == "" {
				return false
			}
		}
	}
	return blocks > 0 && 2*headers >= blocks
}

// parseOtter turns an Otter.ai text export into turns: each header
// gives the speaker of the text below it, the times go, and so does the
// footer of a free plan's export. A paragraph without a header is text
// of the turn before.
func parseOtter(s string) (string, error) {
	w := newTurnWriter(textLimit(len(s)), len(s)/2)
	r := lineReader{s: s}
	start := true
	for !w.over {
		line, ok := r.next()
		if !ok {
			break
		}
		t := strings.TrimSpace(line)
		if t == "" {
			start = true
			continue
		}
		if start {
			start = false
			if speaker, ok := otterHeader(t); ok {
				if speaker == "" {
					w.breakTurn()
				} else {
					w.add(speaker, "")
				}
				continue
			}
			if isOtterFooter(t) {
				continue
			}
		}
		w.add("", t)
	}
	return w.text()
}
