// Package qguard holds the domain types of qguard, a security gateway for
// quantum cloud computing, and the interfaces that its adapters implement.
//
// Dependencies point inward: the stores (sqlite, postgres), the provider
// adapters and the HTTP gateway depend on this package and on the pure
// packages (policy, circuit, sim, cost, audit, monitor); this package does
// no I/O and never logs.
package qguard

import "time"

// Version is the release version, overridden at link time with
// -ldflags "-X github.com/qguard/qguard.Version=…".
var Version = "0.1.0-dev"

// Commit is the VCS revision, set at link time.
var Commit = ""

// Clock returns the current time. Packages take a Clock so that tests can
// move time (session expiry, lockout windows, daily budgets).
type Clock func() time.Time

// Day returns the UTC calendar day of t as "2006-01-02"; budgets reset on
// UTC day boundaries.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }
