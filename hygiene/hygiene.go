// Package hygiene reduces what exported numbers reveal: trained circuit
// angles and dataset values before they leave for a provider, a notebook
// or a colleague. It offers three operations and nothing more:
//
//   - [Round] quantises values to a grid: it hides low-order digits (which
//     can fingerprint a training run) and nothing else.
//   - [Clip] bounds values: it caps the influence of any one value and is
//     the precondition for [Laplace] to mean anything.
//   - [Laplace] adds noise from crypto/rand. With values clipped to a range
//     of width Δ and scale b = Δ/ε, each value on its own is ε-differentially
//     private (local DP). Repeated releases add up (kε after k), and
//     correlations between values are not hidden.
//
// None of these hides a circuit's structure, gate sequence or qubit count
// (see circuit/obfuscate for what the one-time pad hides), and noise on
// angles changes the circuit's output: pick the scale against the accuracy
// you can lose. They are no substitute for encryption (package protect).
package hygiene

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/qguard/qguard/circuit"
)

// Round returns values rounded to the nearest multiple of step (step > 0),
// for example 2π/1024 for angles.
func Round(values []float64, step float64) ([]float64, error) {
	if !(step > 0) || math.IsInf(step, 0) {
		return nil, fmt.Errorf("round: step must be a positive number, not %g", step)
	}
	return apply(values, func(v float64) float64 { return math.Round(v/step) * step }), nil
}

// Clip returns values limited to [lo, hi].
func Clip(values []float64, lo, hi float64) ([]float64, error) {
	if !(lo <= hi) {
		return nil, fmt.Errorf("clip: need lo <= hi, got %g and %g", lo, hi)
	}
	return apply(values, func(v float64) float64 { return math.Min(hi, math.Max(lo, v)) }), nil
}

// Laplace returns values plus independent Laplace(0, scale) noise drawn
// from crypto/rand.
func Laplace(values []float64, scale float64) ([]float64, error) {
	if !(scale >= 0) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("laplace: scale must be zero or positive, not %g", scale)
	}
	return apply(values, func(v float64) float64 { return v + laplace(scale) }), nil
}

// LaplaceScale is the scale that makes one value clipped to [lo, hi]
// ε-differentially private.
func LaplaceScale(lo, hi, epsilon float64) float64 { return (hi - lo) / epsilon }

// MapAngles returns a copy of c with f applied to every gate parameter
// (for example a closure over Round), leaving c unchanged.
func MapAngles(c *circuit.Circuit, f func([]float64) ([]float64, error)) (*circuit.Circuit, error) {
	out := *c
	out.Ops = make([]circuit.Op, len(c.Ops))
	for i, op := range c.Ops {
		if len(op.Params) > 0 {
			p, err := f(op.Params)
			if err != nil {
				return nil, err
			}
			op.Params = p
		}
		out.Ops[i] = op
	}
	return &out, nil
}

func apply(values []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(values))
	for i, v := range values {
		out[i] = f(v)
	}
	return out
}

// laplace draws Laplace(0, b) by inverse transform from a uniform in (−½, ½).
func laplace(b float64) float64 {
	if b == 0 {
		return 0
	}
	var buf [8]byte
	rand.Read(buf[:])
	u := (float64(binary.LittleEndian.Uint64(buf[:])>>11)+0.5)/(1<<53) - 0.5
	return -b * math.Copysign(1, u) * math.Log(1-2*math.Abs(u))
}
