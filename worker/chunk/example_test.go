package chunk_test

import (
	"fmt"
	"strings"

	"github.com/summarizer/summarizer/worker/chunk"
)

func ExampleSplit() {
	transcript := `Alice: Welcome, everyone. Today we review the budget for the next quarter.
Bob: Thanks. Revenue grew, but costs grew faster. We must cut travel.
Carol: Support tickets doubled after the release. We need two more people.
Alice: Let's decide on hiring next week.`

	chunks, err := chunk.Split(transcript, chunk.Config{Budget: 64, Overlap: 16})
	if err != nil {
		panic(err)
	}
	for _, c := range chunks {
		fmt.Printf("%d tokens: %s\n", chunk.EstimateTokens(c), strings.ReplaceAll(c, "\n", " / "))
	}
	// Output:
	// 61 tokens: Alice: Welcome, everyone. Today we review the budget for the next quarter. / Bob: Thanks. Revenue grew, but costs grew faster. We must cut travel.
	// 57 tokens: We must cut travel. / Carol: Support tickets doubled after the release. We need two more people. / Alice: Let's decide on hiring next week.
}

func ExampleSplitSpans() {
	text := "The first sentence is here. The second one follows it closely. A third sentence closes the whole text."
	spans, err := chunk.SplitSpans(text, chunk.Config{
		Budget:  16,
		Overlap: 8,
		Count:   func(s string) int { return len(strings.Fields(s)) }, // words
	})
	if err != nil {
		panic(err)
	}
	for _, s := range spans {
		fmt.Printf("context %q, new %q\n", text[s.OverlapStart:s.Start], text[s.Start:s.End])
	}
	// Output:
	// context "", new "The first sentence is here. The second one follows it closely."
	// context "The second one follows it closely. ", new "A third sentence closes the whole text."
}

func ExampleEstimateTokens() {
	for _, s := range []string{"Hello, world!", "2024-10-14", "中文句子。", "😀"} {
		fmt.Println(chunk.EstimateTokens(s), s)
	}
	// Output:
	// 8 Hello, world!
	// 14 2024-10-14
	// 15 中文句子。
	// 6 😀
}
