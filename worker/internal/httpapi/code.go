package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
)

// MaxCodeBytes bounds an error code or type that Code keeps.
const MaxCodeBytes = 64

// Code returns s, a backend's error code or type, if it is one token of at most
// MaxCodeBytes ASCII letters, digits and _ . : / - (Python's "<class 'pkg.Error'>" is
// read as pkg.Error) that does not contain secret; else "". It is the one rule for what
// of a backend's error text may reach an error, a log line or a dead letter: a code
// such as "context_length_exceeded" or "OutOfMemoryError", never free text. A
// backend's messages, validation errors and tracebacks may quote its input (a
// transcript, a summary), and free text cannot be told apart from a quote; one token
// holds at most one word of it.
func Code(s, secret string) string {
	s = strings.TrimSpace(s)
	if inner, ok := strings.CutPrefix(s, "<class '"); ok {
		if inner, ok = strings.CutSuffix(inner, "'>"); ok {
			s = inner
		}
	}
	if s == "" || len(s) > MaxCodeBytes || secret != "" && strings.Contains(s, secret) {
		return ""
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '.', c == ':', c == '/', c == '-':
		default:
			return ""
		}
	}
	return s
}

// codeKeys are the fields of an error document that name its code or type, most
// specific first.
var codeKeys = []string{"code", "error_code", "errorCode", "type", "error_type", "errorType"}

// ErrorCode returns the error code or type an error document names, as Code keeps it,
// or "": the first of the fields code, error_code, errorCode, type, error_type,
// errorType that Code keeps, else the same of an "error" field (a string, or an object
// such as OpenAI's), else of the first item of a "detail" list (FastAPI and pydantic
// validation errors, whose "msg" and "input" quote the input); a JSON string holding
// such a document (RunPod's /status "error" often is one) is read through. Everything
// else, free text included, is dropped.
func ErrorCode(raw []byte, secret string) string { return errorCode(raw, secret, 0) }

func errorCode(raw []byte, secret string, depth int) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || depth > 4 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			return errorCode([]byte(t), secret, depth+1)
		}
		return Code(s, secret)
	case '{':
		var doc map[string]json.RawMessage
		if json.Unmarshal(raw, &doc) != nil {
			return ""
		}
		for _, k := range codeKeys {
			if c := scalarCode(doc[k], secret); c != "" {
				return c
			}
		}
		for _, k := range []string{"error", "detail"} {
			if c := errorCode(doc[k], secret, depth+1); c != "" {
				return c
			}
		}
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
			return errorCode(list[0], secret, depth+1)
		}
	}
	return ""
}

// scalarCode is Code of a JSON string's value or a JSON number's digits.
func scalarCode(raw json.RawMessage, secret string) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return Code(s, secret)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return Code(n.String(), secret)
	}
	return ""
}
