// Package httpapi holds what the model API clients (worker/runpod, worker/openai) share:
// the mechanics of talking to an HTTP API with a bearer key, and nothing of any one API.
//
// # What it owns
//
//   - Retry timing: full-jitter exponential backoff (Backoff), parsing of the
//     Retry-After header (ParseRetryAfter, bounded by MaxServerDelay), a sleep that
//     never outlasts its context (Sleep), and the errors of a call its context ended
//     (CtxErr, CtxDoneErr).
//   - Redaction of the API key: from error text (RedactErr, which keeps the sentinels
//     the error matched), from fmt output of types holding the key (FormatString,
//     MaskKey: every verb prints the type's String, which shows Redacted), and of
//     passwords in URLs (RedactURL).
//   - What of a backend's answer may reach an error: its error code or type as one
//     token (Code, ErrorCode), never its free text, which may quote the transcript;
//     and the HTTP status as error messages name it (StatusLine).
//   - The classification vocabulary of the clients: Kind (the verdict of a client's own
//     table of answer codes), Rule (a row of such a table, with whether the client
//     retries), StatusRule (the fallback for codes a table lacks) and Class, the one
//     mapping of a failed call into the outcome vocabulary of queue/outcome.
//   - Checks of a client's settings that hold for any such API: the base URL
//     (CheckURL: absolute http or https, a host, no query or fragment) and the key
//     (CheckKey: sendable in a header).
//   - Stripping of special tokens (<pad>, </s>, <|eot_id|>, ...) from model output
//     (CleanText); each client names its own tokens.
//
// # What it never does
//
//   - It knows no API's routes, payloads or error documents, nor what an API means by a
//     status code: requests, decoding, each table of answer codes, headers beyond Retry-After
//     (OpenAI's retry-after-ms and x-ratelimit-*) and job polling (RunPod) stay in the
//     clients, as does whether a server's delay of 0 means "retry at once".
//   - It sends no request and holds no key: the key is passed in by the caller for each
//     redaction and never stored.
package httpapi
