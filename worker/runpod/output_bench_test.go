package runpod

import (
	"encoding/json"
	"strings"
	"testing"
)

// BenchmarkExtractOutput measures ExtractOutput on the output shapes RunPod
// workers return for one summary of about 200 words.
func BenchmarkExtractOutput(b *testing.B) {
	summary := strings.Repeat("The team agreed to ship the release on Friday after the last review. ", 16)
	quoted, err := json.Marshal(summary)
	if err != nil {
		b.Fatal(err)
	}
	s := string(quoted)
	var tokens []string
	for w := range strings.FieldsSeq(summary) {
		tokens = append(tokens, w+" ")
	}
	tokenJSON, err := json.Marshal(tokens)
	if err != nil {
		b.Fatal(err)
	}
	shapes := []struct{ name, raw string }{
		{"string", `"<pad> ` + s[1:len(s)-1] + `</s>"`},
		{"summary", `{"summary":` + s + `}`},
		{"hf_list", `[{"summary_text":` + s + `}]`},
		{"openai", `{"choices":[{"message":{"role":"assistant","content":` + s + `}}],"usage":{"prompt_tokens":900,"completion_tokens":200}}`},
		{"vllm_tokens", `[{"choices":[{"tokens":` + string(tokenJSON) + `}],"usage":{"input":900,"output":200}}]`},
	}
	for _, sh := range shapes {
		raw := json.RawMessage(sh.raw)
		if _, err := ExtractOutput(raw); err != nil {
			b.Fatalf("%s: %v", sh.name, err)
		}
		b.Run(sh.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := ExtractOutput(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
