package sim

import (
	"context"
	"errors"
	"maps"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
)

func g(name string, qubits ...int) circuit.Op {
	return circuit.Op{Kind: circuit.Gate, Name: name, Qubits: qubits}
}

func gp(name string, params []float64, qubits ...int) circuit.Op {
	return circuit.Op{Kind: circuit.Gate, Name: name, Params: params, Qubits: qubits}
}

func measure(q, c int) circuit.Op {
	return circuit.Op{Kind: circuit.Measure, Qubits: []int{q}, Clbits: []int{c}}
}

func circ(qubits, clbits int, ops ...circuit.Op) *circuit.Circuit {
	c := &circuit.Circuit{Qubits: qubits, Clbits: clbits, Ops: ops}
	if clbits > 0 {
		c.CRegs = []circuit.Register{{Name: "c", Size: clbits}}
	}
	return c
}

// naive is the reference: every gate as a dense sum over the full state,
// written without any of the kernels' index tricks.
func naive(c *circuit.Circuit) []complex128 {
	a := make([]complex128, 1<<c.Qubits)
	a[0] = 1
	for _, op := range c.Ops {
		if op.Kind != circuit.Gate {
			continue
		}
		m, nc := op.Unitary()
		ctrl, tg := op.Qubits[:nc], op.Qubits[nc:]
		d := 1 << len(tg)
		out := make([]complex128, len(a))
		for i := range a {
			on := true
			for _, q := range ctrl {
				on = on && i>>q&1 == 1
			}
			if !on {
				out[i] = a[i]
				continue
			}
			r := 0
			for j, t := range tg {
				r |= (i >> t & 1) << j
			}
			for col := range d {
				src := i
				for j, t := range tg {
					src = src&^(1<<t) | (col>>j&1)<<t
				}
				out[i] += m[r*d+col] * a[src]
			}
		}
		a = out
	}
	return a
}

// randomCircuit draws gates of every built-in kind, with extra controls.
func randomCircuit(rng *rand.Rand, n, gates int) *circuit.Circuit {
	names := circuit.GateNames()
	c := circ(n, 0)
	for len(c.Ops) < gates {
		def, _ := circuit.LookupGate(names[rng.IntN(len(names))])
		extra := rng.IntN(3)
		if def.Qubits+extra > n || def.Targets() < 1 || def.Targets() > 2 {
			continue
		}
		qs := rng.Perm(n)[:def.Qubits+extra]
		params := make([]float64, def.Params)
		for i := range params {
			params[i] = (rng.Float64()*2 - 1) * 2 * math.Pi
		}
		c.Ops = append(c.Ops, circuit.Op{Kind: circuit.Gate, Name: def.Name, Params: params, Qubits: qs, Controls: extra})
	}
	return c
}

func maxDiff(a, b []complex128) float64 {
	d := 0.0
	for i := range a {
		d = max(d, cmplx.Abs(a[i]-b[i]))
	}
	return d
}

func TestKernelsMatchNaiveReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	variants := []struct {
		name string
		opts func(n int) Options
	}{
		{"gate-by-gate", func(int) Options { return Options{NoFusion: true} }},
		{"fused", func(int) Options { return Options{} }},
		{"fused-blocked", func(n int) Options { return Options{forceBlockBits: 1 + rng.IntN(n)} }},
		{"parallel", func(int) Options { return Options{NoFusion: true, forceWorkers: 3} }},
		{"fused-blocked-parallel", func(n int) Options { return Options{forceWorkers: 2, forceBlockBits: 1 + rng.IntN(n)} }},
	}
	for iter := range 150 {
		n := 2 + iter%7
		c := randomCircuit(rng, n, 5+rng.IntN(40))
		want := naive(c)
		for _, v := range variants {
			opts := v.opts(n)
			got, err := stateVector(c, opts)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxDiff(got, want); d > 1e-10 {
				t.Fatalf("%s, %d qubits, %+v: max amplitude difference %g\nops: %+v", v.name, n, opts, d, c.Ops)
			}
		}
	}
}

// Fusion patterns the random circuits rarely produce on their own.
func TestFusionPatterns(t *testing.T) {
	cases := map[string]*circuit.Circuit{
		"1q-runs":         circ(2, 0, g("h", 0), g("t", 0), g("sx", 0), g("h", 1), g("s", 1)),
		"absorb-before":   circ(2, 0, g("h", 0), g("t", 1), g("cx", 0, 1)),
		"absorb-after":    circ(2, 0, g("cx", 0, 1), g("h", 0), g("t", 1), g("y", 1)),
		"same-pair":       circ(3, 0, g("h", 0), g("cx", 0, 1), g("cz", 1, 0), gp("rzz", []float64{0.3}, 1, 0), g("swap", 0, 1)),
		"pair-then-other": circ(3, 0, g("h", 0), g("cx", 0, 1), g("cx", 1, 2), g("h", 1), g("ccx", 0, 1, 2), g("t", 0)),
		"controlled-swap": circ(3, 0, g("h", 0), g("x", 1), g("cswap", 0, 1, 2), g("h", 2)),
	}
	for name, c := range cases {
		for bb := 1; bb <= c.Qubits; bb++ {
			got, err := stateVector(c, Options{forceBlockBits: bb})
			if err != nil {
				t.Fatal(err)
			}
			if d := maxDiff(got, naive(c)); d > 1e-12 {
				t.Errorf("%s, block %d: difference %g", name, bb, d)
			}
		}
	}
}

func TestParallelLargeState(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	c := randomCircuit(rng, 15, 60)
	want, err := stateVector(c, Options{NoFusion: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{Workers: 2}, {Workers: 2, NoFusion: true}, {Workers: 1}} {
		got, err := stateVector(c, opts)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(got, want); d > 1e-10 {
			t.Errorf("%+v: difference %g", opts, d)
		}
	}
}

func distributionOf(t *testing.T, c *circuit.Circuit) map[string]float64 {
	t.Helper()
	d, err := Distribution(c)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func assertDistribution(t *testing.T, got, want map[string]float64) {
	t.Helper()
	for k, w := range want {
		if math.Abs(got[k]-w) > 1e-12 {
			t.Errorf("P(%s) = %g, want %g", k, got[k], w)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok && v > 1e-12 {
			t.Errorf("unexpected outcome %s with probability %g", k, v)
		}
	}
}

func TestTextbookCircuits(t *testing.T) {
	t.Run("Bell", func(t *testing.T) {
		c := circ(2, 2, g("h", 0), g("cx", 0, 1), measure(0, 0), measure(1, 1))
		assertDistribution(t, distributionOf(t, c), map[string]float64{"00": 0.5, "11": 0.5})
	})
	t.Run("BellProbabilities", func(t *testing.T) {
		p, err := Probabilities(circ(2, 2, g("h", 0), g("cx", 0, 1), measure(0, 0), measure(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{0.5, 0, 0, 0.5}
		for i := range want {
			if math.Abs(p[i]-want[i]) > 1e-15 {
				t.Errorf("P(%02b) = %g, want %g", i, p[i], want[i])
			}
		}
	})
	t.Run("GHZ", func(t *testing.T) {
		c := circ(5, 5, g("h", 0), g("cx", 0, 1), g("cx", 1, 2), g("cx", 2, 3), g("cx", 3, 4))
		for q := range 5 {
			c.Ops = append(c.Ops, measure(q, q))
		}
		assertDistribution(t, distributionOf(t, c), map[string]float64{"00000": 0.5, "11111": 0.5})
	})
	t.Run("Grover2", func(t *testing.T) {
		// Oracle marks |11⟩ (CZ); diffusion H X CZ X H.
		c := circ(2, 2, g("h", 0), g("h", 1), g("cz", 0, 1),
			g("h", 0), g("h", 1), g("x", 0), g("x", 1), g("cz", 0, 1), g("x", 0), g("x", 1), g("h", 0), g("h", 1),
			measure(0, 0), measure(1, 1))
		assertDistribution(t, distributionOf(t, c), map[string]float64{"11": 1})
	})
	t.Run("QFT", func(t *testing.T) {
		// QFT|x⟩ = Σ_k e^{2πi·xk/N}|k⟩/√N, checked amplitude by amplitude.
		const n = 4
		for x := range 1 << n {
			c := circ(n, 0)
			for q := range n {
				if x>>q&1 == 1 {
					c.Ops = append(c.Ops, g("x", q))
				}
			}
			for j := n - 1; j >= 0; j-- {
				c.Ops = append(c.Ops, g("h", j))
				for k := j - 1; k >= 0; k-- {
					c.Ops = append(c.Ops, gp("cp", []float64{math.Pi / float64(int(1)<<(j-k))}, k, j))
				}
			}
			for q := range n / 2 {
				c.Ops = append(c.Ops, g("swap", q, n-1-q))
			}
			a, err := StateVector(c)
			if err != nil {
				t.Fatal(err)
			}
			for k := range a {
				want := cmplx.Exp(complex(0, 2*math.Pi*float64(x*k)/(1<<n))) / 4
				if cmplx.Abs(a[k]-want) > 1e-12 {
					t.Fatalf("QFT|%d⟩: amplitude %d = %v, want %v", x, k, a[k], want)
				}
			}
		}
	})
	t.Run("InverseReturnsToZero", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		names := circuit.GateNames()
		for range 20 {
			c := circ(6, 0)
			for len(c.Ops) < 40 {
				def, _ := circuit.LookupGate(names[rng.IntN(len(names))])
				if _, _, ok := circuit.Inverse(def.Name, make([]float64, def.Params)); !ok || def.Qubits > 6 || def.Targets() < 1 || def.Targets() > 2 {
					continue
				}
				params := make([]float64, def.Params)
				for i := range params {
					params[i] = rng.Float64() * 6
				}
				c.Ops = append(c.Ops, gp(def.Name, params, rng.Perm(6)[:def.Qubits]...))
			}
			for i := len(c.Ops) - 1; i >= 0; i-- {
				op := c.Ops[i]
				name, params, _ := circuit.Inverse(op.Name, op.Params)
				c.Ops = append(c.Ops, gp(name, params, op.Qubits...))
			}
			a, err := StateVector(c)
			if err != nil {
				t.Fatal(err)
			}
			if cmplx.Abs(a[0]) < 1-1e-10 {
				t.Fatalf("|⟨0|U†U|0⟩| = %g, want 1", cmplx.Abs(a[0]))
			}
		}
	})
}

func TestRunSampling(t *testing.T) {
	ctx := context.Background()
	bell := circ(2, 2, g("h", 0), g("cx", 0, 1), measure(0, 0), measure(1, 1))
	r1, err := Run(ctx, bell, Options{Shots: 4000, Seed: 7, Probabilities: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(r1.Counts) != 2 || r1.Counts["00"]+r1.Counts["11"] != 4000 || r1.Shots != 4000 {
		t.Fatalf("counts %v", r1.Counts)
	}
	// 4000 fair coin flips: 2000 ± 5σ (σ ≈ 32).
	if c := r1.Counts["00"]; c < 1840 || c > 2160 {
		t.Errorf("00 drawn %d times out of 4000", c)
	}
	assertDistribution(t, r1.Probabilities, map[string]float64{"00": 0.5, "11": 0.5})
	r2, _ := Run(ctx, bell, Options{Shots: 4000, Seed: 7})
	if r2.Counts["00"] != r1.Counts["00"] {
		t.Errorf("same seed gave %v then %v", r1.Counts, r2.Counts)
	}
	r3, _ := Run(ctx, bell, Options{Shots: 4000, Seed: 8})
	if r3.Counts["00"] == r1.Counts["00"] {
		t.Errorf("seeds 7 and 8 gave the same counts %v", r1.Counts)
	}

	// Bit order: qubit 0 measured into classical bit 2 of 3 prints first.
	r, err := Run(ctx, circ(2, 3, g("x", 0), measure(0, 2), measure(1, 0)), Options{Shots: 10})
	if err != nil {
		t.Fatal(err)
	}
	if r.Counts["100"] != 10 {
		t.Errorf("counts %v, want 100 ×10", r.Counts)
	}

	// No measurement: every qubit is measured.
	r, err = Run(ctx, circ(3, 0, g("x", 1)), Options{Shots: 5})
	if err != nil || r.Counts["010"] != 5 {
		t.Errorf("unmeasured circuit: %v %v", r, err)
	}

	// Idle qubits are left out of the state: 40 declared, 2 used.
	wide := circ(40, 3, g("x", 39), g("cx", 39, 3), measure(3, 2), measure(39, 0))
	r, err = Run(ctx, wide, Options{Shots: 5, Probabilities: true})
	if err != nil || r.Counts["101"] != 5 || r.Probabilities["101"] != 1 {
		t.Errorf("40 declared qubits, 2 used: %v %v", r, err)
	}
	r, err = Run(ctx, circ(40, 0, g("x", 39), g("h", 2), g("h", 2)), Options{Shots: 5})
	if want := "1" + strings.Repeat("0", 39); err != nil || r.Counts[want] != 5 {
		t.Errorf("40 declared qubits, unmeasured: %v %v", r, err)
	}
	reset := circuit.Op{Kind: circuit.Reset, Qubits: []int{39}}
	r, err = Run(ctx, circ(40, 0, g("x", 39), g("x", 5), reset), Options{Shots: 5})
	if want := strings.Repeat("0", 34) + "100000"; err != nil || r.Counts[want] != 5 {
		t.Errorf("40 declared qubits, reset, unmeasured: %v %v", r, err)
	}
}

func TestRunPerShot(t *testing.T) {
	ctx := context.Background()
	// Mid-circuit measurement feeding an `if`: q1 copies q0's outcome.
	cond := g("x", 1)
	cond.Cond = &circuit.Condition{Reg: "c", Offset: 0, Size: 1, Value: 1}
	c := circ(2, 2, g("h", 0), measure(0, 0), cond, g("h", 0), g("h", 0), measure(1, 1))
	r, err := Run(ctx, c, Options{Shots: 2000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Counts) != 2 || r.Counts["00"]+r.Counts["11"] != 2000 || r.Counts["00"] < 850 || r.Counts["00"] > 1150 {
		t.Errorf("counts %v, want 00 and 11 about 1000 each", r.Counts)
	}
	// Reset after an X always reads 0; measuring twice reads the same value.
	reset := circuit.Op{Kind: circuit.Reset, Qubits: []int{0}}
	c = circ(2, 3, g("x", 0), g("h", 1), measure(1, 1), reset, measure(0, 0), measure(1, 2))
	r, err = Run(ctx, c, Options{Shots: 500, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for k := range r.Counts {
		if k != "000" && k != "110" {
			t.Errorf("outcome %s after reset", k)
		}
	}
	r, err = Run(ctx, c, Options{Shots: 1, Probabilities: true})
	if err != nil {
		t.Fatal(err)
	}
	assertDistribution(t, r.Probabilities, map[string]float64{"000": 0.5, "110": 0.5})

	// Exact distributions follow both branches of every measurement.
	c = circ(2, 2, g("h", 0), measure(0, 0), cond, g("h", 0), g("h", 0), measure(1, 1))
	assertDistribution(t, distributionOf(t, c), map[string]float64{"00": 0.5, "11": 0.5})
	c = circ(1, 1, gp("ry", []float64{2 * math.Pi / 3}, 0), measure(0, 0), g("h", 0), measure(0, 0))
	assertDistribution(t, distributionOf(t, c), map[string]float64{"0": 0.5, "1": 0.5})
	// Reset without measurement: every qubit is measured at the end.
	c = circ(2, 0, g("x", 0), g("x", 1), circuit.Op{Kind: circuit.Reset, Qubits: []int{1}})
	assertDistribution(t, distributionOf(t, c), map[string]float64{"01": 1})
	// Too many branches: 5 independent coin flips measured mid-circuit
	// make 32 branches, over a limit of 16.
	saved := maxBranches
	t.Cleanup(func() { maxBranches = saved })
	maxBranches = 16
	c = circ(5, 5)
	for q := range 5 {
		c.Ops = append(c.Ops, g("h", q), measure(q, q), g("h", q))
	}
	if _, err := Distribution(c); qguard.ErrorCode(err) != qguard.ETOOLARGE {
		t.Errorf("32 branches: %v", err)
	}
	c.Ops = c.Ops[:len(c.Ops)-3] // 4 flips: 16 branches, within the limit
	if d, err := Distribution(c); err != nil || len(d) != 16 {
		t.Errorf("16 branches: %d outcomes, %v", len(d), err)
	}
	if _, err := StateVector(c); qguard.ErrorCode(err) != qguard.EINVALID {
		t.Errorf("state vector of a dynamic circuit: %v", err)
	}
}

func TestRunErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Run(ctx, hAll(29), Options{Shots: 1}); qguard.ErrorCode(err) != qguard.ETOOLARGE {
		t.Errorf("29 qubits under the default cap: %v", err)
	}
	if _, err := Run(ctx, hAll(5), Options{Shots: 1, MaxQubits: 4}); qguard.ErrorCode(err) != qguard.ETOOLARGE {
		t.Errorf("5 qubits with cap 4: %v", err)
	}
	if _, err := StateVector(circ(29, 0, g("h", 0))); qguard.ErrorCode(err) != qguard.ETOOLARGE {
		t.Errorf("state vector of 29 declared qubits: %v", err)
	}
	saved := memAvailable
	t.Cleanup(func() { memAvailable = saved })
	memAvailable = func() (uint64, bool) { return 1 << 20, true }
	// 23 qubits need 128 MiB; the check must refuse before allocating.
	if _, err := Run(ctx, hAll(23), Options{Shots: 1}); qguard.ErrorCode(err) != qguard.ETOOLARGE {
		t.Errorf("23 qubits with 1 MiB available: %v", err)
	}
	memAvailable = saved

	bad := map[string]*circuit.Circuit{
		"unknown gate":   circ(2, 0, g("nosuch", 0)),
		"qubit range":    circ(2, 0, g("h", 2)),
		"repeated qubit": circ(2, 0, g("cx", 1, 1)),
		"wrong arity":    circ(3, 0, g("cx", 0, 1, 2)),
		"clbit range":    circ(2, 1, measure(0, 1)),
		"no qubits":      circ(0, 0),
	}
	for name, c := range bad {
		if _, err := Run(ctx, c, Options{Shots: 1}); qguard.ErrorCode(err) != qguard.EINVALIDCIRCUIT {
			t.Errorf("%s: %v", name, err)
		}
	}
	savedOutcomes := maxOutcomes
	t.Cleanup(func() { maxOutcomes = savedOutcomes })
	maxOutcomes = 1 << 10
	if _, err := Distribution(hAll(11)); qguard.ErrorCode(err) != qguard.ETOOLARGE {
		t.Errorf("2^11 outcomes over a limit of 2^10: %v", err)
	}
	if _, err := Distribution(hAll(10)); err != nil {
		t.Errorf("2^10 outcomes: %v", err)
	}
	maxOutcomes = savedOutcomes
	if _, err := Run(ctx, circ(1, 0), Options{Shots: -1}); qguard.ErrorCode(err) != qguard.EINVALID {
		t.Errorf("negative shots: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Run(cctx, circ(2, 0, g("h", 0)), Options{Shots: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// Per-shot sampling agrees with the exact branch enumeration on random
// dynamic circuits: every outcome's frequency within 5σ of its probability.
func TestPerShotMatchesExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for iter := range 10 {
		c := randomCircuit(rng, 3, 6)
		c.Clbits = 3
		c.CRegs = []circuit.Register{{Name: "c", Size: 3}}
		mid := randomCircuit(rng, 3, 4).Ops
		cond := mid[0]
		cond.Cond = &circuit.Condition{Reg: "c", Offset: 0, Size: 2, Value: uint64(rng.IntN(4))}
		c.Ops = append(c.Ops, measure(0, 0), circuit.Op{Kind: circuit.Reset, Qubits: []int{1}}, measure(2, 1), cond)
		c.Ops = append(c.Ops, mid[1:]...)
		c.Ops = append(c.Ops, measure(0, 0), measure(1, 1), measure(2, 2))
		exact, err := Distribution(c)
		if err != nil {
			t.Fatal(err)
		}
		const shots = 4000
		r, err := Run(context.Background(), c, Options{Shots: shots, Seed: uint64(iter)})
		if err != nil {
			t.Fatal(err)
		}
		for k, n := range r.Counts {
			if exact[k] == 0 {
				t.Fatalf("circuit %d: outcome %s drawn %d times but has probability 0", iter, k, n)
			}
		}
		for k, p := range exact {
			sigma := math.Sqrt(shots * p * (1 - p))
			if d := math.Abs(float64(r.Counts[k]) - shots*p); d > 5*sigma+1 {
				t.Errorf("circuit %d: outcome %s drawn %d times, expected %.0f ± %.0f", iter, k, r.Counts[k], shots*p, sigma)
			}
		}
	}
}

// Per-shot counts for a seed do not depend on how many cores share the
// shots.
func TestPerShotDeterministicAcrossCores(t *testing.T) {
	c := circ(2, 2, g("h", 0), measure(0, 0), g("h", 0), g("h", 1), measure(0, 0), measure(1, 1))
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	one, err := Run(context.Background(), c, Options{Shots: 3000, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GOMAXPROCS(3)
	three, err := Run(context.Background(), c, Options{Shots: 3000, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(one.Counts, three.Counts) {
		t.Errorf("1 core: %v, 3 cores: %v", one.Counts, three.Counts)
	}
	total := 0
	for _, n := range three.Counts {
		total += n
	}
	if total != 3000 || len(three.Counts) != 4 {
		t.Errorf("counts %v", three.Counts)
	}
}
