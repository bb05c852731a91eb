package backend_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/worker"
	"github.com/summarizer/summarizer/worker/backend"
	"github.com/summarizer/summarizer/worker/extractive"
)

// TestExtractiveLength: the built-in backend, with the word cap the
// summarizer command gives it for the default SUMMARY_TOKENS (256*3/4),
// returns at most a third of each sample transcript (rounded up), whole
// sentences in their order. The exact rule and its property tests live in
// package extractive.
func TestExtractiveLength(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "transcripts", "*"))
	if err != nil || len(files) < 3 {
		t.Fatalf("sample transcripts: %v, %d files", err, len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			r, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			text, _, err := worker.ReadText(r, filepath.Base(f), "", 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := backend.Extractive{MaxWords: 256 * 3 / 4}.Summarize(context.Background(), backend.Document{Text: text, Key: filepath.Base(f)})
			if err != nil {
				t.Fatal(err)
			}
			in, out := len(strings.Fields(text)), len(strings.Fields(sum.Text))
			if out == 0 || out > (in+2)/3 || out > 256*3/4 {
				t.Errorf("%d words in, %d out: want 1 to min(ceil(%d/3), 192)", in, out, in)
			}
			// Its sentences are the transcript's, in order.
			norm, at := strings.Join(strings.Fields(text), " "), 0
			for _, s := range extractive.Sentences(sum.Text) {
				k := strings.Index(norm[at:], s)
				if k < 0 {
					t.Fatalf("%q is not in the transcript after the sentence before it:\n%s", s, sum.Text)
				}
				at += k + len(s)
			}
		})
	}
}
