// Package openai is the client of an OpenAI-compatible chat-completions API: OpenAI
// itself, vLLM's server, Ollama's /v1, RunPod's
// https://api.runpod.ai/v2/ENDPOINT_ID/openai/v1, or any proxy that speaks the same
// wire format. It turns one prompt into one completion (SUMMARIZER=openai).
//
// # What it owns
//
//   - The wire format: POST {BaseURL}/chat/completions with model, messages (an
//     optional system message, then the prompt as the user message), max_tokens and
//     temperature; the completion (id, model, choices[].message.content as a string or
//     a list of text parts, finish_reason, usage) and the error documents servers send,
//     with a 4xx/5xx or inside a 200 ({"error":{"message","type","code"}},
//     {"error":"text"}, vLLM's {"object":"error",...}).
//   - Cleaning: special tokens (<pad>, </s>, <|eot_id|>, <|im_end|>, ...) are removed
//     from the text. A completion cut short by max_tokens (finish_reason "length") is
//     returned and logged at info level.
//   - Retries of the HTTP call. 429, 408, 5xx, network errors, timeouts (Config.Timeout
//     per attempt) and garbled answers are retried inside the client, at most
//     Config.MaxAttempts times, with exponential backoff and full jitter, or after the
//     delay the server asks for (retry-after-ms, Retry-After, and on a 429 the
//     x-ratelimit-reset-requests/-tokens of the exhausted limit), capped at
//     Config.RetryMax. Callers must not retry these again at once: an error returned
//     by this package has already been retried.
//   - Error classification: every error is an *Error; see "Errors" below.
//
// # What it never does
//
//   - It never logs, returns or prints the API key: the key is sent only in the
//     Authorization header; Config and Client redact it from fmt, zap and slog output,
//     and answer text quoted in errors has the key replaced. Prompts and completions
//     are never logged either.
//   - It knows nothing about SQS, S3, chunking or merging: it completes one prompt.
//   - It never streams, and reads at most 10 MB of an answer.
//   - It never retries after the caller's context is done, and never sleeps past it.
//
// # Errors
//
// Every error is an *Error whose Class (the outcome vocabulary of package
// queue/outcome, which outcome.Of reads through any wrapping) says what the caller
// does with the work item. HTTP status codes are mapped in one table (statusRules),
// refined by the API's error code (codeRules), and for an error inside a 200 answer
// by its numeric code or type (typeRules), into the kinds of httpapi: Permanent
// (dead-lettered, backend_rejected), Config (held until an operator acts) and
// Transient (held as throttled after a 429, as an outage after a 5xx or no answer,
// released when the caller stopped, else retried):
//
//	429, 408, 5xx, network, timeout     retried here with backoff, then Transient
//	401, 403, 404                       Config: key, BaseURL or model is wrong
//	code invalid_api_key, model_not_found,
//	  insufficient_quota (even on 429),
//	  unsupported_parameter/_value      Config, not retried
//	400, 413, 422                       Permanent: the input is rejected
//	code context_length_exceeded,
//	  content_filter, invalid_prompt    Permanent, whatever the status
//	other 4xx                           Transient, not retried here
//	error object in a 200 answer        by code (vLLM: its HTTP status), else by type
//	                                    (invalid_request_error → Permanent,
//	                                    authentication_error → Config, ...),
//	                                    else Transient and retried
//	garbled 200 answer                  retried here, then Transient
//	no choices, empty content           Transient (ErrNoOutput), not retried here
//	refusal, content_filter stop        Permanent (ErrNoOutput)
//	empty prompt                        Permanent, nothing sent
//
// # Shutdown
//
// Cancel the context passed to Complete to stop: the request in flight is aborted, no
// retry follows, and the returned error wraps the context's error
// (errors.Is(err, context.Canceled) is true) and releases the work item.
package openai
