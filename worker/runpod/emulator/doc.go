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
// and, at its root only, its own [AdminPath] (/_emulator/faults) to switch
// faults of a finite endpoint from another process.
//
// It owns the job lifecycle (IN_QUEUE, IN_PROGRESS for Config.Latency,
// then COMPLETED, or FAILED, TIMED_OUT, CANCELLED), result retention, the
// three input formats the worker sends (text, vLLM prompt, chat messages),
// four output shapes, API-key checks, body limits, and fault injection,
// both random ([Rates], reproducible from Config.Seed) and scripted
// (Config.Fault). [Server.Stats] records what reached the "model";
// [Server.Snapshot] the queue and the workers at one time.
//
// # Unlimited and finite endpoints
//
// With Config.MaxWorkers zero (the default) the endpoint is unlimited:
// every job leaves the queue Config.QueueDelay after it was submitted, as
// if each had its own worker, and policy.ttl is ignored. /health reports
// one running worker per job in progress and UnlimitedIdle idle ones: a
// client sizing its work by the free workers sees room for all of it.
//
// With Config.MaxWorkers above zero the endpoint is finite, like a real
// one (RunPod's defaults: max workers 3, min workers 0, idle timeout 5 s,
// queue delay scaler at 4 s):
//
//   - Queue: jobs wait in one FIFO queue, by submission. A job starts on
//     the oldest ready worker with a free slot (Config.WorkerConcurrency
//     jobs per worker), not before Config.QueueDelay. Its delayTime is
//     start minus submission (the queue and any cold start waited for);
//     its executionTime is its run.
//   - Workers: Config.MinWorkers are always on, idle from New or Reset.
//     Others are started by the scaler and initialize for Config.ColdStart
//     (Config.FlashBoot when a worker that stopped within
//     Config.FlashBootWindow can be revived), then are ready. A worker with
//     no job for Config.IdleTimeout stops, MinWorkers excepted. Every
//     worker, in any state, counts against MaxWorkers.
//   - Scalers (Config.Scaler): queue delay starts one worker at once when a
//     job waits and there is no worker at all ("the first request adds one
//     worker"), and one more at each scaler tick while the oldest queued
//     job has waited more than Config.ScalerValue seconds and some queued
//     job has no booting or free worker coming. Request count starts
//     workers at a tick up to ceil((inQueue + inProgress) / ScalerValue),
//     within [MinWorkers, MaxWorkers]. Ticks fall every
//     Config.ScaleInterval from New or Reset; RunPod documents neither the
//     interval nor how many workers it adds at once.
//   - Policy: policy.executionTimeout (default 600 s) ends a job TIMED_OUT
//     after that long running (a FaultStuck job too); the queue does not
//     count. policy.ttl (default 24 h) counts from submission, queue and
//     run together: on expiry the job is deleted (/status 404) or ends
//     TIMED_OUT, as Config.TTLExpiry says, freeing its slot if it ran; a
//     job that expires in the queue never ran and costs nothing.
//   - Cancel: a queued job leaves the queue; a running one frees its slot
//     at once.
//   - Faults at run time ([Server.SetUnhealthy], [Server.SetThrottled],
//     [Server.SetMaxWorkers], or [AdminPath]): unhealthy workers crash at
//     start and crash-loop, no job starts and jobs sit IN_QUEUE with no
//     error, until switched off; throttled workers never boot until
//     switched off.
//   - /health: jobs {completed, failed (FAILED and TIMED_OUT), inProgress,
//     inQueue, retried 0}, counting the results not yet expired; workers
//     {idle (up, no job), running (at least one job), initializing,
//     ready, throttled, unhealthy}, where ready is the same count as idle
//     (RunPod does not define it; unlimited mode always reported it so).
//   - Billing ([Stats].WorkerSeconds): each worker from the start of its
//     boot to its stop, cold start and idle time included. A crash-looping
//     worker bills all its time, taken to be boot time; a throttled worker
//     bills nothing until it boots. Time in the queue is not billed.
//
// Job states are computed from timestamps when asked: no goroutine, timer
// or ticker runs per job or per worker. A finite endpoint is a
// discrete-event simulation advanced under the Server's mutex, in time
// order, up to Config.Clock's now on every request and on Stats and
// Snapshot; a quiet endpoint costs nothing to advance (scaler ticks that
// would do nothing are skipped). With an injected clock, tests are
// deterministic. Only /runsync holds a timer (and, on a finite endpoint, a
// ticker), for its own request. A summary is computed once, the first time
// a COMPLETED job's output is served.
//
// It never talks to the network on its own, never persists anything (a
// restart forgets every job), never runs a real model, and never logs
// prompts or the API key.
package emulator
