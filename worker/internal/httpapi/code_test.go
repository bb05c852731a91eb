package httpapi

import (
	"strings"
	"testing"
)

func TestCode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"context_length_exceeded":               "context_length_exceeded",
		" 400 ":                                 "400",
		"torch.cuda.OutOfMemoryError":           "torch.cuda.OutOfMemoryError",
		"<class 'torch.OutOfMemoryError'>":      "torch.OutOfMemoryError",
		"urn:error/validation-failed":           "urn:error/validation-failed",
		"":                                      "",
		"two words":                             "",
		"Alice: the launch plan":                "",
		"input_value='Alice said'":              "",
		"café":                                  "",
		"<class 'a b'>":                         "",
		"line\nbreak":                           "",
		strings.Repeat("x", MaxCodeBytes):       strings.Repeat("x", MaxCodeBytes),
		strings.Repeat("x", MaxCodeBytes+1):     "",
		"key_sk-LEAK_in_a_code":                 "",
		"sk-LEAK":                               "",
		"<class 'torch.OutOfMemoryError'> tail": "",
	} {
		if got := Code(in, "sk-LEAK"); got != want {
			t.Errorf("Code(%q) = %q, want %q", in, got, want)
		}
	}
}

// errorCodeCases are the table of TestErrorCode and the seeds of FuzzErrorCode: error
// documents of the shapes backends send, most of them quoting their input.
var errorCodeCases = []struct{ body, want string }{
	{`{"error":"Unauthorized"}`, "Unauthorized"},
	{`{"error":"fake_500"}`, "fake_500"},
	{`{"error":"Job not found"}`, ""},
	{`{"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error","code":"context_length_exceeded"}}`, "context_length_exceeded"},
	{`{"error":{"message":"bad","type":"invalid_request_error","code":null}}`, "invalid_request_error"},
	{`{"object":"error","message":"too long","type":"BadRequestError","code":400}`, "400"},
	{`{"detail":[{"type":"string_too_long","loc":["body","input","text"],"msg":"String should have at most 10 characters","input":"Alice: the launch plan"}]}`, "string_too_long"},
	{`{"detail":"1 validation error for Input\ntext\n  String should have at most 10 characters [type=string_too_long, input_value='Alice: the launch plan', input_type=str]"}`, ""},
	{`"{\"error_type\": \"<class 'torch.OutOfMemoryError'>\", \"error_message\": \"CUDA out of memory\", \"error_traceback\": \"Traceback: Alice said\"}"`, "torch.OutOfMemoryError"},
	{`"ValueError"`, "ValueError"},
	{`"ValueError: could not parse Alice: the launch plan"`, ""},
	{`{"error":"sk-LEAK"}`, ""},
	{`{"code":"sk-LEAK","type":"auth_error"}`, "auth_error"},
	{`<html>502 Bad Gateway</html>`, ""},
	{`[{"type":"missing"}]`, "missing"},
	{``, ""},
	{`null`, ""},
	{`{"error":{"error":{"error":{"error":{"error":{"error":"deep"}}}}}}`, ""},
}

func TestErrorCode(t *testing.T) {
	t.Parallel()
	for _, tt := range errorCodeCases {
		if got := ErrorCode([]byte(tt.body), "sk-LEAK"); got != tt.want {
			t.Errorf("ErrorCode(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

// FuzzErrorCode: whatever the answer, the code is one token that Code keeps, so it
// holds no run of two words of anything, and not the key.
func FuzzErrorCode(f *testing.F) {
	for _, tt := range errorCodeCases {
		f.Add([]byte(tt.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := ErrorCode(body, "sk-LEAK")
		if got != Code(got, "sk-LEAK") || strings.ContainsAny(got, " \t\r\n") || strings.Contains(got, "sk-LEAK") {
			t.Fatalf("ErrorCode(%q) = %q", body, got)
		}
	})
}
