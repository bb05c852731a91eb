package runpod

import (
	"context"
	"net/http"
)

// Health is RunPod's GET {endpoint}/health answer: the whole endpoint's jobs
// and workers, the same numbers for every replica that asks.
type Health struct {
	Jobs    HealthJobs    `json:"jobs"`
	Workers HealthWorkers `json:"workers"`
}

// HealthJobs counts the endpoint's jobs by state.
type HealthJobs struct {
	Completed  int `json:"completed"`
	Failed     int `json:"failed"`
	InProgress int `json:"inProgress"`
	InQueue    int `json:"inQueue"`
	Retried    int `json:"retried"`
}

// HealthWorkers counts the endpoint's workers by state. RunPod's pages do
// not say whether ready counts idle and running workers too; this package
// never adds it to them (see capacity).
type HealthWorkers struct {
	Idle         int `json:"idle"`
	Running      int `json:"running"`
	Initializing int `json:"initializing"`
	Ready        int `json:"ready"`
	Throttled    int `json:"throttled"`
	Unhealthy    int `json:"unhealthy"`
}

// Health asks GET {endpoint}/health. It is retried within the client like
// Submit (Config.MaxAttempts); a 401 or 403 is a configuration fault, like
// any other call's.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	if err := c.do(ctx, request{op: opHealth, method: http.MethodGet, path: "/health"}, &h); err != nil {
		return Health{}, err
	}
	h.clamp()
	return h, nil
}

// clamp makes nonsense (negative counts) zero.
func (h *Health) clamp() {
	for _, p := range []*int{&h.Jobs.Completed, &h.Jobs.Failed, &h.Jobs.InProgress, &h.Jobs.InQueue, &h.Jobs.Retried,
		&h.Workers.Idle, &h.Workers.Running, &h.Workers.Initializing, &h.Workers.Ready, &h.Workers.Throttled, &h.Workers.Unhealthy} {
		*p = max(*p, 0)
	}
}
