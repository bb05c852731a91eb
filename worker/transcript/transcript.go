package transcript

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Format is the shape a transcript was recognized as.
type Format string

// The formats Decode recognizes.
const (
	// FormatText is plain text, returned nearly as it is.
	FormatText Format = "text"
	// FormatSRT is SubRip subtitles (.srt).
	FormatSRT Format = "srt"
	// FormatVTT is WebVTT captions (.vtt).
	FormatVTT Format = "vtt"
	// FormatTranscribe is the JSON of an Amazon Transcribe batch job.
	FormatTranscribe Format = "transcribe"
	// FormatWhisper is the JSON of OpenAI Whisper (verbose_json or the
	// command line's .json) or WhisperX.
	FormatWhisper Format = "whisper"
)

// DefaultLimit is the decompressed size limit Decode applies when it is
// given a limit of zero or less: the default of MAX_OBJECT_BYTES.
const DefaultLimit int64 = 20 << 20

var (
	// ErrBadFormat is wrapped by every Decode error about content that can
	// never become a transcript: unknown, binary or empty content, corrupt
	// gzip, JSON that is no known transcript. Retrying cannot help; the
	// caller dead-letters the message with reason bad_format.
	ErrBadFormat = errors.New("bad transcript format")
	// ErrTooLarge is wrapped by Decode errors about content over the size
	// limit once decompressed. Retrying cannot help; the caller dead-letters
	// the message with reason too_large.
	ErrTooLarge = errors.New("transcript too large")
)

// Decode turns the raw bytes of an object into clean transcript text for a
// summarizer, and says which format it found.
//
// key is the object key (only its extension matters) and contentEncoding
// the object's Content-Encoding, "" when it has none. Gzip is decompressed
// when the content starts with the gzip magic bytes (1f 8b), whatever the
// key or encoding say; a key ending in ".gz" is detected by its inner
// extension ("x.srt.gz" is SRT). Content-Encoding gzip on content without
// the magic bytes means an HTTP layer already decompressed it, and the
// content is used as it is; other codings (br, zstd) are refused unless the
// content is already text. limit bounds the decompressed size: no more
// than limit+1 bytes are ever inflated, so a gzip bomb fails fast with
// ErrTooLarge. A limit of zero or less means DefaultLimit.
//
// A UTF-8 byte order mark is dropped, UTF-16 with a byte order mark is
// converted to UTF-8, and CRLF and lone CR line ends become LF. The format
// is chosen by the content, and by the key's extension only where the
// content does not tell (see the package documentation), and the text
// returned is valid UTF-8, not blank, has no trailing white space on any
// line and no trailing newline.
//
// Every error wraps ErrBadFormat or ErrTooLarge and says briefly what is
// wrong, never quoting the content. Decode holds no state and is safe for
// concurrent use.
func Decode(data []byte, key, contentEncoding string, limit int64) (text string, f Format, err error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	b, owned, err := decompress(data, contentEncoding, limit)
	if err != nil {
		return "", "", err
	}
	b, owned, err = toUTF8(b, owned)
	if err != nil {
		return "", "", err
	}
	b = normalizeNewlines(b, owned)

	ext := strings.ToLower(path.Ext(StripGzipSuffix(key)))
	if ext == ".json" || startsWithJSON(b) {
		// Content decides over the extension: a .txt holding JSON is
		// read as JSON, and is a transcript or bad_format.
		text, f, err = decodeJSON(b, ext == ".json")
		if !errors.Is(err, errNotJSON) {
			return text, f, err
		}
		err = nil // not JSON after all: read as text
	}
	s := view(b)
	switch f = detect(s, ext); f {
	case FormatSRT:
		text, err = parseCues(s, false)
	case FormatVTT:
		text, err = parseCues(s, true)
	case FormatTSV:
		text, err = parseTSV(s)
	case FormatWhisperCpp:
		text, err = parseWhisperCpp(s)
	case FormatOtter:
		text, err = parseOtter(s)
	default:
		text = cleanText(s)
	}
	if err != nil {
		return "", "", err
	}
	if text == "" {
		if f == FormatText {
			return "", "", fmt.Errorf("%w: empty: only white space", ErrBadFormat)
		}
		return "", "", fmt.Errorf("%w: empty: %s without cue text", ErrBadFormat, f)
	}
	return text, f, nil
}

// view returns the content b as a string without copying it, for the
// parsers, which read strings. This is sound because nothing changes b
// while Decode runs (Decode has done with it once normalizeNewlines
// returns, and a caller must not change data during the call, as with
// any function that reads a slice), and no part of the view outlives
// Decode: every parser writes the text it returns into a buffer of its
// own, and errors never quote the content. A copy would cost the size of
// the content once more, for every object being decoded.
func view(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// StripGzipSuffix returns key without a trailing ".gz" (in any case), for
// callers that derive output names: "calls/a.srt.gz" becomes "calls/a.srt".
func StripGzipSuffix(key string) string {
	if n := len(key); n >= 3 && strings.EqualFold(key[n-3:], ".gz") {
		return key[:n-3]
	}
	return key
}

// cueExt reports whether ext names a subtitle format.
func cueExt(ext string) bool {
	switch ext {
	case ".srt", ".vtt", ".webvtt":
		return true
	}
	return false
}

// detect picks the format of non-JSON content s from the content, and
// from its extension ext only when the content does not tell: WebVTT by
// its signature, SRT by a first cue, Whisper's TSV by its header,
// whisper.cpp's console output by its first line, an Otter.ai export by
// its turn headers; a .srt or .vtt whose cues do not start the file by
// any timing line; anything else is text.
func detect(s, ext string) Format {
	switch {
	case isVTT(s):
		return FormatVTT
	case looksSRT(s):
		return FormatSRT
	case looksTSV(s):
		return FormatTSV
	case looksWhisperCpp(s):
		return FormatWhisperCpp
	case looksOtter(s):
		return FormatOtter
	case cueExt(ext) && hasTiming(s):
		if ext == ".srt" {
			return FormatSRT
		}
		return FormatVTT
	}
	return FormatText
}

// gzipMagic starts every gzip member (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// decompress returns the content of data, inflated when it is gzip, and
// whether the returned slice is a fresh one Decode may modify.
func decompress(data []byte, contentEncoding string, limit int64) ([]byte, bool, error) {
	if len(data) == 0 {
		return nil, false, fmt.Errorf("%w: empty: no bytes", ErrBadFormat)
	}
	if !bytes.HasPrefix(data, gzipMagic) {
		if int64(len(data)) > limit {
			return nil, false, fmt.Errorf("%w: %d bytes, over the limit of %d", ErrTooLarge, len(data), limit)
		}
		if enc := unsupportedEncoding(contentEncoding); enc != "" && !utf8.Valid(data) {
			return nil, false, fmt.Errorf("%w: unsupported Content-Encoding %q", ErrBadFormat, enc)
		}
		return data, false, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, false, gzipError(err)
	}
	atMost := limit
	if atMost < math.MaxInt64 {
		atMost++ // one byte more tells "over the limit" from "at the limit"
	}
	buf, err := readAtMost(zr, atMost, sizeHint(data, atMost))
	if err != nil {
		return nil, false, gzipError(err)
	}
	if int64(len(buf)) > limit {
		return nil, false, fmt.Errorf("%w: gzip content over the limit of %d bytes once decompressed", ErrTooLarge, limit)
	}
	return buf, true, nil
}

// sizeHint guesses the decompressed size of gzip data from its trailer's
// ISIZE (the size mod 2^32 of the last member), plus one byte to see the
// end without growing. It is only a first allocation, never more than
// atMost.
func sizeHint(data []byte, atMost int64) int64 {
	size := int64(binary.LittleEndian.Uint32(data[len(data)-4:])) + 1
	if size < int64(len(data)) || size > atMost {
		size = int64(len(data)) * 4
	}
	return min(size, atMost, 1<<30)
}

// readAtMost reads r to its end or to limit bytes, whichever comes first,
// into a buffer of initial capacity hint.
func readAtMost(r io.Reader, limit, hint int64) ([]byte, error) {
	buf := make([]byte, 0, max(hint, 512))
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(cap(buf)), limit-int64(len(buf)))))
		}
		free := buf[len(buf):cap(buf)]
		if room := limit - int64(len(buf)); int64(len(free)) > room {
			free = free[:room]
		}
		n, err := r.Read(free)
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// unsupportedEncoding returns the first content coding in a Content-Encoding
// header that Decode cannot undo, or "".
func unsupportedEncoding(header string) string {
	for tok := range strings.SplitSeq(header, ",") {
		switch tok = strings.ToLower(strings.TrimSpace(tok)); tok {
		case "", "identity", "gzip", "x-gzip":
		default:
			return tok
		}
	}
	return ""
}

// gzipError describes a gzip stream that cannot be read.
func gzipError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: truncated gzip", ErrBadFormat)
	case errors.Is(err, gzip.ErrChecksum):
		return fmt.Errorf("%w: gzip checksum mismatch", ErrBadFormat)
	case errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("%w: invalid gzip header", ErrBadFormat)
	case errors.As(err, &corrupt):
		return fmt.Errorf("%w: corrupt gzip data", ErrBadFormat)
	}
	return fmt.Errorf("%w: unreadable gzip: %w", ErrBadFormat, err)
}

// toUTF8 drops a UTF-8 byte order mark, converts UTF-16 with a byte order
// mark, and refuses anything that is not text: NUL bytes or invalid UTF-8.
func toUTF8(b []byte, owned bool) ([]byte, bool, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		b = b[3:]
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}):
		b, owned = fromUTF16(b[2:], binary.LittleEndian), true
	case bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		b, owned = fromUTF16(b[2:], binary.BigEndian), true
	}
	if len(b) == 0 {
		return nil, false, fmt.Errorf("%w: empty: no text", ErrBadFormat)
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return nil, false, fmt.Errorf("%w: binary content: NUL byte at offset %d", ErrBadFormat, i)
	}
	if !utf8.Valid(b) {
		return nil, false, fmt.Errorf("%w: binary content: not valid UTF-8 text", ErrBadFormat)
	}
	return b, owned, nil
}

// fromUTF16 converts UTF-16 to UTF-8; unpaired surrogates and an odd last
// byte become U+FFFD.
func fromUTF16(b []byte, order binary.ByteOrder) []byte {
	out := make([]byte, 0, len(b)+len(b)/2)
	for i := 0; i < len(b); i += 2 {
		if i+1 == len(b) {
			out = utf8.AppendRune(out, utf8.RuneError)
			break
		}
		r := rune(order.Uint16(b[i:]))
		if utf16.IsSurrogate(r) {
			r2 := utf8.RuneError
			if i+3 < len(b) {
				r2 = rune(order.Uint16(b[i+2:]))
			}
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				r = d
				i += 2
			} else {
				r = utf8.RuneError
			}
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

// normalizeNewlines turns CRLF and lone CR into LF, in place when owned.
func normalizeNewlines(b []byte, owned bool) []byte {
	i := bytes.IndexByte(b, '\r')
	if i < 0 {
		return b
	}
	out := b
	if !owned {
		out = make([]byte, len(b))
		copy(out, b[:i])
	}
	j := i
	for ; i < len(b); i++ {
		c := b[i]
		if c == '\r' {
			if i+1 < len(b) && b[i+1] == '\n' {
				continue
			}
			c = '\n'
		}
		out[j] = c
		j++
	}
	return out[:j]
}

// startsWithJSON reports whether b, after white space, opens a JSON
// object or an array of objects. Text that starts with '[' ("[SPEAKER_00]:
// hi", "[00:00:01.000 --> ...]") does not.
func startsWithJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\n")
	if len(b) > 0 && b[0] == '[' {
		b = bytes.TrimLeft(b[1:], " \t\n")
	}
	return len(b) > 0 && b[0] == '{'
}
