// Package transcripttest makes transcripts for tests and benchmarks of
// the packages that read them.
package transcripttest

import (
	"fmt"
	"strings"
)

// Diarized is a transcript of about words spoken words in short turns
// under "Speaker N" labels, as Whisper and diarization tools write them:
// about 3 estimated tokens a spoken word.
func Diarized(words int) string {
	turns := []string{
		"So the migration of shard %d finished over the weekend, and read latency dropped by about 40%%.",
		"Right.",
		"Two small hiccups: the nightly export still pointed at the old host, and one dashboard showed stale numbers.",
		"Okay, makes sense. Who owns the export job now?",
		"I do. I'll move it to the new host by Wednesday.",
		"Good. Next item: the Q3 hiring plan, three engineers and one designer.",
		"Can we afford four? Finance said 2 at most until October.",
		"Let's ask again on Thursday at 10:30.",
	}
	var b strings.Builder
	for i, n := 0, 0; n < words; i++ {
		t := turns[i%len(turns)]
		if strings.Contains(t, "%d") {
			t = fmt.Sprintf(t, i) // no two chunks alike
		}
		fmt.Fprintf(&b, "Speaker %d: %s\n", i%4+1, t)
		n += len(strings.Fields(t))
	}
	return b.String()
}
