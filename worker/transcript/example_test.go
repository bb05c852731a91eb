package transcript_test

import (
	"errors"
	"fmt"

	"github.com/summarizer/summarizer/worker/transcript"
)

func ExampleDecode() {
	srt := `1
00:00:01,000 --> 00:00:04,000
<i>Alice:</i> Did the deploy
finish?

2
00:00:04,500 --> 00:00:06,000
[Bob] Yes, at 10:42.

3
00:00:06,000 --> 00:00:08,000
No errors so far.
`
	text, format, err := transcript.Decode([]byte(srt), "calls/standup.srt", "", 20<<20)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(format)
	fmt.Println(text)
	// Output:
	// srt
	// Alice: Did the deploy finish?
	// Bob: Yes, at 10:42. No errors so far.
}

// Errors say which dead-letter reason applies.
func ExampleDecode_errors() {
	for _, data := range [][]byte{
		[]byte("%PDF-1.7\n\x00\x01"),
		[]byte(`{"hello":"world"}`),
		[]byte("far too long for the limit"),
	} {
		_, _, err := transcript.Decode(data, "in/file.json", "", 20)
		switch {
		case errors.Is(err, transcript.ErrTooLarge):
			fmt.Println("too_large:", err)
		case errors.Is(err, transcript.ErrBadFormat):
			fmt.Println("bad_format:", err)
		}
	}
	// Output:
	// bad_format: bad transcript format: binary content: NUL byte at offset 9
	// bad_format: bad transcript format: unrecognized JSON transcript (known shapes: Amazon Transcribe, Bedrock Data Automation, Whisper, Deepgram, AssemblyAI, Azure, Google, Rev.ai, Speechmatics)
	// too_large: transcript too large: 26 bytes, over the limit of 20
}

func ExampleStripGzipSuffix() {
	fmt.Println(transcript.StripGzipSuffix("calls/2026/acme.srt.gz"))
	fmt.Println(transcript.StripGzipSuffix("calls/2026/acme.txt"))
	// Output:
	// calls/2026/acme.srt
	// calls/2026/acme.txt
}
