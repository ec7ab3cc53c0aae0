package qguard

import (
	"context"
	"time"
)

// Audit decisions.
const (
	DecisionAllow = "allow"
	DecisionDeny  = "deny"
	DecisionInfo  = "info" // not a decision: a change or an outcome
)

// AuditRecord is one entry of the tamper-evident audit log. Fields that
// could carry a secret are HMAC-ed by the audit package before they get
// here; a record never holds a secret in clear.
type AuditRecord struct {
	Index     int64             `json:"index"` // position in the log, from 0
	Time      time.Time         `json:"time"`
	Actor     string            `json:"actor"`    // user name, "system" or "cli:<os user>"
	Action    string            `json:"action"`   // e.g. "job.submit", "user.add", "session.create"
	Resource  string            `json:"resource"` // e.g. "device:local:statevector", "user:alice"
	Decision  string            `json:"decision"` // a Decision* constant
	Reason    string            `json:"reason,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Cost      float64           `json:"cost,omitempty"`
	Details   map[string]string `json:"details,omitempty"`
}

// AuditEntry is a record as the store keeps it: the canonical encoding
// that is hashed into the Merkle tree, with the record decoded from it.
type AuditEntry struct {
	Index  int64
	Data   []byte // canonical record bytes; the Merkle leaf is tlog.RecordHash(Data)
	Record AuditRecord
}

// AuditStore is the append-only storage of the audit log. The Merkle tree
// and checkpoints are computed by the audit package from the entries.
type AuditStore interface {
	// AppendAudit assigns the next index (the current size of the log),
	// calls encode with it to get the canonical bytes, and stores the entry
	// in one transaction. Appends are serialised across all replicas.
	AppendAudit(ctx context.Context, rec *AuditRecord, encode func(*AuditRecord) ([]byte, error)) (int64, error)
	// AuditSize returns the number of entries.
	AuditSize(ctx context.Context) (int64, error)
	// AuditEntries returns entries with from <= index < to, in order.
	AuditEntries(ctx context.Context, from, to int64) ([]AuditEntry, error)
	// AuditSince returns the decoded records with Time >= since, in order.
	AuditSince(ctx context.Context, since time.Time) ([]AuditRecord, error)

	// SaveCheckpoint stores a signed checkpoint (note format) for a tree
	// size; LatestCheckpoint returns the one with the largest size, or
	// ENOTFOUND.
	// The first checkpoint saved for a size is kept.
	SaveCheckpoint(ctx context.Context, size int64, note []byte) error
	LatestCheckpoint(ctx context.Context) (size int64, note []byte, err error)
}

// Decision is the outcome of a policy evaluation, with the reason in words
// a user understands: which permission matched or which constraint failed.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	// Constraint names the failed constraint ("max_shots", "max_qubits",
	// "max_cost_per_day", "data_classification"), if one failed.
	Constraint string `json:"constraint,omitempty"`
	// Policy identifies the matched or failing policy statement.
	Policy string `json:"policy,omitempty"`
}

// Actions that policy grants.
const (
	ActionRead    = "read"
	ActionWrite   = "write"
	ActionExecute = "execute"
	ActionDelete  = "delete"
)

// Request is what policy decides on.
type Request struct {
	User           string  `json:"user"`
	Role           string  `json:"role"`
	Project        string  `json:"project,omitempty"`
	Resource       string  `json:"resource"` // a Class* constant
	Action         string  `json:"action"`   // an Action* constant
	Shots          int     `json:"shots,omitempty"`
	Qubits         int     `json:"qubits,omitempty"`
	Classification string  `json:"classification,omitempty"` // public, internal, confidential, restricted
	CostToday      float64 `json:"cost_today,omitempty"`     // spent today including this request, USD
}

// Data classifications, from least to most sensitive.
const (
	ClassificationPublic       = "public"
	ClassificationInternal     = "internal"
	ClassificationConfidential = "confidential"
	ClassificationRestricted   = "restricted"
)
