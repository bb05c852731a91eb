package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// AdminPath is the emulator's own route, not RunPod's, for switching a
// finite endpoint's faults from another process (the same as
// [Server.SetUnhealthy], [Server.SetThrottled] and [Server.SetMaxWorkers]):
//
//	GET  /_emulator/faults                                    -> Snapshot
//	POST /_emulator/faults?unhealthy=1&throttled=0&max_workers=2 -> Snapshot
//
// Each parameter is optional; booleans are what strconv.ParseBool takes.
// It needs the API key like any route, and is neither counted in
// Stats.Requests nor subject to Config.Limits or injected faults. In
// unlimited mode a POST that changes anything answers 409.
const AdminPath = "/_emulator/faults"

// serveAdmin serves AdminPath.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed")
		return
	}
	if s.cfg.APIKey != "" && !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "missing or invalid API key")
		return
	}
	if r.Method == http.MethodPost {
		changes, err := parseAdmin(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		for _, change := range changes {
			if err := change(s); err != nil {
				code := http.StatusBadRequest
				if errors.Is(err, ErrUnlimited) {
					code = http.StatusConflict
				}
				writeError(w, code, err.Error())
				return
			}
		}
	}
	writeJSON(w, http.StatusOK, s.Snapshot())
}

// parseAdmin reads the switches of a POST to AdminPath, in a fixed order:
// max_workers, throttled, unhealthy.
func parseAdmin(r *http.Request) ([]func(*Server) error, error) {
	q := r.URL.Query()
	var changes []func(*Server) error
	for k := range q {
		switch k {
		case "max_workers", "throttled", "unhealthy":
		default:
			return nil, fmt.Errorf("unknown parameter %q (want max_workers, throttled, unhealthy)", k)
		}
	}
	if v, ok := q["max_workers"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil || n < 1 {
			return nil, errors.New("max_workers: want a whole number, 1 or more")
		}
		changes = append(changes, func(s *Server) error { return s.SetMaxWorkers(n) })
	}
	for _, sw := range []struct {
		name string
		set  func(*Server, bool) error
	}{
		{"throttled", (*Server).SetThrottled},
		{"unhealthy", (*Server).SetUnhealthy},
	} {
		v, ok := q[sw.name]
		if !ok {
			continue
		}
		on, err := strconv.ParseBool(strings.TrimSpace(v[0]))
		if err != nil {
			return nil, fmt.Errorf("%s: want true or false", sw.name)
		}
		changes = append(changes, func(s *Server) error { return sw.set(s, on) })
	}
	return changes, nil
}
