package worker_test

import (
	"fmt"

	"github.com/summarizer/summarizer/worker"
)

// Where the summary of an upload goes, below OUTPUT_PREFIX, and which keys
// the recursion guard never treats as work.
func ExampleSummaryKey() {
	fmt.Println(worker.SummaryKey("meetings/2026/stand up.srt.gz", "text"))
	fmt.Println(worker.SummaryKey("calls/acme.json", "json"))
	fmt.Println(worker.IsSummaryKey("summaries/meetings/2026/stand up.summary.txt"))
	fmt.Println(worker.IsSummaryKey("summaries/calls/acme.summary.json.jobs.json"))
	// Output:
	// meetings/2026/stand up.summary.txt
	// calls/acme.summary.json
	// true
	// true
}
