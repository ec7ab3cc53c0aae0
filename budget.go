package qguard

import (
	"context"
	"time"
)

// Budget scopes.
const (
	ScopeUser    = "user"
	ScopeProject = "project"
)

// Reservation holds part of a daily budget for a job until the job settles.
type Reservation struct {
	JobID   string
	User    string
	Project string
	Day     string // UTC day, see Day
	Amount  float64
}

// BudgetLimit is a daily spending limit for a user or project in USD.
type BudgetLimit struct {
	Scope string  `json:"scope"` // ScopeUser or ScopeProject
	Name  string  `json:"name"`
	Daily float64 `json:"daily_usd"`
}

// Spend is the money reserved and settled for one scope on one day.
type Spend struct {
	Scope    string  `json:"scope"`
	Name     string  `json:"name"`
	Day      string  `json:"day"`
	Reserved float64 `json:"reserved_usd"` // held by unsettled jobs
	Settled  float64 `json:"settled_usd"`
}

// BudgetStore enforces daily budgets. Reserve checks and reserves in one
// transaction, so budgets are never overspent under concurrent requests or
// across replicas.
type BudgetStore interface {
	// Reserve records r if, for each limit (a user limit and/or a project
	// limit; a negative Daily means unlimited), reserved + settled + r.Amount
	// stays within Daily for r.Day; otherwise it returns EBUDGETEXCEEDED
	// naming the scope, and reserves nothing.
	Reserve(ctx context.Context, r Reservation, limits []BudgetLimit) error
	// Settle replaces the job's reservation by its actual cost.
	Settle(ctx context.Context, jobID string, actual float64) error
	// Release drops the reservation of a job that never ran.
	// ENOTFOUND when the job has no reservation, ECONFLICT when it is
	// settled.
	Release(ctx context.Context, jobID string) error
	// ReleaseOrphans repairs reservations made before before that a crash
	// left behind: it releases those whose job was never created or ended
	// failed or cancelled, and settles those whose job completed at the
	// job's actual cost. It returns how many it repaired.
	ReleaseOrphans(ctx context.Context, before time.Time) (int, error)
	Spent(ctx context.Context, scope, name, day string) (Spend, error)

	SetBudgetLimit(ctx context.Context, l BudgetLimit) error
	BudgetLimits(ctx context.Context) ([]BudgetLimit, error)

	// CostSince sums settled and reserved cost of jobs created since t,
	// grouped by "user", "project" or "provider".
	CostSince(ctx context.Context, since time.Time, by string) (map[string]float64, error)
}
