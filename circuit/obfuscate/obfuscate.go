// Package obfuscate hides a circuit's gate angles, its output and its qubit
// labels from the provider that compiles and runs it, with a keyed quantum
// one-time pad (reference: Qiskit Ignis QOTP and randomized compiling):
//
//  1. The circuit is lowered to one-qubit unitaries and CX. Mid-circuit
//     measurement, reset and `if` are refused: the pad is undone on the
//     final bitstrings only.
//  2. Around every CX a random Pauli X^a·Z^b goes on both qubits before the
//     gate and the propagated Pauli after it (X on the control spreads to
//     the target, Z on the target to the control), so the pair cancels
//     through the CX.
//  3. Around every CX a random Rz(α) on the control and Rx(β) on the target
//     (both commute with the CX) are undone after it: an identity pair split
//     by the CX, which a peephole optimiser cannot cancel as adjacent
//     gates.
//  4. A final random X mask flips the output bits, and a random permutation
//     relabels the qubits and the classical bits.
//
// All the extra gates are merged into the neighbouring one-qubit gates and
// re-synthesised as U(θ,φ,λ), so every angle the provider sees is random
// and the obfuscated circuit has exactly the lowered circuit's CX gates.
// The [Key] (mask and permutations) undoes step 4 on the counts; it comes
// from crypto/rand and must never reach the provider.
//
// What stays visible: the CX skeleton (which qubit pairs interact, how
// often and in what order, up to relabelling), the circuit's width and
// depth, and the shot count.
package obfuscate

import (
	"crypto/rand"
	"encoding/binary"
	"math"
	mrand "math/rand/v2"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
)

// Options tune the transformation. The zero value is the full scheme.
type Options struct {
	// NoIdentityPairs leaves out the random rotation pairs around each CX
	// (to measure what they cost); the Pauli frame, mask and relabelling
	// stay.
	NoIdentityPairs bool
}

// Obfuscate returns an obfuscated copy of c and the key that restores its
// results. c itself is not modified. The copy is an OpenQASM 3 circuit on
// one register q and one register c, with gates U and cx only, followed by
// measurements; a circuit without measurements is given one per qubit, as
// the simulator and Braket measure such circuits.
//
// Errors: EINVALIDCIRCUIT for mid-circuit measurement, reset, `if`, or a
// gate that cannot be lowered.
func Obfuscate(c *circuit.Circuit, opts Options) (*circuit.Circuit, *Key, error) {
	if m := c.Metrics(); m.MidCircuit || m.Resets > 0 || m.Conditional > 0 {
		return nil, nil, qguard.Errorf(qguard.EINVALIDCIRCUIT,
			"circuit has mid-circuit measurement, reset or if; obfuscation needs measurements at the end only: run it without obfuscation (for example on the local simulator)")
	}
	n := c.Qubits
	var l lowerer
	type out struct{ qubit, clbit int }
	var outs []out
	for _, op := range c.Ops {
		switch op.Kind {
		case circuit.Gate:
			if err := l.op(op); err != nil {
				return nil, nil, err
			}
		case circuit.Measure:
			outs = append(outs, out{op.Qubits[0], op.Clbits[0]})
		}
	}
	width := c.Clbits
	if len(outs) == 0 {
		width = n
		for q := range n {
			outs = append(outs, out{q, q})
		}
	}

	rng := mrand.New(cryptoSource{})
	key := &Key{Version: keyVersion, Qubits: n, Width: width, Perm: relabelling(rng, n), Bits: rng.Perm(width)}
	mask := make([]bool, n)
	for q := range mask {
		mask[q] = rng.IntN(2) == 1
	}

	ob := &circuit.Circuit{
		Version: 3, Qubits: n, Clbits: width,
		QRegs: []circuit.Register{{Name: "q", Size: n}},
	}
	if width > 0 {
		ob.CRegs = []circuit.Register{{Name: "c", Size: width}}
	}
	pending := make([]mat, n)
	for q := range pending {
		pending[q] = identity
	}
	flush := func(q int) {
		m := pending[q]
		pending[q] = identity
		if equalUpToPhase(m, identity) {
			return
		}
		_, theta, phi, lambda := zyz(m)
		ob.Ops = append(ob.Ops, circuit.Op{Kind: circuit.Gate, Name: "U", Params: []float64{theta, phi, lambda}, Qubits: []int{key.Perm[q]}})
	}
	for _, s := range l.out {
		if !s.cx {
			pending[s.q] = mul(s.m, pending[s.q])
			continue
		}
		c, t := s.q, s.t
		xc, zc, xt, zt := rng.IntN(2) == 1, rng.IntN(2) == 1, rng.IntN(2) == 1, rng.IntN(2) == 1
		rc, rt := identity, identity
		if !opts.NoIdentityPairs {
			rc, rt = rz(randomAngle(rng)), rx(randomAngle(rng))
		}
		pending[c] = mul(pauli(xc, zc), mul(rc, pending[c]))
		pending[t] = mul(pauli(xt, zt), mul(rt, pending[t]))
		flush(c)
		flush(t)
		ob.Ops = append(ob.Ops, circuit.Op{Kind: circuit.Gate, Name: "cx", Qubits: []int{key.Perm[c], key.Perm[t]}})
		// CX·(X^xc Z^zc ⊗ X^xt Z^zt) = (X^xc Z^(zc⊕zt) ⊗ X^(xt⊕xc) Z^zt)·CX, up to phase.
		pending[c] = mul(dagger(rc), pauli(xc, zc != zt))
		pending[t] = mul(dagger(rt), pauli(xt != xc, zt))
	}
	for q := range n {
		if mask[q] {
			pending[q] = mul(pauliX, pending[q])
		}
		flush(q)
	}
	key.Mask = make([]bool, width)
	for _, o := range outs {
		key.Mask[o.clbit] = mask[o.qubit]
		ob.Ops = append(ob.Ops, circuit.Op{Kind: circuit.Measure, Qubits: []int{key.Perm[o.qubit]}, Clbits: []int{key.Bits[o.clbit]}})
	}
	key.QubitMask = mask
	return ob, key, nil
}

// relabelling draws a random permutation of n qubits other than the
// identity, so that the labels always change.
func relabelling(r *mrand.Rand, n int) []int {
	for {
		p := r.Perm(n)
		for i, v := range p {
			if i != v {
				return p
			}
		}
		if n < 2 {
			return p
		}
	}
}

func randomAngle(r *mrand.Rand) float64 { return (2*r.Float64() - 1) * math.Pi }

// cryptoSource draws from crypto/rand, so that no key is reproducible
// from a seed.
type cryptoSource struct{}

func (cryptoSource) Uint64() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}
