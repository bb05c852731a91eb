package httpapi

import (
	"bytes"
	"strings"
)

// CleanText removes every occurrence of tokens (model control tokens such as "<pad>" or
// "<|eot_id|>", each starting with '<' and ending with '>') from s and trims whitespace. Removal is one pass
// with a stack, so tokens formed by a removal ("<<pad>/s>") are removed too and the
// result contains none of them.
func CleanText(s string, tokens []string) string {
	if !strings.Contains(s, "<") {
		return strings.TrimSpace(s)
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i])
		if s[i] != '>' {
			continue
		}
		for _, tok := range tokens {
			if bytes.HasSuffix(out, []byte(tok)) {
				out = out[:len(out)-len(tok)]
				break
			}
		}
	}
	return strings.TrimSpace(string(out))
}
