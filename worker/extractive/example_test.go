package extractive_test

import (
	"fmt"

	"github.com/summarizer/summarizer/worker/extractive"
)

func ExampleSummarize() {
	text := `The city council met on Tuesday to debate the annual budget for public transport.
The weather was sunny and warm. Council members agreed that the transport budget must grow to fund new bus routes.
A local bakery celebrated its tenth anniversary.
The final transport budget includes funding for forty electric buses and new bus routes.`

	// The text has 55 words: the summary gets a third of them, 19, which
	// is less than the 30 allowed, and holds the most central sentence.
	fmt.Println(extractive.Summarize(text, 30))
	// Output:
	// Council members agreed that the transport budget must grow to fund new bus routes.
}

func ExampleSentences() {
	for _, s := range extractive.Sentences("Mr. Smith paid $3.5 million, e.g. for land. Really?\nAlice: Yes... it closed. 中文。好！") {
		fmt.Println(s)
	}
	// Output:
	// Mr. Smith paid $3.5 million, e.g. for land.
	// Really?
	// Alice: Yes... it closed.
	// 中文。
	// 好！
}
