package qguard

import (
	"context"
	"time"
)

// Security event types.
const (
	EventCredentialExposure = "credential_exposure"
	EventSuspiciousCircuit  = "suspicious_circuit"
	EventAuthFailure        = "auth_failure"
	EventUnusualUsage       = "unusual_usage"
	EventCostThreshold      = "cost_threshold"
)

// Severities, from least to most severe.
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// SecurityEvent is something the monitor found. Message and Details never
// hold a secret in clear: secrets are masked before an event is built.
type SecurityEvent struct {
	ID       int64             `json:"id"`
	Time     time.Time         `json:"time"`
	Type     string            `json:"type"`
	Severity string            `json:"severity"`
	Source   string            `json:"source,omitempty"` // file, "gateway", "http"
	User     string            `json:"user,omitempty"`
	Provider string            `json:"provider,omitempty"`
	Address  string            `json:"address,omitempty"`
	Rule     string            `json:"rule,omitempty"`
	Message  string            `json:"message"`
	Details  map[string]string `json:"details,omitempty"`
	DedupKey string            `json:"-"`
}

// EventStore keeps security events.
type EventStore interface {
	// AddSecurityEvent stores e and sets its ID, unless an event with the same
	// DedupKey exists at or after dedupSince; then it returns false.
	AddSecurityEvent(ctx context.Context, e *SecurityEvent, dedupSince time.Time) (bool, error)
	SecurityEvents(ctx context.Context, since time.Time) ([]SecurityEvent, error)
}

// Store is everything the gateway keeps; sqlite and postgres implement it.
type Store interface {
	UserStore
	CounterStore
	JobStore
	BudgetStore
	AuditStore
	EventStore
	BlobStore
	// Ping reports whether the store is usable (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}
