// Package emulator is an in-process fake of the RunPod Serverless API, backed
// by the built-in extractive summarizer, for development, the demo, tests
// and benchmarks (`summarizer runpod-emulator`).
//
// A [Server] is an [http.Handler] that answers at its root and under any
// /v2/{endpoint_id}/ prefix, like https://api.runpod.ai/v2/{endpoint_id}:
//
//	POST /run          {"input":{...},"policy":{...}} -> {"id","status":"IN_QUEUE"}
//	POST /runsync      waits for the job (up to Config.RunsyncWait), answers like /status
//	GET  /status/{id}  {"id","status","output","error","delayTime","executionTime"}
//	POST /cancel/{id}  {"id","status"}
//	GET  /health       {"jobs":{...},"workers":{...}}
//
// It owns the job lifecycle (IN_QUEUE for Config.QueueDelay, IN_PROGRESS for
// Config.Latency, then COMPLETED, or FAILED, TIMED_OUT, CANCELLED), result
// retention, the three input formats the worker sends (text, vLLM prompt,
// chat messages), three output shapes, API-key checks, body limits, and fault
// injection, both random ([Rates], reproducible from Config.Seed) and
// scripted (Config.Fault). [Server.Stats] records what reached the "model".
//
// Job states are computed from timestamps when asked: no goroutine, timer or
// ticker runs per job, so many thousands of jobs in flight cost only their
// memory. Only /runsync holds a timer, for its own request. A summary is
// computed once, the first time a COMPLETED job's output is served.
//
// It never talks to the network on its own, never persists anything (a
// restart forgets every job), never runs a real model, and never logs
// prompts or the API key.
package emulator
