package transcript

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// speakerNames names speaker labels (speakerName) as labelNames does.
type speakerNames struct{ names labelNames }

// of returns the name of label, "" for none.
func (n *speakerNames) of(label string) string {
	return n.names.of(label, "", speakerLabelName)
}

// speakerLabelName is speakerName for labelNames.
func speakerLabelName(label, _ string) string { return speakerName(label) }

// labelNames remembers the names that a vendor's naming gave to the
// last few speaker and channel labels it was asked about: turns mostly
// go back and forth between a few speakers, and a name such as
// "Speaker 1" would be built anew for each turn.
type labelNames struct {
	recent [8]struct{ speaker, channel, name string }
	n      int // entries of recent in use
	next   int // the entry to replace next
}

// of returns the name that name gives to speaker and channel.
func (n *labelNames) of(speaker, channel string, name func(speaker, channel string) string) string {
	for i := range n.n {
		if e := &n.recent[i]; e.speaker == speaker && e.channel == channel {
			return e.name
		}
	}
	e := &n.recent[n.next]
	e.speaker, e.channel, e.name = speaker, channel, name(speaker, channel)
	n.next = (n.next + 1) % len(n.recent)
	n.n = min(n.n+1, len(n.recent))
	return e.name
}

// The diarization labels of every vendor are named alike: the first
// speaker of a vendor's numbering is "Speaker 1" and its first channel
// "Channel 1", whatever number the vendor gives them (Transcribe spk_0
// and ch_0, WhisperX SPEAKER_00, Deepgram 0, Rev.ai 0, Google 1, Azure 1
// and channel 0, Speechmatics S1 and channel_1, AssemblyAI A). A name
// that the vendor gives (Rev.ai's speaker_name, Call Analytics' roles)
// is kept.
const (
	speakerKind = "Speaker"
	channelKind = "Channel"
)

// numbered names label, a number that a vendor counts from base: kind
// and the label's place counted from 1 ("Speaker 1" for Deepgram's
// speaker 0, base 0). A label that is no such number (negative, not
// whole, below base) is kept after kind as it is written; "" is no name.
func numbered(kind, label string, base int) string {
	label = strings.TrimSpace(label)
	if label == "" {
		return ""
	}
	if n, ok := wholeNumber(label); ok && n >= base && n-base < 1<<20 {
		return kind + " " + strconv.Itoa(n-base+1)
	}
	return kind + " " + collapse(label)
}

// wholeNumber reads a whole number written as JSON writes numbers ("3",
// "3.0", "3e0").
func wholeNumber(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) || f < -1<<31 || f > 1<<31 {
		return 0, false
	}
	return int(f), true
}

// prefixed names label, a prefix and a number counted from base (Azure's
// "Guest-1", Speechmatics' "S1" and "channel_1"): numbered when label
// has the prefix (in any case) and a number after it, else "".
func prefixed(kind, label, prefix string, base int) string {
	label = strings.TrimSpace(label)
	if len(label) <= len(prefix) || !strings.EqualFold(label[:len(prefix)], prefix) {
		return ""
	}
	if _, ok := wholeNumber(label[len(prefix):]); !ok {
		return ""
	}
	return numbered(kind, label[len(prefix):], base)
}

// channelSpeaker names the speaker of a channel when a vendor diarizes
// each channel: "Channel 1 Speaker 2", or either name alone.
func channelSpeaker(channel, speaker string) string {
	switch {
	case channel == "":
		return speaker
	case speaker == "":
		return channel
	}
	return channel + " " + speaker
}

// addWord appends a word of a vendor's list of words to the turn of
// speaker ("" continues the open turn): after a space, as add does,
// except between two characters of the scripts written without spaces
// (Han, Hiragana, Katakana and their punctuation), which join as the
// vendors' own transcripts join them ("今日は" + "晴れ" is "今日は晴れ").
func (w *turnWriter) addWord(speaker, word string) {
	if (speaker == "" || speaker == w.speaker) && !w.newTurn && w.b.size() > 0 {
		last, _ := utf8.DecodeLastRune(w.b.buf)
		next, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(word, isSpace))
		if unspaced(last) && unspaced(next) {
			w.attach(word)
			return
		}
	}
	w.add(speaker, word)
}

// unspaced reports whether r belongs to a script written without spaces
// between words: Han, Hiragana, Katakana, and the CJK and full-width
// punctuation written with them.
func unspaced(r rune) bool {
	switch {
	case r < 0x2e80:
		return false
	case 0x3000 <= r && r <= 0x303f, 0xff00 <= r && r <= 0xffef:
		return true
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// sentenceEnd reports whether punctuation ends a sentence.
func sentenceEnd(punctuation string) bool {
	switch strings.TrimSpace(punctuation) {
	case ".", "?", "!", "。", "？", "！", "…", "...":
		return true
	}
	return false
}
