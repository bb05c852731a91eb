// Package chunk cuts transcripts into pieces that fit a model's input
// budget, for map-reduce summarization, and estimates token counts without a
// tokenizer.
//
// It owns two things:
//
//   - [EstimateTokens]: a cheap, allocation-free upper bound of the tokens
//     the T5 (flan-t5) and LLaMA-family SentencePiece tokenizers spend on a
//     text, validated against real LLaMA-2 counts (testdata/README.md);
//   - [Split] and [SplitSpans]: chunks of at most Config.Budget tokens that
//     end at the strongest boundary available (speaker turns, paragraphs,
//     lines, sentences, clauses, words, and runes only inside a word longer
//     than the budget), each repeating up to Config.Overlap tokens of whole
//     sentences from the previous one as context.
//
// Guarantees, checked by the fuzz targets: every chunk counts at most Budget
// tokens by Config.Count; chunks are in order and, once their overlaps are
// removed, hold every non-space character of the text exactly once; chunks
// are substrings of the text, so they are valid UTF-8 when the text is, and
// a cut never falls inside a UTF-8 sequence.
//
// The package is deterministic, safe for concurrent use, and never does I/O,
// logging or network calls; it never rewrites text (white space inside a
// chunk is kept as it is; callers normalise first if they want to). It knows
// nothing about prompts: callers subtract the prompt's cost from the model's
// context to get the Budget.
package chunk
