// Package transcript turns the raw bytes of an uploaded object into clean
// transcript text for a summarizer.
//
// It owns everything between "the bytes of s3://bucket/key" and "the text
// to summarize": gzip (by magic bytes, or a key like x.srt.gz), the
// character encoding (UTF-8, with or without a byte order mark; UTF-16
// with one), line ends (CRLF and lone CR), the transcript formats, and the
// size limit on what gzip may inflate to (a gzip bomb fails after limit+1
// bytes). The formats:
//
//   - plain text (.txt, .text, .md): kept as it is, but trailing white
//     space is trimmed and runs of blank lines collapse to one;
//   - SubRip (.srt) and WebVTT (.vtt): cue numbers, identifiers, timings,
//     the WebVTT header and NOTE, STYLE and REGION blocks, styling tags,
//     timestamps and {\an8} overrides are dropped and character references
//     decoded;
//   - Amazon Transcribe batch JSON: audio_segments, else items with the
//     speaker labels, else the transcript;
//   - Whisper and WhisperX JSON: the segments when WhisperX named speakers,
//     else the text.
//
// The structured formats come out as speaker turns, one per line, written
// "Speaker: text" when the speaker is known: from a WebVTT voice tag
// (<v Alice>), a label at the start of a cue line ("Alice: ", "[Alice] ",
// "- Alice: "), or a diarization label (Transcribe's spk_0 and WhisperX's
// SPEAKER_00 become "Speaker 1"). Consecutive text of the same speaker is
// one turn, and text without a speaker continues the turn before it. No
// spoken word of the input is ever dropped: only markup is.
//
// Detection. The key's extension (after a ".gz") chooses, and the content
// is checked: content that starts with "WEBVTT" is WebVTT, and content
// whose first non-blank lines are a cue number and a timing line (or a
// timing line alone) is SRT, whatever the extension, so a .txt holding SRT
// is read as SRT. A .srt or .vtt whose cues do not start the file is still
// read as such when any line is a timing line, and as text when none is. A
// .json must be a Transcribe or Whisper transcript. Any other extension is
// sniffed: a JSON object is tried as Transcribe or Whisper, then WebVTT,
// then SRT, and anything else is text.
//
// Errors wrap ErrBadFormat (empty, binary, corrupt gzip, unrecognized
// JSON) or ErrTooLarge (over the limit once decompressed, or a text that
// would be longer than its content); both are permanent, and the caller
// maps them to the bad_format and too_large dead-letter reasons. Their
// text is short and never quotes the content.
//
// Memory. Whatever the shape of the content, decoding it takes memory in
// proportion to its size, never per element of it: the content is read
// in place (copied only to decompress it, to convert UTF-16 or to drop
// CRs); JSON is walked, not built, so millions of empty Transcribe items,
// alternatives or Whisper segments cost nothing; subtitles are read line
// by line into the turns; the text is never longer than the content plus
// 4 KiB, and a text that would be (Transcribe's speaker_labels can give
// one long name to many words) fails with ErrTooLarge as soon as it
// passes that. Older Transcribe output, whose words find their speaker by
// start time, adds an index of 32 bytes per labeled word.
//
// This package never reads S3, never logs, never retries and never decides
// what happens to a message; it does not split or summarize text. It holds
// no state and is safe for concurrent use.
package transcript
