// Package httpserver owns the HTTP listeners of a command: Start serves a
// handler on an address until the command stops, with every timeout bounded
// so that slow or idle clients cannot hold connections, and stops it with a
// deadline. Metrics and Pprof are the handlers of the operational
// endpoints: /metrics, /healthz and /readyz; Go's /debug/pprof/.
//
// It decides nothing about which listeners a command opens or where: the
// addresses and the write timeouts are the caller's.
package httpserver
