package transcript_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// This file generates transcripts and cuts them into captions the way
// the tools that write them do: ordinary subtitles, YouTube's rolling
// auto-captions and word-highlight (karaoke) cues. The property tests,
// the fuzz targets and the measurement decode what it makes.

// genTurn is one turn of a generated transcript: its speaker as the
// captions write it ("" for none) and its words, cut into lines.
type genTurn struct {
	speaker string
	lines   [][]string
}

type genTranscript []genTurn

// genWords are the words of generated transcripts: short ones, repeated
// ones, punctuation, digits, accents and CJK. None of them, put at the
// start of a line, reads as a speaker label or as markup.
var genWords = []string{
	"no", "no,", "no.", "no!", "yes", "yes,", "that's", "wrong.", "right?", "well,",
	"I", "think", "so", "we", "should", "ship", "it", "on", "Friday.", "the",
	"deploy", "failed", "twice", "again", "okay", "café", "中文", "42", "3.5", "and",
	"uh", "um", "really?", "sure.", "it's", "fine", "go", "go.", "la", "la,",
}

// genSpeakers are the speakers of generated transcripts as the captions
// write them; want gives the name Decode must turn each into.
var genSpeakers = []string{"Alice", "Bob", "Dr. Mei Lin", "SPEAKER_00", "SPEAKER_01", "SPEAKER_12"}

func speakerWant(s string) string {
	switch s {
	case "SPEAKER_00":
		return "Speaker 1"
	case "SPEAKER_01":
		return "Speaker 2"
	case "SPEAKER_12":
		return "Speaker 13"
	}
	return s
}

// genLine returns a line of 1 to max words; one line in repeat repeats
// the line before it.
func genLine(rng *rand.Rand, prev []string, max, repeat int) []string {
	if prev != nil && rng.IntN(repeat) == 0 {
		return prev
	}
	line := make([]string, 1+rng.IntN(max))
	for i := range line {
		line[i] = genWords[rng.IntN(len(genWords))]
	}
	return line
}

// newTranscript generates a transcript of about n lines, one line in
// repeat the same as the line before it. When speakers is false no turn
// has a speaker.
func newTranscript(rng *rand.Rand, n int, speakers bool, repeat int) genTranscript {
	var t genTranscript
	var prev []string
	for lines := 0; lines < n; {
		var turn genTurn
		if speakers && (len(t) > 0 || rng.IntN(4) > 0) && rng.IntN(8) > 0 {
			turn.speaker = genSpeakers[rng.IntN(len(genSpeakers))]
		}
		for k := 1 + rng.IntN(4); k > 0 && lines < n; k-- {
			prev = genLine(rng, prev, 8, repeat)
			turn.lines = append(turn.lines, prev)
			lines++
		}
		t = append(t, turn)
	}
	return t
}

// want is the text Decode must return for t: a turn per line, "Name: "
// when the speaker is known; text without a speaker, or of the speaker
// before, continues the turn.
func (t genTranscript) want() string {
	var b strings.Builder
	speaker := ""
	for _, turn := range t {
		name := speakerWant(turn.speaker)
		for _, line := range turn.lines {
			if name != "" && name != speaker {
				speaker = name
				if b.Len() > 0 {
					b.WriteByte('\n')
				}
				b.WriteString(name + ": ")
			} else if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strings.Join(line, " "))
		}
	}
	return b.String()
}

// capLine is one caption line: its words, and the label that starts it
// when it is the first line of a turn.
type capLine struct {
	label string
	words []string
}

// text returns the line as plain text.
func (l capLine) text() string {
	if l.label != "" {
		return l.label + " " + strings.Join(l.words, " ")
	}
	return strings.Join(l.words, " ")
}

// capLines returns the lines of t as captions show them, each turn's
// first line labeled by label (nil: no labels).
func (t genTranscript) capLines(label func(speaker string) string) []capLine {
	var out []capLine
	for _, turn := range t {
		for i, line := range turn.lines {
			l := capLine{words: line}
			if i == 0 && turn.speaker != "" && label != nil {
				l.label = label(turn.speaker)
			}
			out = append(out, l)
		}
	}
	return out
}

func colonLabel(s string) string   { return s + ":" }
func bracketLabel(s string) string { return "[" + s + "]:" }

// msTime formats a time in milliseconds as a cue timestamp.
func msTime(ms int, sep string) string {
	return fmt.Sprintf("%02d:%02d:%02d%s%03d", ms/3_600_000, ms/60_000%60, ms/1000%60, sep, ms%1000)
}

// captionDoc writes cues as WebVTT (with YouTube's header) or SRT.
type captionDoc struct {
	b   strings.Builder
	vtt bool
	n   int
	ms  int
}

func newCaptionDoc(vtt bool) *captionDoc {
	d := &captionDoc{vtt: vtt}
	if vtt {
		d.b.WriteString("WEBVTT\nKind: captions\nLanguage: en\n\n")
	}
	return d
}

// cue writes a cue of dur milliseconds holding body.
func (d *captionDoc) cue(dur int, body string) {
	d.n++
	sep := ","
	if d.vtt {
		sep = "."
		fmt.Fprintf(&d.b, "%s --> %s align:start position:0%%\n%s\n\n", msTime(d.ms, sep), msTime(d.ms+dur, sep), body)
	} else {
		fmt.Fprintf(&d.b, "%d\n%s --> %s\n%s\n\n", d.n, msTime(d.ms, sep), msTime(d.ms+dur, sep), body)
	}
	d.ms += dur
}

// ordinaryCaptions cuts t into ordinary subtitles: cues of one or two
// lines, each line once.
func ordinaryCaptions(rng *rand.Rand, t genTranscript, vtt bool) string {
	d := newCaptionDoc(vtt)
	lines := t.capLines(colonLabel)
	for i := 0; i < len(lines); {
		n := min(1+rng.IntN(2), len(lines)-i)
		var body []string
		for _, l := range lines[i : i+n] {
			body = append(body, l.text())
		}
		d.cue(1000+rng.IntN(3000), strings.Join(body, "\n"))
		i += n
	}
	return d.b.String()
}

// rollingCaptions cuts t into YouTube's rolling auto-captions: a window
// of two lines, the line being spoken at the bottom with a timestamp
// before each word, then a cue of 10 ms that holds it alone before it
// moves to the top. After a pause (one line in eight) a window starts
// afresh, its first line blank. Without inline timestamps it is what
// yt-dlp's conversion to SRT writes.
func rollingCaptions(rng *rand.Rand, t genTranscript, vtt, inline bool) string {
	d := newCaptionDoc(vtt)
	top := ""
	for _, l := range t.capLines(colonLabel) {
		if top != "" && rng.IntN(8) == 0 {
			top = ""
			d.ms += 2000
		}
		var line strings.Builder
		start := d.ms
		if l.label != "" {
			line.WriteString(l.label + " ")
		}
		for i, w := range l.words {
			switch {
			case i == 0:
				line.WriteString(w)
			case inline:
				fmt.Fprintf(&line, "<%s><c> %s</c>", msTime(start+i*300, "."), w)
			default:
				line.WriteString(" " + w)
			}
		}
		first := top
		if first == "" {
			first = " "
		}
		d.cue(300*len(l.words), first+"\n"+line.String())
		plain := l.text()
		d.cue(10, plain+"\n ")
		top = plain
	}
	return d.b.String()
}

// Highlight styles: how a cue marks the word being spoken.
const (
	highlightUnderline  = iota // Whisper and WhisperX --highlight_words: <u>word</u>
	highlightFont              // stable-ts: <font color="#00ff00">word</font>
	highlightCumulative        // karaoke: the words sung so far in color
	highlightStyles
)

// highlightCaptions cuts t into word-highlight cues: for each subtitle
// (a line, sometimes two), one cue per word holding the whole subtitle
// with that word marked, and between words at times a cue with none
// marked, as Whisper writes for a gap. The label of a turn starts every
// cue of its subtitles, as WhisperX writes "[SPEAKER_00]: ".
func highlightCaptions(rng *rand.Rand, t genTranscript, vtt bool, style int) string {
	d := newCaptionDoc(vtt)
	for _, turn := range t {
		label := ""
		if turn.speaker != "" {
			label = bracketLabel(turn.speaker) + " "
			if rng.IntN(2) == 0 {
				label = colonLabel(turn.speaker) + " "
			}
		}
		for i := 0; i < len(turn.lines); {
			sub := [][]string{turn.lines[i]}
			if i+1 < len(turn.lines) && rng.IntN(3) == 0 {
				sub = append(sub, turn.lines[i+1])
			}
			i += len(sub)
			var words []string
			for _, l := range sub {
				words = append(words, l...)
			}
			open, close := "<u>", "</u>"
			if style != highlightUnderline {
				open, close = `<font color="#00ff00">`, "</font>"
			}
			for j := range words {
				if j > 0 && rng.IntN(4) == 0 {
					d.cue(200, label+markWords(sub, -1, -1, open, close))
				}
				from := j
				if style == highlightCumulative {
					from = 0
				}
				d.cue(300, label+markWords(sub, from, j, open, close))
			}
		}
	}
	return d.b.String()
}

// markWords renders the lines of a subtitle with words from to to
// (counted across the lines) between open and close, none when from is
// -1.
func markWords(sub [][]string, from, to int, open, close string) string {
	var b strings.Builder
	k := 0
	for i, l := range sub {
		if i > 0 {
			b.WriteByte('\n')
		}
		for j, w := range l {
			if j > 0 {
				b.WriteByte(' ')
			}
			if from >= 0 && k >= from && k <= to {
				w = open + w + close
			}
			b.WriteString(w)
			k++
		}
	}
	return b.String()
}
