package qguard

import (
	"context"
	"time"
)

// Job states. A job moves queued → running → completed|failed|cancelled.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobCompleted = "completed"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// JobDone reports whether status is final.
func JobDone(status string) bool {
	return status == JobCompleted || status == JobFailed || status == JobCancelled
}

// Job is a circuit submitted through the gateway.
type Job struct {
	ID             string     `json:"id"` // "job_<random>"
	UserID         int64      `json:"user_id"`
	User           string     `json:"user"`
	Project        string     `json:"project,omitempty"`
	Device         string     `json:"device"`
	Provider       string     `json:"provider"`
	ProviderJobID  string     `json:"provider_job_id,omitempty"`
	Status         string     `json:"status"`
	Shots          int        `json:"shots"`
	Qubits         int        `json:"qubits"`
	Classification string     `json:"classification,omitempty"`
	Obfuscated     bool       `json:"obfuscated"`
	CircuitSHA256  string     `json:"circuit_sha256"`
	EstimatedCost  float64    `json:"estimated_cost"`
	ActualCost     *float64   `json:"actual_cost,omitempty"`
	Error          string     `json:"error,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	FinishedAt     *time.Time `json:"finished_at,omitempty"`

	// Sealed blobs, encrypted by the gateway before the store sees them:
	// the submitted circuit (for resubmission after a crash), the
	// obfuscation key, and the results.
	SealedCircuit []byte `json:"-"`
	SealedKey     []byte `json:"-"`
	SealedResult  []byte `json:"-"`
}

// JobFilter selects jobs. Zero fields do not filter.
type JobFilter struct {
	UserID int64
	Status string
	Since  time.Time
	Limit  int
}

// JobStore keeps jobs.
type JobStore interface {
	CreateJob(ctx context.Context, j *Job) error
	JobByID(ctx context.Context, id string) (*Job, error)  // ENOTFOUND
	Jobs(ctx context.Context, f JobFilter) ([]*Job, error) // newest first
	// UpdateJob writes status, provider job id, costs, error, finish time
	// and sealed blobs.
	UpdateJob(ctx context.Context, j *Job) error
	// ClaimJobs leases up to n unfinished jobs whose lease is free or
	// expired to owner until until, so that each job is followed by one
	// replica at a time (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL).
	// Jobs already leased to owner count as free, so a replica renews its
	// own leases; jobs come oldest first.
	ClaimJobs(ctx context.Context, owner string, n int, until time.Time) ([]*Job, error)
}

// Result is what a finished job produced. Counts map a bitstring (classical
// bit n-1 first, as Qiskit prints it) to how often it was seen.
type Result struct {
	Counts        map[string]int     `json:"counts"`
	Probabilities map[string]float64 `json:"probabilities,omitempty"`
	Shots         int                `json:"shots"`
	// Seconds is the provider's billed execution time, when it reports one.
	Seconds float64 `json:"seconds,omitempty"`
	// Cost is the provider's actual charge in USD, when it reports one.
	Cost *float64 `json:"cost,omitempty"`
}

// Submission is what the gateway hands a provider: the circuit already
// parsed, validated and (when asked) obfuscated, in OpenQASM 3 text; the
// adapter translates it to its own dialect.
type Submission struct {
	JobID   string // qguard's job id: clientToken / tags / metadata
	User    string
	Device  string // Device.Name, without the provider prefix
	QASM    string // OpenQASM 3
	Shots   int
	Program any // *circuit.Circuit; typed as any to keep the root free of the circuit package
	// Seed fixes the local simulator's sampling (tests and reproducible
	// runs); cloud providers ignore it.
	Seed *uint64
}

// ProviderStatus is a provider's view of a job.
type ProviderStatus struct {
	Status string  // a Job* constant
	Error  string  // provider's message, redacted
	Result *Result // set when Status is JobCompleted
}

// Provider is one quantum cloud (or the local simulator). Implementations
// read credentials from the vault at call time.
//
// Errors: EDEVICEUNAVAILABLE when the device is offline or unknown,
// EPROVIDER for a provider-side failure (message redacted), ERATELIMITED
// when the provider keeps answering 429.
type Provider interface {
	Name() string
	Devices(ctx context.Context) ([]Device, error)
	Submit(ctx context.Context, s Submission) (providerJobID string, err error)
	Status(ctx context.Context, device, providerJobID string) (*ProviderStatus, error)
	Cancel(ctx context.Context, device, providerJobID string) error
}
