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
//     decoded; captions whose cues repeat each other are de-duplicated
//     (below);
//   - Whisper's TSV (start, end and text columns, times in milliseconds,
//     as Whisper, faster-whisper and WhisperX write it): the text column;
//   - Otter.ai text exports ("Jane Doe  0:42" above each turn's text):
//     the turns, without their times and the free plan's footer;
//   - whisper.cpp's console output ("[00:00:01.000 --> 00:00:04.000]
//     text"): the text, --tinydiarize's [SPEAKER_TURN] ending a turn and
//     --print-colors' escapes dropped;
//   - Amazon Transcribe batch JSON: audio_segments, else with channel
//     identification the channels' items in time order, else items with
//     the speaker labels, else the transcript;
//   - Amazon Transcribe Call Analytics JSON: the Transcript segments,
//     as turns of the Agent and the Customer;
//   - Amazon Bedrock Data Automation audio standard output: the
//     audio_segments, else the transcript's representation;
//   - Whisper and WhisperX JSON: the segments when WhisperX named speakers,
//     else the text;
//   - Deepgram pre-recorded JSON: the utterances, else each channel's
//     paragraphs, else its words when they have speakers, else its
//     transcript;
//   - AssemblyAI transcript JSON: the utterances, else the words when
//     they have speakers, else the text;
//   - Azure Speech JSON of batch transcription (recognizedPhrases, else
//     combinedRecognizedPhrases), fast transcription (phrases, else
//     combinedPhrases) and real-time recognition (DisplayText or NBest,
//     one result or a list of them), phrases in the order of their
//     offsets;
//   - Google Speech-to-Text v1 and v2 JSON: with diarization the words of
//     the last result, which holds every word with its speaker, else the
//     results' transcripts;
//   - Rev.ai transcript JSON: the monologues' elements;
//   - Speechmatics json-v2: the words and punctuation of the results,
//     joined as their attaches_to says.
//
// The structured formats come out as speaker turns, one per line, written
// "Speaker: text" when the speaker is known: from a WebVTT voice tag
// (<v Alice>), a label at the start of a cue line ("Alice: ", "[Alice] ",
// "- Alice: "), Otter's turn header, a TSV speaker column, or a
// diarization label. A diarization label is named the same way in every
// format (speakerName), from the first of the vendor's numbering:
// Transcribe's spk_0, WhisperX's SPEAKER_00 and "[SPEAKER_00]: ",
// whisper.cpp's "(speaker 0)" and <v Speaker0>, Deepgram's and Rev.ai's
// 0, Google's and Azure's 1, Speechmatics' S1 and AssemblyAI's A all
// become "Speaker 1" (whisper.cpp's "(speaker ?)" "Speaker ?"), and
// channels "Channel 1" (Transcribe's ch_0, Deepgram's and Azure's 0,
// Google's 1, Speechmatics' channel_1); a name the vendor gives (Rev.ai's
// speaker_name, Call Analytics' roles) is kept. Channels that a vendor
// lists one after the other are interleaved in time order. Punctuation
// attaches to the word before it, and words of the scripts written
// without spaces (Han, Hiragana, Katakana) join without one. Plain text
// keeps its lines, but a diarization label that starts one is named too
// where the name is no longer than the label ("spk_0: " stays). The
// exports of tools that write no names of their own (TSV, whisper.cpp)
// take only diarization labels from their text, so that "We have three
// items: ..." is no speaker. Consecutive text of the same speaker is one
// turn, and text without a speaker continues the turn before it. No
// spoken word of the input is ever dropped: only markup is, and the
// repeats of captions that repeat.
//
// Repeating captions. YouTube's auto-captions roll: each cue shows the
// line before and the line being spoken (with a timestamp before each
// word), then that line alone for 10 ms; roll-up and paint-on captions
// carry rows or grow a line word by word. Word-highlight subtitles
// (Whisper and WhisperX --highlight_words, stable-ts, karaoke) repeat a
// whole subtitle once per word with that word, or the words sung so far,
// marked. The style is told from the file (captionStyle): consecutive
// cues overlap when the second repeats the first with only markup moved,
// or starts with the first one's last line, or with that line's words.
// A cue repeated with another word marked makes a highlight file; a file
// that shows YouTube wrote it (timestamps in cue text, a window opened by
// a line of white space, a cue of 50 ms or less repeating the text
// before) rolls when half its pairs overlap; any other file is
// de-duplicated only when nine pairs in ten overlap, and twenty at
// least. Only then, and at word level, is each spoken word written once:
// a rolling cue's carried lines and a grown line's old words are
// skipped, a highlight cue that repeats the cue before is skipped unless
// its mark moved back, which says the line was said again. An ordinary
// file whose cues repeat a word ("no" / "no, that's wrong") keeps every
// word.
//
// Detection. The content decides, the key's extension (after a ".gz")
// only where the content does not tell. Content that opens a JSON object
// (or an array of objects) is JSON whatever the key says: one of the JSON
// transcripts above, recognized by its top-level fields, or ErrBadFormat
// (a .txt holding other JSON is not summarized as JSON text); under a key
// that is not .json, content that is not valid JSON after all is read as
// text. Content that starts with "WEBVTT" is WebVTT; content whose first
// non-blank lines are a cue number and a timing line (or a timing line
// alone) is SRT; a first non-blank line "start\tend\ttext" followed by a
// row is Whisper's TSV (another .tsv is text); a first non-blank line
// "[00:00:00.000 --> 00:00:04.000] ..." is whisper.cpp's output; a first
// paragraph that starts with an Otter turn header, in a file where half
// the paragraphs do, is an Otter export. A .srt or .vtt whose cues do not
// start the file is still read as such when any line is a timing line,
// and as text when none is. A .json must be one of the JSON transcripts.
// Anything else is text.
//
// Errors wrap ErrBadFormat (empty, binary, corrupt gzip, unrecognized
// JSON, whose error names the JSON shapes read) or ErrTooLarge (over the
// limit once decompressed, or a text that would be longer than its
// content); both are permanent, and the caller
// maps them to the bad_format and too_large dead-letter reasons. Their
// text is short and never quotes the content.
//
// Memory. Whatever the shape of the content, decoding it takes memory in
// proportion to its size, never per element of it: the content is read
// in place (copied only to decompress it, to convert UTF-16 or to drop
// CRs); JSON is walked, not built, so millions of empty Transcribe items,
// alternatives, Whisper segments or any vendor's words cost nothing;
// subtitles and the text exports are read line by line into the turns
// (telling and de-duplicating repeating captions holds two cues at a
// time, each at most 16 lines and 64 KiB: a longer cue goes straight into
// the turns); the text is never longer than the content plus 4 KiB, and a
// text that would be (Transcribe's speaker_labels can give
// one long name to many words) fails with ErrTooLarge as soon as it
// passes that. Older Transcribe output, whose words find their speaker by
// start time, adds an index of 32 bytes per labeled word. Pieces of text
// that a vendor lists out of time order (the channels of a recording one
// after the other: Transcribe's channel identification, Deepgram's
// paragraphs, Azure's phrases, Google's results) are sorted through an
// index of 12 bytes per piece that holds text, and a piece that holds
// text takes at least 13 bytes of JSON, so the index is never bigger than
// the content; pieces listed in order need no index.
//
// This package never reads S3, never logs, never retries and never decides
// what happens to a message; it does not split or summarize text. It holds
// no state and is safe for concurrent use.
package transcript
