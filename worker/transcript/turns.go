package transcript

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// textSlack is how much longer than its content a text may be.
const textSlack = 4 << 10

// textLimit bounds the text made of n bytes of content. Dropping markup
// and JSON framing only shortens a transcript, and every speaker prefix
// stands for a label in the content with its framing, which is longer:
// the one way to a longer text is Transcribe's speaker_labels, which may
// give one long name to many words by their start times. Past the limit
// the content is refused as too large, so that the text of a pathological
// object never takes more memory than the object.
func textLimit(n int) int {
	return n + textSlack
}

// turnWriter builds the output of the structured formats: one turn per
// line, "Speaker: text" when the speaker is known. Consecutive text of the
// same speaker is one turn, and text without a speaker continues the turn
// before it. White space inside text collapses to single spaces and control
// characters become spaces.
type turnWriter struct {
	b        textBuf
	speaker  string // speaker of the open turn or of the next text
	newTurn  bool   // the next text starts a line of its own
	bare     bool   // speaker came from a label in the text and has no text yet
	scratch  []byte // reused by cueLine
	pieceSpk string // cueLine: speaker of the piece being collected
	pieceSet bool   // cueLine: the piece's speaker was given by a voice tag
	over     bool   // text was refused for b.limit: the result is ErrTooLarge
}

// newTurnWriter returns a turnWriter of at most limit bytes of text
// (textLimit), with room for hint bytes.
func newTurnWriter(limit, hint int) *turnWriter {
	w := &turnWriter{b: textBuf{limit: limit}}
	w.b.grow(min(hint, limit))
	return w
}

// add appends text said by speaker ("" when unknown) to the transcript.
// The speaker is metadata (a voice tag, a diarization label): a speaker
// without text leaves no trace.
func (w *turnWriter) add(speaker, text string) {
	w.write(speaker, text, true, false)
}

// addLabeled is add for a speaker read from a label in the text
// ("Alice: "): the label is words of the input, so when no text of that
// speaker follows, it is kept as a line of its own ("Alice:").
func (w *turnWriter) addLabeled(speaker, text string) {
	w.write(speaker, text, true, true)
}

// attach appends text (punctuation) to the open turn without a space.
func (w *turnWriter) attach(text string) {
	w.write("", text, false, false)
}

// breakTurn ends the open turn: the next text starts a line of its own,
// without a speaker unless it has one (whisper.cpp's [SPEAKER_TURN]
// and Otter's paragraphs mark a change of speaker without naming one).
func (w *turnWriter) breakTurn() {
	w.flushBare()
	w.speaker = ""
	w.newTurn = true
}

func (w *turnWriter) write(speaker, text string, space, labeled bool) {
	if speaker != "" && speaker != w.speaker {
		w.flushBare()
		w.speaker = speaker
		w.newTurn = true
	}
	if labeled && speaker != "" && w.newTurn {
		w.bare = true // until text of this turn is written
	}
	if !hasVisible(text) {
		return
	}
	if w.b.limit > 0 && w.b.size()+len(w.speaker)+len(text)+3 > w.b.limit {
		w.over = true
		return
	}
	w.bare = false
	if w.newTurn || w.b.size() == 0 {
		w.startLine()
		space = false
	}
	writeCollapsed(&w.b, text, space)
}

// startLine starts the line of a new turn.
func (w *turnWriter) startLine() {
	if w.b.size() > 0 {
		w.b.writeByte('\n')
	}
	if w.speaker != "" {
		w.b.writeString(w.speaker)
		w.b.writeString(": ")
	}
	w.newTurn = false
}

// flushBare writes a label that got no text as "Speaker:".
func (w *turnWriter) flushBare() {
	if w.bare {
		if w.b.size() > 0 {
			w.b.writeByte('\n')
		}
		w.b.writeString(w.speaker)
		w.b.writeByte(':')
		w.bare = false
	}
}

// String returns the transcript written so far; nothing may be written
// after.
func (w *turnWriter) String() string {
	w.flushBare()
	return w.b.String()
}

// text returns the transcript, or ErrTooLarge when text was refused for
// the limit.
func (w *turnWriter) text() (string, error) {
	if w.over {
		return "", fmt.Errorf("%w: its text would be longer than the content (over %d bytes)", ErrTooLarge, w.b.limit)
	}
	return w.String(), nil
}

// textBuf collects text like a strings.Builder, but its capacity grows
// no further than its limit, so that the text of an object never takes
// more memory than the limit allows, even for a moment.
type textBuf struct {
	buf   []byte
	limit int // capacity that growth stops at (0: none); writes may pass it
}

// grow makes room for n more bytes: the capacity doubles, up to the
// limit, and is never less than needed.
func (t *textBuf) grow(n int) {
	need := len(t.buf) + n
	if need <= cap(t.buf) {
		return
	}
	c := 2 * cap(t.buf)
	if t.limit > 0 {
		c = min(c, t.limit)
	}
	buf := make([]byte, len(t.buf), max(c, need))
	copy(buf, t.buf)
	t.buf = buf
}

// size returns the number of bytes written.
func (t *textBuf) size() int { return len(t.buf) }

// writeString appends s.
func (t *textBuf) writeString(s string) {
	t.grow(len(s))
	t.buf = append(t.buf, s...)
}

// writeByte appends c.
func (t *textBuf) writeByte(c byte) {
	t.grow(1)
	t.buf = append(t.buf, c)
}

// String returns the text without copying it, as strings.Builder does:
// nothing may be written after.
func (t *textBuf) String() string {
	return unsafe.String(unsafe.SliceData(t.buf), len(t.buf))
}

// isSpace reports whether r separates words: white space or a control
// character.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r)
}

// hasVisible reports whether s holds anything but white space and control
// characters.
func hasVisible(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c > ' ' && c != 0x7f {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isSpace(r) {
			return true
		}
		i += n
	}
	return false
}

// writeCollapsed writes s to b with leading and trailing white space
// dropped, inner runs of white space and control characters as one space,
// and a space first when lead is set.
func writeCollapsed(b *textBuf, s string, lead bool) {
	pending := lead
	start := -1 // start of the run of visible bytes not yet written
	flush := func(end int) {
		if start >= 0 {
			if pending {
				b.writeByte(' ')
			}
			b.writeString(s[start:end])
			start = -1
			pending = false
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		n := 1
		space := false
		if c < utf8.RuneSelf {
			space = c <= ' ' || c == 0x7f
		} else {
			var r rune
			r, n = utf8.DecodeRuneInString(s[i:])
			space = isSpace(r)
		}
		if space {
			if start >= 0 {
				flush(i)
				pending = true
			}
		} else if start < 0 {
			start = i
		}
		i += n
	}
	flush(len(s))
}

// collapse returns s trimmed, with inner white space as single spaces.
func collapse(s string) string {
	if isCollapsed(s) {
		return s
	}
	var b textBuf
	b.grow(len(s))
	writeCollapsed(&b, s, false)
	return b.String()
}

// isCollapsed reports whether s is printable ASCII without leading,
// trailing or double spaces: what collapse returns unchanged.
func isCollapsed(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return s == ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f || (c == ' ' && s[i+1] == ' ') {
			return false
		}
	}
	return true
}

// maxSpeakerLen bounds the bytes of a speaker name found in text.
const maxSpeakerLen = 40

// splitSpeaker finds a speaker label at the start of a line of text:
// "Alice: text", "[Alice] text", "- Alice: text" or whisper.cpp's
// "(speaker 0) text". It returns the speaker and the text after the
// label, or "" and line unchanged when there is none. Bracketed sound
// cues ("[Laughter]", "[MUSIC]") are not speakers. A diarization label
// is named as in every format (speakerName): "[SPEAKER_00]: " and
// "spk_0: " give "Speaker 1".
func splitSpeaker(line string) (speaker, rest string) {
	body := strings.TrimSpace(line)
	for _, dash := range []string{"- ", "– ", "— "} {
		if strings.HasPrefix(body, dash) {
			body = strings.TrimSpace(body[len(dash):])
			break
		}
	}
	if name, rest, ok := machinePrefix(body); ok {
		return name, rest
	}
	if strings.HasPrefix(body, "[") {
		end := strings.IndexByte(body[:min(len(body), maxSpeakerLen+2)], ']')
		if end < 0 {
			return "", line
		}
		name := body[1:end]
		if !validSpeaker(name) || soundCue(name) {
			return "", line
		}
		rest = strings.TrimSpace(body[end+1:])
		if strings.HasPrefix(rest, ":") {
			rest = strings.TrimSpace(rest[1:])
		}
		return speakerName(name), rest
	}
	colon := strings.IndexByte(body[:min(len(body), maxSpeakerLen+1)], ':')
	if colon <= 0 {
		return "", line
	}
	if after := body[colon+1:]; after != "" && after[0] != ' ' && after[0] != '\t' {
		return "", line
	}
	name := body[:colon]
	if !validSpeaker(name) {
		return "", line
	}
	return speakerName(name), strings.TrimSpace(body[colon+1:])
}

// machinePrefix finds a diarization label at the start of the trimmed
// line t, the way the tools that diarize write it into text:
// "[SPEAKER_00]: " and "SPEAKER_00: " (WhisperX, faster-whisper),
// "[spk_0] " or "spk_0: ", and whisper.cpp's "(speaker 0) " and
// "(speaker ?) ". It returns the label's name (speakerName; "Speaker ?"
// for whisper.cpp's "?") and the text after it. Names that
// people give are left to splitSpeaker.
func machinePrefix(t string) (name, rest string, ok bool) {
	if len(t) < 4 {
		return "", t, false
	}
	switch t[0] {
	case '(':
		// whisper.cpp: "(speaker 0)", "(speaker 1)", "(speaker ?)", in
		// lower case: "(Speaker 1)" may be a person's count from 1.
		const open = "(speaker "
		if !strings.HasPrefix(t, open) {
			return "", t, false
		}
		end := strings.IndexByte(t, ')')
		if end < 0 {
			return "", t, false
		}
		id := t[len(open):end]
		switch n, err := strconv.Atoi(id); {
		case id == "?":
			name = unknownSpeaker
		case isDigits(id) && err == nil && n < maxLabelNumber:
			name = numberedName(kindSpeaker, n)
		default:
			return "", t, false
		}
		return name, strings.TrimSpace(t[end+1:]), true
	case '[':
		end := strings.IndexByte(t[:min(len(t), maxSpeakerLen+2)], ']')
		if end < 0 || !isMachineLabel(t[1:end]) {
			return "", t, false
		}
		rest = strings.TrimSpace(t[end+1:])
		if strings.HasPrefix(rest, ":") {
			rest = strings.TrimSpace(rest[1:])
		}
		return speakerName(t[1:end]), rest, true
	}
	colon := strings.IndexByte(t[:min(len(t), maxSpeakerLen+1)], ':')
	if colon <= 0 || !isMachineLabel(t[:colon]) {
		return "", t, false
	}
	if after := t[colon+1:]; after != "" && after[0] != ' ' && after[0] != '\t' {
		return "", t, false
	}
	return speakerName(t[:colon]), strings.TrimSpace(t[colon+1:]), true
}

// splitMachine is splitSpeaker for the text of a tool that writes no
// names of its own, only diarization labels (machinePrefix): a sentence
// such as "We have three items: a, b" is no turn of "We have three items".
func splitMachine(text string) (speaker, rest string) {
	if name, rest, ok := machinePrefix(strings.TrimSpace(text)); ok {
		return name, rest
	}
	return "", text
}

// unknownSpeaker names whisper.cpp's "(speaker ?)": a segment whose
// speaker its stereo diarization could not tell.
const unknownSpeaker = "Speaker ?"

// validSpeaker reports whether name looks like a speaker: at most four
// words of letters, digits and . ' ’ - _ #, starting with a letter that is
// not lower case ("Alice", "Dr. Mei Lin", "SPEAKER_00", "张伟").
func validSpeaker(name string) bool {
	return nameLike(name, false)
}

// nameLike is validSpeaker, and with lower true also lets a name start
// with a lower case letter.
func nameLike(name string, lower bool) bool {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxSpeakerLen {
		return false
	}
	first, _ := utf8.DecodeRuneInString(name)
	if !unicode.IsLetter(first) || (unicode.IsLower(first) && !lower) {
		return false
	}
	words := 1
	prevSpace := false
	for _, r := range name {
		switch {
		case r == ' ' || r == '\t':
			if !prevSpace {
				words++
			}
			prevSpace = true
			continue
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.Is(unicode.Mn, r),
			r == '.', r == '\'', r == '’', r == '-', r == '_', r == '#':
		default:
			return false
		}
		prevSpace = false
	}
	return words <= 4
}

// soundCue reports whether a bracketed label describes a sound, not a
// speaker ("[Laughter]", "[MUSIC PLAYING]", "[Inaudible 00:12]").
func soundCue(name string) bool {
	first, _, _ := strings.Cut(strings.TrimSpace(name), " ")
	switch strings.ToLower(strings.TrimRight(first, ".")) {
	case "music", "laughter", "laughs", "laughing", "laugh", "applause", "silence",
		"inaudible", "unintelligible", "indistinct", "crosstalk", "noise", "cheering",
		"cheers", "sighs", "coughs", "coughing", "chuckles", "foreign", "background",
		"blank_audio", "no", "sound", "static", "beep", "phone", "door", "pause", "overlapping",
		"speaker_turn":
		return true
	}
	return false
}

// speakerName turns a machine speaker label into a name for people:
// "spk_0", "SPEAKER_00" and whisper.cpp's "Speaker0" become "Speaker
// 1", "ch_1" becomes "Channel 2". Other labels are kept, white space
// collapsed. It is the one rule for diarization labels: every format
// names them through it, so that one recording's speakers have the same
// names whichever format it comes in.
func speakerName(label string) string {
	label = strings.TrimSpace(label)
	kind, n, ok := machineLabel(label)
	if !ok {
		return collapse(label)
	}
	return numberedName(kind, n)
}

// isMachineLabel reports whether label is a diarization label that
// speakerName renames.
func isMachineLabel(label string) bool {
	_, _, ok := machineLabel(label)
	return ok
}

// Kinds of diarization labels.
const (
	kindSpeaker = iota // "Speaker 1"
	kindChannel        // "Channel 1"
)

// maxLabelNumber bounds the number of a diarization label.
const maxLabelNumber = 1 << 20

// machineLabel parses a diarization label: "spk", "speaker", "ch" or
// "channel" (in any case), '_', and a number counted from 0; or
// "speaker" and the number without the '_'. It returns the kind of the
// label and its number.
func machineLabel(label string) (kind, n int, ok bool) {
	var prefix, digits string
	if i := strings.LastIndexByte(label, '_'); i >= 0 {
		prefix, digits = label[:i], label[i+1:]
	} else {
		j := len(label)
		for j > 0 && label[j-1] >= '0' && label[j-1] <= '9' {
			j--
		}
		prefix, digits = label[:j], label[j:]
		if !strings.EqualFold(prefix, "speaker") {
			return 0, 0, false
		}
	}
	switch {
	case strings.EqualFold(prefix, "spk"), strings.EqualFold(prefix, "speaker"):
		kind = kindSpeaker
	case strings.EqualFold(prefix, "ch"), strings.EqualFold(prefix, "channel"):
		kind = kindChannel
	default:
		return 0, 0, false
	}
	if !isDigits(digits) || len(digits) > 7 {
		return 0, 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n >= maxLabelNumber {
		return 0, 0, false
	}
	return kind, n, true
}

// kindNames start the name of each kind of label.
var kindNames = [...]string{kindSpeaker: "Speaker ", kindChannel: "Channel "}

// numberedNames are the names of the first labels of each kind, made
// once: a transcript names its speakers at every turn.
var numberedNames = func() (names [len(kindNames)][100]string) {
	for kind, prefix := range kindNames {
		for i := range names[kind] {
			names[kind][i] = prefix + strconv.Itoa(i+1)
		}
	}
	return names
}()

// numberedName returns the name of label n (counted from 0) of a kind.
func numberedName(kind, n int) string {
	if n < len(numberedNames[kind]) {
		return numberedNames[kind][n]
	}
	return kindNames[kind] + strconv.Itoa(n+1)
}
