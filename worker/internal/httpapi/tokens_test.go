package httpapi

import (
	"strings"
	"testing"
)

// testTokens are special tokens of the kinds the clients list.
var testTokens = []string{"<pad>", "</s>", "<s>", "<|eot_id|>", "<|end_of_text|>"}

// cleanTextCases are the table of TestCleanText and the seeds of FuzzCleanText.
var cleanTextCases = []struct{ in, want string }{
	{"", ""},
	{"  just text \n", "just text"},
	{"<s>Summary.</s>", "Summary."},
	{"<pad><pad> a <pad>", "a"},
	{"<<pad>/s>", ""},
	{"<|eot<pad>_id|>c", "c"},
	{"<<|end_of_text|>s>d<|eot_id|", "d<|eot_id|"},
	{"a<b>c</b> 1 < 2 > 0", "a<b>c</b> 1 < 2 > 0"},
	{"x <|im_end|>", "x <|im_end|>"},
	{"é<pad>ü", "éü"},
	{"<s >", "<s >"},
}

func TestCleanText(t *testing.T) {
	t.Parallel()
	for _, tt := range cleanTextCases {
		if got := CleanText(tt.in, testTokens); got != tt.want {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := CleanText(" <pad>a</s> ", nil); got != "<pad>a</s>" {
		t.Errorf("CleanText with no tokens = %q, want only trimmed", got)
	}
	if got := CleanText("a<|end_of_text|>", []string{"<pad>"}); got != "a<|end_of_text|>" {
		t.Errorf("CleanText removed a token not listed: %q", got)
	}
}

// FuzzCleanText: whatever the text, the result is trimmed and holds none of the tokens.
func FuzzCleanText(f *testing.F) {
	for _, tt := range cleanTextCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CleanText(s, testTokens)
		if got != strings.TrimSpace(got) {
			t.Fatalf("CleanText(%q) = %q is untrimmed", s, got)
		}
		for _, tok := range testTokens {
			if strings.Contains(got, tok) {
				t.Fatalf("CleanText(%q) = %q contains %s", s, got, tok)
			}
		}
	})
}
