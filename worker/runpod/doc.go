// Package runpod is the client of a RunPod Serverless endpoint: it submits an
// asynchronous job (POST {endpoint}/run, Submit) and polls its status (GET
// {endpoint}/status/{id}, Wait) until the job reaches a final state.
//
// # What it owns
//
//   - The wire format: the "input" object (InputFormat "text", "vllm", or "template":
//     a JSON template file, see below), the "policy" object (executionTimeout from
//     JobTimeout, ttl from JobTTL), the /health document (Health), the status document and the many shapes a worker's "output" can
//     take (ExtractOutput). Callers that build the "input" object themselves (url mode:
//     {"input":{"url":PRESIGNED_GET_URL}}) use SubmitInput, which shares everything
//     else with Submit.
//   - Retries of single HTTP calls. On /run and /cancel, 429, 408, 5xx and network
//     errors are retried inside the client, at most Config.MaxAttempts times per call,
//     with exponential backoff and full jitter, honouring Retry-After. Callers must not
//     retry these again at once: an error returned by this package has already been
//     retried (style rule "retry at one layer, once").
//   - Job lifecycle: polling with growing intervals (PollInitial ×1.5 up to PollMax,
//     ±10% jitter, or aimed at when this endpoint's jobs have been finishing). Every
//     /status request of the process takes a token of one poll gate
//     (Config.PollRate), and is one attempt: a failed poll is not retried below the
//     gate but polled again later, through it, with backoff (Retry-After honoured),
//     until the job's budget ends: Config.JobTTL from its submission while it waits in
//     RunPod's queue (waiting is free and never a reason to give a job up sooner),
//     Config.JobTimeout from its start once it runs (RunPod enforces both itself; the
//     client's budget is the backstop). Then the job gets one last look, first in line
//     at the gate and tried again with backoff until RunPod answers: a job seen
//     finished is returned, one seen unfinished (or forgotten) is given up and
//     cancelled (POST {endpoint}/cancel/{id}), and one whose state was never seen (the
//     caller stopped first) is left alone. A job that never started before its ttl is
//     reported WaitedOut: it cost nothing, and the endpoint, not the message, is at
//     fault.
//   - Admission (Window, with Config.QueueDelay > 0): the jobs the process may have at
//     RunPod at once so that each starts within QueueDelay, learned from GET
//     {endpoint}/health and the jobs' execution times, with no coordinator between
//     replicas; callers take a place before they submit and wait while there is none,
//     so a burst waits in the caller's queue, not in RunPod's. An endpoint whose
//     workers cannot drain its queue (unhealthy, throttled, or none starting) is
//     stalled: the window closes and waiting callers' messages are held in place
//     (outcome.HoldInPlace, cause outage).
//     It never resubmits a job: whether a FAILED or expired job is worth a new one is
//     the caller's decision (package worker journals job ids and decides).
//   - Error classification: every error is an *Error; see "Errors" below.
//
// # What it never does
//
//   - It never logs, returns or prints the API key: the key is sent only in the
//     Authorization header; Config and Client redact it from fmt, zap and slog output,
//     and response text quoted in errors has the key replaced.
//   - It knows nothing about SQS, S3, chunking or merging: it summarizes one prompt.
//   - It never retries after the caller's context is done, and never sleeps past it.
//   - It never cancels a job because the caller stopped waiting (shutdown, a lost
//     lease) or because it waited in RunPod's queue: a job is paid for once submitted,
//     and whoever holds its id can wait for it again. It cancels only at the end of the
//     job's budget (JobTimeout of execution, JobTTL unstarted), or when the caller
//     calls Abandon.
//
// # Input templates
//
// RUNPOD_INPUT_FORMAT=path names a JSON template file; the caller reads it and sets
// Config.InputTemplate to its contents (InputFormat "template"). The file is the whole
// "input" object as a Go text/template; {{json .Prompt}} inserts the prompt as a quoted,
// escaped JSON string and {{.MaxTokens}} the output budget:
//
//	{"prompt": {{json .Prompt}}, "max_new_tokens": {{.MaxTokens}}, "temperature": 0}
//
// New rejects a template that does not parse or does not turn a prompt full of quotes,
// newlines and non-ASCII text into a JSON object carrying it unchanged.
//
// # Errors
//
// Every error is an *Error whose Class (the outcome vocabulary of package
// queue/outcome, which outcome.Of reads through any wrapping) says what the caller
// does with the work item. HTTP status codes are mapped in one table (statusRules in
// errors.go) into the kinds of httpapi, which httpapi.Class maps into outcomes:
//
//	429, 408, 5xx, network error   retried here with backoff (not /status: polled
//	                               again through the poll gate), then held:
//	                               throttled (429) or outage
//	401, 403                       held (config): fix the key; never dead-lettered
//	404 on /run                    held (config): the endpoint does not exist
//	404 on /status or /cancel      expired (IsExpired): retried
//	400, 413, 422                  dead-lettered (backend_rejected): input rejected
//	other 4xx                      retried, not retried here
//	body over 10 MB, empty prompt  dead-lettered (backend_rejected), nothing sent
//	template fails to render       held (config), nothing sent
//	caller's context ended         released
//
// Job outcomes: FAILED, CANCELLED (not by us), TIMED_OUT, expired, COMPLETED with
// unusable output and jobs given up at JobTimeout are retried, with Error.JobStatus
// set; a job that waited out its ttl unstarted (Error.WaitedOut) is held as an outage.
//
// # Shutdown
//
// Cancel the context passed to Wait to stop waiting: Wait returns at once, the error
// wraps the context's error, and the job runs on. A caller records the id from Submit
// durably before waiting and calls Wait (or WaitFrom) again later, from any process;
// Wait reports an error for which IsExpired is true once RunPod has forgotten the job
// (results of /run jobs are kept for 30 minutes).
package runpod
