// Package cost prices quantum jobs before they run (for policy and budget
// reservations) and after (to settle budgets). Prices come from a built-in
// table whose every row names its source, from the provider's own figure
// for a device when it gives one (Braket's deviceCost), and from overrides in
// config.yaml, which win.
//
// # Models
//
//   - Braket QPUs: per task + per shot (the Braket tracker's formula).
//   - Braket simulators: per minute of run time with a 3-second minimum
//     per task; run time is estimated from qubits and gates.
//   - IBM Quantum: per second of quantum time; time is estimated from
//     shots and circuit depth (see IBMSeconds).
//   - IonQ direct: IonQ's price list is not published, so the per-shot
//     prices of the same QPUs on Braket are used; the ionq adapter can ask
//     IonQ's /jobs/estimate for the account's own figure.
//   - local: free.
package cost

import (
	"math"
	"strings"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/config"
)

// Metrics are the circuit figures an estimate needs; zero values are fine.
type Metrics struct {
	Qubits  int
	Depth   int
	Gates1Q int
	Gates2Q int
}

// FromCircuit takes the figures an estimate needs from the circuit
// package's metrics; gates on more than two qubits count as two-qubit
// gates, as providers decompose them into several.
func FromCircuit(m circuit.Metrics) Metrics {
	multi := m.MultiQubit // gates on two or more qubits
	return Metrics{Qubits: m.Qubits, Depth: m.Depth, Gates1Q: max(m.Gates-multi, 0), Gates2Q: multi}
}

// Gates returns the total gate count.
func (m Metrics) Gates() int { return m.Gates1Q + m.Gates2Q }

// Table prices devices. The zero value is not usable; call Default.
type Table struct {
	overrides map[string]qguard.Price
	rules     []rule
}

// rule prices every device whose id ends with suffix (case-insensitive) on
// provider; an empty suffix matches all of the provider's devices.
type rule struct {
	provider string
	suffix   string
	price    qguard.Price
}

// Default returns the built-in table (see prices.go).
func Default() *Table { return &Table{rules: builtin} }

// WithOverrides returns a copy of t in which overrides, keyed by device id,
// replace any other price of that device.
func (t *Table) WithOverrides(overrides map[string]qguard.Price) *Table {
	c := &Table{rules: t.rules, overrides: map[string]qguard.Price{}}
	for k, v := range t.overrides {
		c.overrides[k] = v
	}
	for k, v := range overrides {
		if v.Source == "" {
			v.Source = "config.yaml costs.overrides"
		}
		c.overrides[k] = v
	}
	return c
}

// FromConfig returns the built-in table with config.yaml's overrides.
func FromConfig(c config.Costs) *Table {
	o := make(map[string]qguard.Price, len(c.Overrides))
	for id, p := range c.Overrides {
		o[id] = qguard.Price{PerTask: p.PerTask, PerShot: p.PerShot, PerSecond: p.PerSecond, PerMinute: p.PerMinute,
			Source: "config.yaml costs.overrides"}
	}
	return Default().WithOverrides(o)
}

// Price returns the price of d: an override, else the device's own price,
// else the built-in table's. It returns nil when nothing prices d.
func (t *Table) Price(d qguard.Device) *qguard.Price {
	if p, ok := t.overrides[d.ID]; ok {
		return &p
	}
	if d.Price != nil {
		p := *d.Price
		return &p
	}
	id := strings.ToLower(d.ID)
	for _, r := range t.rules {
		if r.provider == d.Provider && strings.HasSuffix(id, strings.ToLower(r.suffix)) {
			p := r.price
			return &p
		}
	}
	return nil
}

// Estimate returns the expected charge in USD of running a circuit with
// metrics m for shots shots on d. An unpriced device estimates at 0: the
// gateway shows the device's price as unknown and policy decides.
func (t *Table) Estimate(d qguard.Device, shots int, m Metrics) float64 {
	p := t.Price(d)
	if p == nil {
		return 0
	}
	return charge(*p, d, shots, estimateSeconds(d, shots, m))
}

// Actual returns the charge of a finished job: the provider's own figure
// when r has one, else the price applied to the provider's billed seconds,
// else the estimate for the shots that ran. Jobs that failed or were
// cancelled before running are not charged by Braket, IBM or IonQ: the
// caller passes r == nil for them and gets 0.
func (t *Table) Actual(d qguard.Device, m Metrics, r *qguard.Result) float64 {
	if r == nil {
		return 0
	}
	if r.Cost != nil {
		return *r.Cost
	}
	p := t.Price(d)
	if p == nil {
		return 0
	}
	secs := r.Seconds
	if secs <= 0 {
		secs = estimateSeconds(d, r.Shots, m)
	}
	return charge(*p, d, r.Shots, secs)
}

// MinBilledSeconds is Braket's minimum billed duration of a simulator task
// (tracker.py MIN_SIMULATOR_DURATION = 3000 ms).
const MinBilledSeconds = 3.0

func charge(p qguard.Price, d qguard.Device, shots int, secs float64) float64 {
	total := p.PerTask + p.PerShot*float64(shots)
	if p.PerMinute > 0 {
		total += p.PerMinute * math.Max(secs, MinBilledSeconds) / 60
	}
	if p.PerSecond > 0 {
		total += p.PerSecond * math.Ceil(secs) // IBM bills whole seconds
	}
	return roundMicro(total)
}

func roundMicro(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func estimateSeconds(d qguard.Device, shots int, m Metrics) float64 {
	switch {
	case d.Provider == "ibm":
		return IBMSeconds(shots, m)
	case d.Class == qguard.ClassSimulator:
		return SimulatorSeconds(strings.Contains(strings.ToLower(d.ID), "/dm1"), m)
	default:
		return 0
	}
}

// IBM execution-time model. IBM bills quantum seconds, which it does not
// predict before a job runs; the figures are IBM's documented defaults for
// Eagle/Heron systems: rep_delay 250 µs between shots, about 60 ns per
// layer of gates, 2 µs readout, plus a per-job overhead for loading the
// program and returning results of about 2 s (what small jobs are billed).
const (
	ibmJobOverhead = 2.0
	ibmRepDelay    = 250e-6
	ibmLayerTime   = 60e-9
	ibmReadout     = 2e-6
)

// IBMSeconds estimates the quantum seconds IBM bills for shots shots of a
// circuit of depth m.Depth. shots should be the effective figure
// (ibm.EffectiveShots): 4096 when none was given.
func IBMSeconds(shots int, m Metrics) float64 {
	perShot := ibmRepDelay + ibmReadout + float64(m.Depth)*ibmLayerTime
	return ibmJobOverhead + float64(shots)*perShot
}

// SimulatorSeconds estimates a state-vector (or, with density, density
// matrix) simulator's run time: each gate touches 2^n amplitudes (4^n
// entries), at about 1 ns each on the providers' hardware. Below the
// 3-second minimum the estimate is the minimum.
func SimulatorSeconds(density bool, m Metrics) float64 {
	n := float64(m.Qubits)
	if density {
		n *= 2
	}
	secs := float64(max(m.Gates(), 1)) * math.Exp2(n) * 1e-9
	return math.Max(secs, MinBilledSeconds)
}
