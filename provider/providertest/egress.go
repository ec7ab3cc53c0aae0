package providertest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/provider"
)

// Bell is a two-qubit Bell circuit in OpenQASM 3 with the standard gate
// library, the job the adapter tests submit.
const Bell = `OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
`

// Egress records what an adapter's egress wrote to its log and observer,
// so a test can check that neither carries a credential.
type Egress struct {
	Logs  *SyncBuffer
	mu    sync.Mutex
	calls []provider.CallInfo
}

// NewEgress returns egress options with millisecond backoff (so retry
// tests stay fast), logging and observing into the returned Egress.
func NewEgress() (*Egress, provider.Options) {
	log, buf := Logger()
	e := &Egress{Logs: buf}
	return e, provider.Options{
		Timeout: 2 * time.Second, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRetryWait: 2 * time.Second,
		Logger: log,
		Observer: func(_ context.Context, c provider.CallInfo) {
			e.mu.Lock()
			e.calls = append(e.calls, c)
			e.mu.Unlock()
		}}
}

// Calls returns what the observer saw so far.
func (e *Egress) Calls() []provider.CallInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]provider.CallInfo(nil), e.calls...)
}

// NoSecrets fails t when the log or the observed calls hold any of secrets.
func (e *Egress) NoSecrets(t testing.TB, secrets []string) {
	t.Helper()
	NoSecrets(t, secrets, "log", e.Logs.String())
	b, _ := json.Marshal(e.Calls())
	NoSecrets(t, secrets, "observer", string(b))
}

// statuser is the part of a qguard.Provider that Wait polls.
type statuser interface {
	Status(ctx context.Context, device, providerJobID string) (*qguard.ProviderStatus, error)
}

// Wait polls p until the job is done; the fakes finish a job within a few
// polls, so ten without an end is a failure.
func Wait(t testing.TB, p statuser, device, id string) *qguard.ProviderStatus {
	t.Helper()
	for range 10 {
		st, err := p.Status(context.Background(), device, id)
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
		if qguard.JobDone(st.Status) {
			return st
		}
	}
	t.Fatalf("job %s never finished", id)
	return nil
}

// CountsMatchShots fails t unless r's counts add up to shots, the property
// every result decoder must keep (a lost or invented shot skews results
// and bills).
func CountsMatchShots(t testing.TB, r *qguard.Result, shots int) {
	t.Helper()
	n := 0
	for _, c := range r.Counts {
		n += c
	}
	if n != shots {
		t.Fatalf("counts sum %d, shots %d", n, shots)
	}
}

// devicer is the part of a qguard.Provider that DownIsUnreachable calls.
type devicer interface {
	Devices(ctx context.Context) ([]qguard.Device, error)
}

// DownIsUnreachable shuts the fake down and checks that p reports an
// unreachable provider (provider_error), which the registry and the
// gateway turn into "try later" rather than a failed job.
func DownIsUnreachable(t testing.TB, p devicer, shutdown func()) {
	t.Helper()
	shutdown()
	_, err := p.Devices(context.Background())
	if qguard.ErrorCode(err) != qguard.EPROVIDER || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("provider down: err = %v", err)
	}
}
