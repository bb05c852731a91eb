package extractive

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

const (
	// MaxWordsDefault is the word budget [Summarize] uses when given
	// maxWords <= 0.
	MaxWordsDefault = 120

	// MinWords is the floor of the length budget of [Summarize]: a third of
	// a very short text is a fragment, so the budget is never below
	// MinWords (unless maxWords is), about one spoken sentence. A text of at
	// most MinWords words is its own summary.
	MinWords = 12

	// GraphMaxSentences caps the similarity graph. Texts with more sentences
	// are pre-filtered by similarity to the TF-IDF centroid, a linear pass,
	// and only the best GraphMaxSentences sentences enter the quadratic
	// graph. 400 sentences is a 160,000-cell matrix: about a millisecond.
	GraphMaxSentences = 400

	// Damping is the PageRank damping factor of the power iteration.
	Damping = 0.85

	// MaxIterations caps the power iteration; it usually converges (L1
	// change below 1e-7) in 20 to 40 rounds.
	MaxIterations = 100

	// A candidate repeats a sentence that is already chosen, and is
	// skipped, when their cosine similarity exceeds redundancy or when the
	// Jaccard index of their content words reaches overlapRedundancy (the
	// same sentence with other numbers or names).
	redundancy        = 0.8
	overlapRedundancy = 0.7

	// fullWeightTerms is the number of content words from which a sentence
	// gets its full score; shorter ones ("Yeah, sure.") are scaled down so
	// that a cluster of back-channel replies cannot win.
	fullWeightTerms = 4

	// minRelativeScore drops sentences that score below this fraction of
	// the average (unless nothing was taken yet): they share little with the
	// rest of the text, and a shorter summary is better than one padded
	// with asides.
	minRelativeScore = 0.5

	convergence = 1e-7
)

// Summarize returns an extractive summary of text: whole sentences of text,
// unchanged and in their original order, of at most
//
//	min(maxWords, max(ceil(words/3), MinWords))
//
// words, where maxWords <= 0 means [MaxWordsDefault] and words is the
// number of words of text. A word is a run of non-space characters, as in
// [strings.Fields], except that a CJK full stop also ends a word (text
// written without spaces is counted in sentences); for any other text words
// is len(strings.Fields(text)). So a summary is at most a third of the text,
// and a text of at most [MinWords] words (and at most maxWords) is returned
// whole.
//
// Sentences are ranked by LexRank and taken best first while they fit the
// budget (a sentence that does not fit is skipped, a shorter one after it
// may still be taken; near-duplicates of a chosen sentence are skipped, and
// sentences scoring below half the average, asides that share little with
// the rest, are only taken when nothing else fits), then returned in their
// original order, separated by a single space, or by a newline before a
// sentence that starts a speaker turn. A sentence is never split, unless no
// sentence fits at all: then the best one is cut to its first budget words.
// Empty or white-space-only input returns "".
//
// Summarize is deterministic and safe for concurrent use.
func Summarize(text string, maxWords int) string {
	sents := split(text)
	if len(sents) == 0 {
		return ""
	}
	total := 0
	for _, s := range sents {
		total += s.words
	}
	budget := Budget(total, maxWords)
	if total <= budget {
		all := make([]int, len(sents))
		for i := range all {
			all[i] = i
		}
		return join(sents, all)
	}

	g := newGraph(sents)
	order := make([]int, len(g.nodes)) // positions in g.nodes, best first
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(g.score[b], g.score[a]) // ties keep text order
	})

	var chosen []int // positions in g.nodes
	left := budget
	floor := minRelativeScore / float64(len(g.nodes))
	for _, k := range order {
		if g.score[k] < floor && len(chosen) > 0 {
			break
		}
		s := sents[g.nodes[k]]
		if s.words > left || g.repeats(k, chosen) {
			continue
		}
		chosen = append(chosen, k)
		left -= s.words
		if left == 0 {
			break
		}
	}
	if len(chosen) == 0 {
		return truncate(sents[g.nodes[order[0]]].text, budget)
	}
	picked := make([]int, len(chosen))
	for i, k := range chosen {
		picked[i] = g.nodes[k]
	}
	slices.Sort(picked)
	return join(sents, picked)
}

// Budget is the most words [Summarize] returns for a text of words words
// (counted as Summarize counts them) and maxWords (<= 0: [MaxWordsDefault]):
// a third of the text, rounded up, but at least [MinWords], and never more
// than maxWords or the text itself.
func Budget(words, maxWords int) int {
	if maxWords <= 0 {
		maxWords = MaxWordsDefault
	}
	return max(min(maxWords, max((words+2)/3, MinWords), words), 0)
}

// join concatenates the sentences at the sorted indices idx.
func join(sents []sentence, idx []int) string {
	n := 0
	for _, i := range idx {
		n += len(sents[i].text) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for k, i := range idx {
		if k > 0 {
			if sents[i].turn {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(sents[i].text)
	}
	return b.String()
}

// truncate returns the first n words of the single-spaced s.
func truncate(s string, n int) string {
	at := 0
	for range n {
		k := strings.IndexByte(s[at:], ' ')
		if k < 0 {
			return s
		}
		at += k + 1
	}
	return s[:at-1]
}

// graph is the LexRank graph over the candidate sentences.
type graph struct {
	nodes []int     // sentence index of each node, ascending
	vecs  []vector  // unit TF-IDF vector of each node
	sim   []float64 // len(nodes)^2 cosine similarities, row-major
	score []float64 // final score of each node
}

// repeats reports whether node k is a near-duplicate of a chosen node.
func (g *graph) repeats(k int, chosen []int) bool {
	n := len(g.nodes)
	for _, c := range chosen {
		if g.sim[k*n+c] > redundancy {
			return true
		}
		a, b := g.vecs[k].ids, g.vecs[c].ids
		if both := common(a, b); both > 0 && float64(both) >= overlapRedundancy*float64(len(a)+len(b)-both) {
			return true
		}
	}
	return false
}

// common counts the ids two ascending id lists share.
func common(a, b []int32) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

func newGraph(sents []sentence) *graph {
	vecs := vectorize(sents)
	nodes := make([]int, len(sents))
	for i := range nodes {
		nodes[i] = i
	}
	if len(nodes) > GraphMaxSentences {
		nodes = byCentroid(vecs, GraphMaxSentences)
	}
	g := &graph{nodes: nodes, vecs: make([]vector, len(nodes))}
	for k, i := range nodes {
		g.vecs[k] = vecs[i]
	}
	n := len(nodes)
	g.sim = make([]float64, n*n)
	for a := range n {
		if len(g.vecs[a].ids) == 0 {
			continue
		}
		for b := a + 1; b < n; b++ {
			s := dot(g.vecs[a], g.vecs[b])
			g.sim[a*n+b] = s
			g.sim[b*n+a] = s
		}
	}
	g.score = lexRank(g.sim, n)
	for k := range g.score {
		if t := len(g.vecs[k].ids); t < fullWeightTerms {
			g.score[k] *= float64(t) / fullWeightTerms
		}
	}
	return g
}

// lexRank runs the damped power iteration over the row-normalised
// similarity matrix sim (n×n, zero diagonal) and returns the stationary
// scores. Rows without any similarity spread their mass evenly.
func lexRank(sim []float64, n int) []float64 {
	rowSum := make([]float64, n)
	for a := range n {
		for _, v := range sim[a*n : (a+1)*n] {
			rowSum[a] += v
		}
	}
	p := make([]float64, n)
	next := make([]float64, n)
	for i := range p {
		p[i] = 1 / float64(n)
	}
	for range MaxIterations {
		dangling := 0.0
		clear(next)
		for a := range n {
			if rowSum[a] == 0 {
				dangling += p[a]
				continue
			}
			w := p[a] / rowSum[a]
			row := sim[a*n : (a+1)*n]
			for b, v := range row {
				if v != 0 {
					next[b] += w * v
				}
			}
		}
		base := (1-Damping)/float64(n) + Damping*dangling/float64(n)
		delta := 0.0
		for i := range next {
			next[i] = base + Damping*next[i]
			delta += math.Abs(next[i] - p[i])
		}
		p, next = next, p
		if delta < convergence {
			break
		}
	}
	return p
}

// byCentroid returns the indices (ascending) of the keep vectors most
// similar to the sum of all vectors.
func byCentroid(vecs []vector, keep int) []int {
	vocab := int32(0)
	for _, v := range vecs {
		if k := len(v.ids); k > 0 {
			vocab = max(vocab, v.ids[k-1]+1)
		}
	}
	centroid := make([]float64, vocab)
	for _, v := range vecs {
		for k, id := range v.ids {
			centroid[id] += v.w[k]
		}
	}
	score := make([]float64, len(vecs))
	for i, v := range vecs {
		s := 0.0
		for k, id := range v.ids {
			s += v.w[k] * centroid[id]
		}
		if t := len(v.ids); t < fullWeightTerms {
			s *= float64(t) / fullWeightTerms
		}
		score[i] = s
	}
	idx := make([]int, len(vecs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	idx = idx[:keep]
	slices.Sort(idx)
	return idx
}
