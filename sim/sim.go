// Package sim is qguard's embedded state-vector simulator, the engine of the
// `local` provider and of `qguard circuit run`.
//
// The state is a complex128 vector of 2^n amplitudes (16·2^n bytes: 1 GiB at
// 26 qubits, 4 GiB at 28), checked against [Options.MaxQubits] and the
// machine's available memory before anything is allocated. Qubits that no
// operation touches are left out of the state (they stay |0⟩), so n counts
// the qubits a circuit uses, not those it declares. Basis states are
// little-endian (qubit i is bit i of the index) and counts are keyed by
// bitstrings with classical bit n-1 first, as Qiskit prints them.
//
// # Execution
//
// When every measurement is terminal (nothing touches a qubit after it is
// measured, and there is no reset or `if`), the circuit runs once and the
// shots are sampled from the final state. Otherwise the deterministic prefix
// runs once and the rest runs again for every shot, collapsing the state at
// each measurement. A circuit without any measurement is measured on every
// qubit, as Braket does.
//
// Gates are fused and cache-blocked before they run (see fuse.go) and each
// pass over a state of 14 qubits or more is split across all cores.
package sim

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
)

// DefaultMaxQubits is the qubit cap when Options.MaxQubits is zero: a
// 28-qubit state takes 4 GiB.
const DefaultMaxQubits = 28

// Options control a run.
type Options struct {
	Shots int    // samples to draw; 0 draws none (for Probabilities alone)
	Seed  uint64 // the same seed and circuit give the same counts
	// MaxQubits caps the state size; 0 means DefaultMaxQubits.
	MaxQubits int
	// Probabilities adds the exact outcome distribution to the result
	// (for circuits with mid-circuit measurement, reset or `if`: up to 20
	// qubits and 4096 measurement branches).
	Probabilities bool
	// NoFusion applies the gates one by one, one pass each (for
	// benchmarks and differential tests).
	NoFusion bool
	// Workers caps the goroutines per pass; 0 means GOMAXPROCS.
	Workers int

	// For tests: force a worker count and a cache-block size at any n.
	forceWorkers, forceBlockBits int
	// keepIdle simulates every declared qubit, for StateVector.
	keepIdle bool
}

// layout returns the goroutines per pass and the cache-block size in
// qubits for an n-qubit state.
func (o Options) layout(n int) (w, blockBits int) {
	w = workers(n, o.Workers)
	if o.forceWorkers > 0 {
		w = o.forceWorkers
	}
	blockBits = blockBitsFor(n, w)
	if o.forceBlockBits > 0 {
		blockBits = min(n, o.forceBlockBits)
	}
	return w, blockBits
}

// Run simulates c and returns counts over its classical bits.
//
// Errors: ETOOLARGE when c needs more qubits than the cap or more memory
// than is available, EINVALIDCIRCUIT for an operation the simulator does not
// know, EINVALID for bad options, and ctx's error when it is cancelled.
func Run(ctx context.Context, c *circuit.Circuit, opts Options) (*qguard.Result, error) {
	if opts.Shots < 0 {
		return nil, qguard.Errorf(qguard.EINVALID, "shots must not be negative, got %d", opts.Shots)
	}
	p, err := compile(c, opts)
	if err != nil {
		return nil, err
	}
	need := uint64(16) << p.n
	if !p.terminal {
		// The prefix state and a per-shot copy (one per core below
		// minParallelQubits, where states are at most 256 KiB).
		need *= 2
	}
	if err := checkMemory(p.n, need); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	s := newState(p.n, opts)
	if err := s.run(ctx, p.prefix); err != nil {
		return nil, err
	}
	res := &qguard.Result{Counts: map[string]int{}, Shots: opts.Shots}
	if opts.Probabilities {
		if res.Probabilities, err = p.exact(ctx, s); err != nil {
			return nil, err
		}
	}
	if p.terminal {
		for idx, n := range s.sample(opts.Shots, rng) {
			res.Counts[p.bitstring(idx)] += n
		}
		return res, nil
	}
	if res.Counts, err = p.runShots(ctx, s, opts.Shots, opts.Seed); err != nil {
		return nil, err
	}
	return res, nil
}

// shotBlock is how many shots share one random stream in per-shot
// simulation. Blocks, not goroutines, own the streams, so that the counts
// for a seed do not depend on the number of cores.
const shotBlock = 1024

// runShots runs the per-shot part shots times from the prefix state. Small
// states run one shot per goroutine at a time (their passes are too small
// to split); large ones split each pass instead.
func (p *program) runShots(ctx context.Context, prefix *state, shots int, seed uint64) (map[string]int, error) {
	blocks := (shots + shotBlock - 1) / shotBlock
	w := min(1, blocks)
	if prefix.n < minParallelQubits {
		w = min(runtime.GOMAXPROCS(0), blocks)
	}
	var (
		next     atomic.Int64
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	total := map[string]int{}
	for range w {
		wg.Go(func() {
			work := &state{a: make([]complex128, len(prefix.a)), n: prefix.n, workers: prefix.workers, blockBits: prefix.blockBits}
			clbits := make([]bool, p.clbits)
			counts := map[string]int{}
			var err error
			for err == nil {
				b := int(next.Add(1)) - 1
				if b >= blocks {
					break
				}
				rng := rand.New(rand.NewPCG(seed, uint64(b)^0x9e3779b97f4a7c15))
				for range min(shotBlock, shots-b*shotBlock) {
					copy(work.a, prefix.a)
					clear(clbits)
					if err = p.runShot(ctx, work, clbits, rng); err != nil {
						break
					}
					counts[p.clbitString(clbits)]++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			for k, v := range counts {
				total[k] += v
			}
		})
	}
	wg.Wait()
	return total, firstErr
}

// exact returns the outcome distribution from the state after the prefix,
// leaving s unchanged.
func (p *program) exact(ctx context.Context, s *state) (map[string]float64, error) {
	if p.terminal {
		return p.distribution(s.a)
	}
	if s.n > maxBranchQubits {
		return nil, qguard.Errorf(qguard.ETOOLARGE,
			"exact probabilities of a circuit with mid-circuit measurement, reset or if are limited to %d qubits; sample instead", maxBranchQubits)
	}
	out := map[string]float64{}
	budget := maxBranches
	if err := p.enumerate(ctx, s.clone(), 0, make([]bool, p.clbits), 1, out, &budget); err != nil {
		return nil, err
	}
	for k, v := range out {
		if v < zeroProbability {
			delete(out, k)
		}
	}
	return out, nil
}

// StateVector returns the final state of c's unitary part over all of its
// declared qubits (2^c.Qubits amplitudes): measurements at the end are
// ignored; a mid-circuit measurement, reset or `if` is an error.
func StateVector(c *circuit.Circuit) ([]complex128, error) {
	return stateVector(c, Options{})
}

func stateVector(c *circuit.Circuit, opts Options) ([]complex128, error) {
	opts.keepIdle = true
	p, err := compile(c, opts)
	if err != nil {
		return nil, err
	}
	if !p.terminal {
		return nil, qguard.Errorf(qguard.EINVALID, "the state vector is defined only for circuits whose measurements are all at the end")
	}
	if err := checkMemory(p.n, uint64(16)<<p.n); err != nil {
		return nil, err
	}
	s := newState(p.n, opts)
	if err := s.run(context.Background(), p.prefix); err != nil {
		return nil, err
	}
	return s.a, nil
}

// Probabilities returns |amplitude|² for every basis state of c (index i is
// the basis state whose bit q is qubit q), with the same restrictions as
// StateVector.
func Probabilities(c *circuit.Circuit) ([]float64, error) {
	a, err := StateVector(c)
	if err != nil {
		return nil, err
	}
	p := make([]float64, len(a))
	for i, v := range a {
		p[i] = real(v)*real(v) + imag(v)*imag(v)
	}
	return p, nil
}

// Distribution returns the exact probability of each measured bitstring of
// c (classical bit n-1 first), leaving out outcomes of probability zero.
// Circuits with mid-circuit measurement, reset or `if` are handled by
// following every measurement branch, up to 20 qubits and 4096 branches.
func Distribution(c *circuit.Circuit) (map[string]float64, error) {
	p, err := compile(c, Options{})
	if err != nil {
		return nil, err
	}
	if err := checkMemory(p.n, uint64(32)<<p.n); err != nil {
		return nil, err
	}
	s := newState(p.n, Options{})
	if err := s.run(context.Background(), p.prefix); err != nil {
		return nil, err
	}
	return p.exact(context.Background(), s)
}

// checkQubits refuses states over the cap.
func checkQubits(n, maxQubits int) error {
	if maxQubits <= 0 {
		maxQubits = DefaultMaxQubits
	}
	if n > maxQubits {
		return qguard.Errorf(qguard.ETOOLARGE,
			"circuit has %d qubits; the local simulator's cap is %d (simulator.max_qubits in config.yaml)", n, maxQubits)
	}
	return nil
}

// checkMemory refuses to allocate more than the available memory. Small
// states (up to 64 MiB) are not checked: reading /proc/meminfo would cost
// more than simulating them.
func checkMemory(n int, need uint64) error {
	if need <= 64<<20 {
		return nil
	}
	if avail, ok := memAvailable(); ok && need > avail {
		return qguard.Errorf(qguard.ETOOLARGE,
			"simulating %d qubits needs %s of memory but only %s is available; use fewer qubits or free memory",
			n, gib(need), gib(avail))
	}
	return nil
}

func gib(b uint64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// memAvailable reads MemAvailable from /proc/meminfo; ok is false where
// that file does not exist. A variable so that tests can shrink it.
var memAvailable = func() (uint64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, found := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !found {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, false
		}
		return kb * 1024, true
	}
	return 0, false
}
