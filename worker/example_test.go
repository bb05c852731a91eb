package worker_test

import (
	"fmt"

	"github.com/summarizer/summarizer/worker"
	"github.com/summarizer/summarizer/worker/journal"
)

// Where the summary of an upload goes, below OUTPUT_PREFIX, and which keys
// the recursion guard never treats as work.
func ExampleSummaryKey() {
	fmt.Println(worker.SummaryKey("meetings/2026/stand up.srt.gz", "text"))
	fmt.Println(worker.SummaryKey("calls/acme.json", "json"))
	fmt.Println(worker.IsSummaryKey("summaries/meetings/2026/stand up.srt.gz.summary.txt"))
	jk := journal.Key("summaries/calls/acme.json.summary.json", "9b2cf535f27731c974343645a3985328")
	fmt.Println(jk, worker.IsSummaryKey(jk))
	// Output:
	// meetings/2026/stand up.srt.gz.summary.txt
	// calls/acme.json.summary.json
	// true
	// summaries/calls/acme.json.summary.json.9b2cf535f27731c974343645a3985328.jobs true
}
