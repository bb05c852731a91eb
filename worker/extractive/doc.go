// Package extractive is the built-in summarizer that needs no network and no
// model: it picks the most central sentences of a text with LexRank and
// returns them, unchanged, in their original order.
//
// It owns three things:
//
//   - sentence splitting ([Sentences]): sentence ends at '.', '!', '?', '…'
//     and the CJK full stops; abbreviations such as "Mr." or "e.g.", initials,
//     decimals such as "3.5" and ellipses followed by a lower-case word do not
//     end a sentence; blank lines and speaker-turn lines ("Alice: ...") always
//     start a new one;
//   - word normalisation: lower case, punctuation stripped, a small English
//     stop-word and filler list removed, a crude plural fold, and CJK
//     ideographs taken one character at a time;
//   - ranking and selection ([Summarize]): TF-IDF cosine similarity between
//     sentences, PageRank power iteration with damping [Damping] for at most
//     [MaxIterations] rounds, then the best sentences that fit a word budget
//     ([Budget]): a third of the text's words, at least [MinWords], at most
//     the caller's maxWords, so that a summary reads like one.
//
// The graph is quadratic in the number of sentences, so it is capped: when a
// text has more than [GraphMaxSentences] sentences, every sentence is first
// scored by its cosine similarity to the TF-IDF centroid of the whole text (a
// linear pass) and only the best [GraphMaxSentences] take part in the graph.
// A 30,000-word transcript is summarized in a few tens of milliseconds.
//
// The package is deterministic (same input, same output, on every platform),
// safe for concurrent use, and never does I/O, logging, or network calls; it
// never rewrites, paraphrases or reorders sentences, and only cuts a sentence
// when that single sentence is longer than the whole budget.
package extractive
