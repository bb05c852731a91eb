package transcript_test

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/transcript"
	"github.com/summarizer/summarizer/worker/transcript/internal/worstcase"
)

// largeSize is the size of the generated inputs: just under the 20 MiB
// default limit.
const largeSize = 20<<20 - 64<<10

// sentences of the generated transcripts.
var sentences = []string{
	"Let's go through the numbers for the third quarter before we decide anything.",
	"Revenue grew by eleven percent, mostly from the café partnerships in Lyon.",
	"I'm not sure the forecast holds if the 中文 localization slips again 🙂.",
	"Can we get the support backlog under two hundred tickets by Friday?",
	"Yes, the new triage rules already cut the response time in half.",
}

// largeInput generates about largeSize bytes of one format, key included.
func largeInput(format transcript.Format) (data []byte, key string) {
	var b strings.Builder
	b.Grow(largeSize + 4096)
	speakers := []string{"Alice", "Bob", "Chloé"}
	switch format {
	case transcript.FormatText:
		for i := 0; b.Len() < largeSize; i++ {
			fmt.Fprintf(&b, "%s: %s\n", speakers[i%3], sentences[i%len(sentences)])
			if i%10 == 9 {
				b.WriteString("\n\n")
			}
		}
		return []byte(b.String()), "large.txt"
	case transcript.FormatSRT:
		for i := 0; b.Len() < largeSize; i++ {
			s := sentences[i%len(sentences)]
			half := strings.IndexByte(s[len(s)/2:], ' ') + len(s)/2
			fmt.Fprintf(&b, "%d\r\n%s --> %s\r\n<i>%s:</i> %s\r\n%s\r\n\r\n", i+1, cueTime(i, ","), cueTime(i+1, ","), speakers[i/2%3], s[:half], s[half+1:])
		}
		return []byte(b.String()), "large.srt"
	case transcript.FormatVTT:
		b.WriteString("WEBVTT\n\nNOTE generated\n\n")
		for i := 0; b.Len() < largeSize; i++ {
			fmt.Fprintf(&b, "%s --> %s align:start\n<v %s>%s &amp; <c.yellow>more</c></v>\n\n", cueTime(i, "."), cueTime(i+1, "."), speakers[i/2%3], sentences[i%len(sentences)])
		}
		return []byte(b.String()), "large.vtt"
	case transcript.FormatTranscribe:
		// Items and speaker labels only: the slower path.
		var items, segs strings.Builder
		t := 0.0
		for i := 0; items.Len()+segs.Len() < largeSize-2048; i++ {
			spk := fmt.Sprintf("spk_%d", i/40%3)
			for _, w := range strings.Fields(sentences[i%len(sentences)]) {
				punct := ""
				if last := w[len(w)-1]; last == '.' || last == '?' || last == ',' {
					w, punct = w[:len(w)-1], w[len(w)-1:]
				}
				if items.Len() > 0 {
					items.WriteByte(',')
				}
				fmt.Fprintf(&items, `{"id":%d,"type":"pronunciation","alternatives":[{"confidence":"0.998","content":%q}],"start_time":"%.2f","end_time":"%.2f","speaker_label":"%s"}`, i, w, t, t+0.3, spk)
				if segs.Len() > 0 {
					segs.WriteByte(',')
				}
				fmt.Fprintf(&segs, `{"speaker_label":"%s","start_time":"%.2f","end_time":"%.2f","items":[{"speaker_label":"%s","start_time":"%.2f","end_time":"%.2f"}]}`, spk, t, t+0.3, spk, t, t+0.3)
				t += 0.31
				if punct != "" {
					fmt.Fprintf(&items, `,{"id":%d,"type":"punctuation","alternatives":[{"confidence":"0.0","content":%q}],"speaker_label":"%s"}`, i, punct, spk)
				}
			}
		}
		fmt.Fprintf(&b, `{"jobName":"large","accountId":"1","status":"COMPLETED","results":{"transcripts":[{"transcript":"..."}],"speaker_labels":{"channel_label":"ch_0","speakers":3,"segments":[%s]},"items":[%s]}}`, segs.String(), items.String())
		return []byte(b.String()), "large.json"
	case transcript.FormatWhisper:
		b.WriteString(`{"segments":[`)
		t := 0.0
		for i := 0; b.Len() < largeSize; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			s := sentences[i%len(sentences)]
			var words strings.Builder
			for j, w := range strings.Fields(s) {
				if j > 0 {
					words.WriteByte(',')
				}
				fmt.Fprintf(&words, `{"word":%q,"start":%.3f,"end":%.3f,"score":0.91,"speaker":"SPEAKER_0%d"}`, w, t, t+0.2, i/3%3)
				t += 0.25
			}
			fmt.Fprintf(&b, `{"start":%.3f,"end":%.3f,"text":" %s","words":[%s],"speaker":"SPEAKER_0%d"}`, t, t+4, s, words.String(), i/3%3)
		}
		b.WriteString(`],"language":"en"}`)
		return []byte(b.String()), "large.json"
	}
	panic("unknown format " + format)
}

var benchFormats = []transcript.Format{
	transcript.FormatText, transcript.FormatSRT, transcript.FormatVTT,
	transcript.FormatTranscribe, transcript.FormatWhisper,
}

func BenchmarkDecode(b *testing.B) {
	for _, format := range benchFormats {
		data, key := largeInput(format)
		b.Run(string(format), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, f, err := transcript.Decode(data, key, "", 0); err != nil || f != format {
					b.Fatalf("Decode: %q, %v", f, err)
				}
			}
		})
	}
	data, key := largeInput(transcript.FormatSRT)
	zipped := gz(b, data)
	b.Run("srt.gz", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := transcript.Decode(zipped, key+".gz", "", 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodePathological decodes inputs built to make a parser scan
// back or ahead again and again, at 512 KB and at 8 MB: with linear work
// the MB/s of both sizes are about the same (compare them with benchstat);
// quadratic work would fall sixteenfold.
func BenchmarkDecodePathological(b *testing.B) {
	cases := []struct{ name, unit, key string }{
		{"unclosed-tags", "<", "a.srt"},
		{"voice-tags", "<v a", "a.vtt"},
		{"tags-without-end", "<i x", "a.srt"},
		{"overrides", "{\\", "a.srt"},
		{"ampersands", "&amp", "a.vtt"},
		{"brackets", "[", "a.srt"},
		{"arrows-on-one-line", "00:00 --> ", "a.srt"},
		{"colons", "A:", "a.srt"},
		{"numbers", "1\n", "a.srt"},
		{"blank-lines", "\n\n\n a", "a.txt"},
		{"CRs", "\r", "a.txt"},
		{"JSON-nesting", `{"results":`, "a.json"},
		{"SRT-cues", "1\n00:00:01,000 --> 00:00:02,000\n<i>Alice:</i> Hello &amp; welcome.\n\n", "a.srt"},
		{"VTT-cues", "00:01.000 --> 00:02.000 align:start\n<v Bob>Hi <c.x>there</c>.</v>\n\n", "a.vtt"},
	}
	for _, tt := range cases {
		for _, size := range []int{512 << 10, 8 << 20} {
			input := []byte("1\n00:00:01,000 --> 00:00:02,000\n" + strings.Repeat(tt.unit, size/len(tt.unit)) + "x\n")
			b.Run(fmt.Sprintf("%s/%dKB", tt.name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(input)))
				b.ReportAllocs()
				for b.Loop() {
					_, _, _ = transcript.Decode(input, tt.key, "", 0)
				}
			})
		}
	}
}

// worstSize is the size of the worst-case inputs: the 19 MiB upload of
// empty Transcribe items that was measured at 13.8 GB RSS for 12 at once.
const worstSize = 19 << 20

// BenchmarkDecodeWorstCase decodes 19 MiB inputs of the shapes that cost
// the most memory per input byte (package worstcase). Besides B/op it
// reports the peak of the Go heap above what it was before the loop (the
// input is not counted), sampled every millisecond: peak-heap-B, and
// peak-x-input, that peak as a multiple of the input size. A decoder
// whose memory is bounded by its input stays at a few x whatever the
// shape:
//
//	go test ./worker/transcript/ -run '^$' -bench DecodeWorstCase -benchmem
func BenchmarkDecodeWorstCase(b *testing.B) {
	for _, name := range worstcase.Names() {
		c, err := worstcase.Build(name, worstSize)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(c.Data)))
			b.ReportAllocs()
			peak := sampleHeap(b)
			for b.Loop() {
				_, _, _ = transcript.Decode(c.Data, c.Key, "", 0)
			}
			extra := peak()
			b.ReportMetric(float64(extra), "peak-heap-B")
			b.ReportMetric(float64(extra)/float64(len(c.Data)), "peak-x-input")
		})
	}
}

// sampleHeap starts sampling the heap in use (HeapInuse, read through
// runtime/metrics, which does not stop the world as ReadMemStats does)
// and returns a function that stops the sampling and returns the peak
// above the heap in use at the start.
func sampleHeap(b *testing.B) (peak func() uint64) {
	b.Helper()
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
	}
	heapInuse := func() uint64 { // HeapInuse of runtime.MemStats
		metrics.Read(samples)
		return samples[0].Value.Uint64() + samples[1].Value.Uint64()
	}
	runtime.GC()
	base := heapInuse()
	top := base
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			top = max(top, heapInuse())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(stop)
		wg.Wait()
		return top - base
	}
}
