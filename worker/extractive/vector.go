package extractive

import (
	"math"
	"slices"
	"unicode"
	"unicode/utf8"

	rules "github.com/summarizer/summarizer/worker/internal/sentence"
)

// vector is a sparse unit-length TF-IDF vector with ascending term ids.
type vector struct {
	ids []int32
	w   []float64
}

// dot is the inner product of two sparse vectors (their cosine similarity,
// as both have unit length).
func dot(a, b vector) float64 {
	s := 0.0
	i, j := 0, 0
	for i < len(a.ids) && j < len(b.ids) {
		switch {
		case a.ids[i] < b.ids[j]:
			i++
		case a.ids[i] > b.ids[j]:
			j++
		default:
			s += a.w[i] * b.w[j]
			i++
			j++
		}
	}
	return s
}

// vectorize returns the unit TF-IDF vector of every sentence. Term ids are
// given in order of first appearance, so the result does not depend on map
// iteration order. Weights are (1+ln tf) · (1+ln((1+N)/(1+df))).
func vectorize(sents []sentence) []vector {
	terms := make(map[string]int32)
	var (
		all []int32 // term ids of every sentence, concatenated
		off = make([]int, len(sents)+1)
		buf []byte
	)
	for i, s := range sents {
		off[i] = len(all)
		buf = buf[:0]
		emit := func() {
			if len(buf) == 0 {
				return
			}
			tok := fold(buf)
			buf = buf[:0]
			if tok == nil || stopWords[string(tok)] {
				return
			}
			id, ok := terms[string(tok)]
			if !ok {
				id = int32(len(terms))
				terms[string(tok)] = id
			}
			all = append(all, id)
		}
		body := s.text
		if s.turn {
			// Speaker names say who talks, not what about: they would tie
			// every turn of one speaker together.
			body = body[rules.SpeakerLabel(body):]
		}
		for _, r := range body {
			switch {
			case isIdeograph(r):
				emit()
				buf = utf8.AppendRune(buf, r)
				emit()
			case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
				buf = utf8.AppendRune(buf, unicode.ToLower(r))
			case r == '\'' || r == '’':
				// "don't" -> "dont": an apostrophe joins, it does not split.
			default:
				emit()
			}
		}
		emit()
	}
	off[len(sents)] = len(all)

	// Collapse each sentence's ids into sorted unique ids with counts.
	df := make([]int, len(terms))
	type tf struct {
		ids    []int32
		counts []int
	}
	tfs := make([]tf, len(sents))
	for i := range sents {
		seg := all[off[i]:off[i+1]]
		slices.Sort(seg)
		var t tf
		for k, id := range seg {
			if k > 0 && seg[k-1] == id {
				t.counts[len(t.counts)-1]++
				continue
			}
			t.ids = append(t.ids, id)
			t.counts = append(t.counts, 1)
			df[id]++
		}
		tfs[i] = t
	}

	n := float64(len(sents))
	vecs := make([]vector, len(sents))
	for i, t := range tfs {
		if len(t.ids) == 0 {
			continue
		}
		w := make([]float64, len(t.ids))
		norm := 0.0
		for k, id := range t.ids {
			idf := 1 + math.Log((1+n)/(1+float64(df[id])))
			w[k] = (1 + math.Log(float64(t.counts[k]))) * idf
			norm += w[k] * w[k]
		}
		norm = math.Sqrt(norm)
		for k := range w {
			w[k] /= norm
		}
		vecs[i] = vector{ids: t.ids, w: w}
	}
	return vecs
}

// fold applies a crude plural fold to a lower-case token in place and
// returns it, or nil for a token too short to carry meaning.
func fold(tok []byte) []byte {
	if len(tok) == 1 && tok[0] < utf8.RuneSelf && !isDigit(tok[0]) {
		return nil // "s" from "it's", stray letters
	}
	n := len(tok)
	switch {
	case n > 4 && string(tok[n-3:]) == "ies":
		tok = append(tok[:n-3], 'y')
	case n > 4 && (string(tok[n-4:]) == "ches" || string(tok[n-4:]) == "shes" ||
		string(tok[n-4:]) == "sses" || string(tok[n-3:]) == "xes"):
		tok = tok[:n-2]
	case n > 3 && tok[n-1] == 's' && tok[n-2] != 's' && tok[n-2] != 'u' && tok[n-2] != 'i':
		tok = tok[:n-1]
	}
	return tok
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// isIdeograph reports scripts written without spaces between words, which
// are indexed one character at a time.
func isIdeograph(r rune) bool {
	return r >= 0x2E80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r))
}

// stopWords are dropped before similarity: common English function words and
// the fillers of spoken transcripts. Apostrophes are already removed ("dont").
var stopWords = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range []string{
		"a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
		"any", "are", "as", "at", "be", "because", "been", "before", "being", "below",
		"between", "both", "but", "by", "can", "cant", "could", "couldnt", "did", "didnt",
		"do", "doe", "does", "doesnt", "doing", "dont", "down", "during", "each", "even",
		"ever", "few", "for", "from", "further", "get", "got", "had", "hadnt", "ha", "has",
		"hasnt", "have", "havent", "having", "he", "hed", "hell", "her", "here", "hers",
		"herself", "hes", "him", "himself", "his", "how", "i", "id", "if", "ill", "im",
		"in", "into", "is", "isnt", "it", "itll", "its", "itself", "ive", "just", "let",
		"lets", "me", "more", "most", "much", "must", "my", "myself", "no", "nor", "not",
		"now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "ours",
		"ourselves", "out", "over", "own", "same", "she", "shed", "shell", "shes",
		"should", "shouldnt", "so", "some", "such", "than", "that", "thats", "the",
		"their", "theirs", "them", "themselves", "then", "there", "theres", "these",
		"they", "theyd", "theyll", "theyre", "theyve", "this", "those", "through", "to",
		"too", "under", "until", "up", "us", "very", "wa", "was", "wasnt", "we", "wed",
		"well", "were", "werent", "weve", "what", "whats", "when", "where", "which",
		"while", "who", "whom", "why", "will", "with", "wont", "would", "wouldnt", "yes",
		"you", "youd", "youll", "your", "youre", "yours", "yourself", "yourselves",
		"youve",
		// spoken fillers and back-channels
		"ah", "oh", "ok", "okay", "uh", "um", "umm", "hmm", "mm", "mhm", "yeah", "yep",
		"yup", "nope", "right", "sure", "like", "really", "actually", "basically",
		"kind", "sort", "know", "mean", "think", "guess", "gonna", "wanna", "gotta",
		"thing", "stuff", "lot", "thank", "thanks", "hi", "hello", "hey", "bye",
		"good", "great", "cool", "alright", "everyone", "everybody", "anyone", "anybody",
		"someone", "somebody", "something", "anything", "nothing", "everything",
	} {
		m[w] = true
	}
	return m
}()
