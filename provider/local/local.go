// Package local is the "local" provider: qguard's embedded state-vector
// simulator, used when no cloud account is configured and for tests.
package local

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/sim"
)

// DeviceName is the simulator's device name; its id is "local:statevector".
const DeviceName = "statevector"

// Provider runs circuits on the embedded simulator, in-process.
type Provider struct {
	maxQubits int
	maxShots  int
	price     *qguard.Price
}

var _ qguard.Provider = (*Provider)(nil)

// New returns the local provider with the simulator's qubit and shot caps.
// price, usually nil, makes the simulator a priced device (for budgets in
// tests and demonstrations).
func New(maxQubits, maxShots int, price *qguard.Price) *Provider {
	return &Provider{maxQubits: maxQubits, maxShots: maxShots, price: price}
}

func (p *Provider) Name() string { return "local" }

func (p *Provider) Devices(context.Context) ([]qguard.Device, error) {
	return []qguard.Device{{
		ID: "local:" + DeviceName, Provider: "local", Name: DeviceName, Class: qguard.ClassSimulator,
		Qubits: p.maxQubits, Status: qguard.DeviceOnline, MaxShots: p.maxShots, Price: p.price,
	}}, nil
}

// Run simulates s.Program (a *circuit.Circuit) with s.Shots shots. The
// seed is random unless the circuit's job asks for one.
func (p *Provider) Run(ctx context.Context, s qguard.Submission) (*qguard.Result, error) {
	c, ok := s.Program.(*circuit.Circuit)
	if !ok || c == nil {
		return nil, errors.New("local: submission has no parsed circuit")
	}
	seed := s.Seed
	if seed == nil {
		var b [8]byte
		_, _ = rand.Read(b[:])
		v := binary.LittleEndian.Uint64(b[:])
		seed = &v
	}
	res, err := sim.Run(ctx, c, sim.Options{Shots: s.Shots, Seed: *seed, MaxQubits: p.maxQubits})
	if err != nil && qguard.ErrorCode(err) == qguard.EINTERNAL && ctx.Err() == nil {
		return nil, qguard.Errorf(qguard.EINVALIDCIRCUIT, "simulator: %v", err)
	}
	return res, nil
}

// Submit, Status and Cancel are not used: the gateway runs local jobs with
// Run. They answer clearly if called.
func (p *Provider) Submit(context.Context, qguard.Submission) (string, error) {
	return "", qguard.Errorf(qguard.EINVALID, "the local simulator runs jobs in-process")
}

func (p *Provider) Status(context.Context, string, string) (*qguard.ProviderStatus, error) {
	return nil, qguard.Errorf(qguard.ENOTFOUND, "the local simulator keeps no provider jobs")
}

func (p *Provider) Cancel(context.Context, string, string) error { return nil }
