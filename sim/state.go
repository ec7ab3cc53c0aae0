package sim

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
)

// state is an n-qubit state vector and how to work on it.
type state struct {
	a         []complex128
	n         int
	workers   int
	blockBits int
}

func newState(n int, opts Options) *state {
	s := &state{a: make([]complex128, 1<<n), n: n}
	s.workers, s.blockBits = opts.layout(n)
	s.a[0] = 1
	return s
}

// run applies the passes in order, checking ctx between them.
func (s *state) run(ctx context.Context, steps []step) error {
	for i := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.step(&steps[i])
	}
	return nil
}

func (s *state) step(st *step) {
	if !st.block {
		g := st.gates[0]
		parallel(g.groups(s.n), s.workers, func(lo, hi int) { g.apply(s.a, lo, hi) })
		return
	}
	size := 1 << s.blockBits
	parallel(len(s.a)/size, s.workers, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			chunk := s.a[c*size : (c+1)*size]
			for _, g := range st.gates {
				g.apply(chunk, 0, g.groups(s.blockBits))
			}
		}
	})
}

// sum adds f(part) over the state split across the workers.
func (s *state) sum(f func(a []complex128, offset int) float64) float64 {
	w := s.workers
	parts := make([]float64, w)
	step := (len(s.a) + w - 1) / w
	parallel(w, w, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			start := min(p*step, len(s.a))
			end := min(start+step, len(s.a))
			parts[p] = f(s.a[start:end], start)
		}
	})
	total := 0.0
	for _, v := range parts {
		total += v
	}
	return total
}

// probOne is the probability that qubit q reads 1.
func (s *state) probOne(q int) float64 {
	bit := 1 << q
	return s.sum(func(a []complex128, off int) float64 {
		p := 0.0
		for i, v := range a {
			if (off+i)&bit != 0 {
				p += real(v)*real(v) + imag(v)*imag(v)
			}
		}
		return p
	})
}

// measure collapses qubit q, drawing the outcome from rng, and returns it.
func (s *state) measure(q int, rng *rand.Rand) int {
	p1 := s.probOne(q)
	if rng.Float64() < p1 {
		s.collapse(q, 1, p1)
		return 1
	}
	s.collapse(q, 0, 1-p1)
	return 0
}

// collapse projects qubit q onto outcome, which had probability p, and
// renormalises.
func (s *state) collapse(q, outcome int, p float64) {
	scale := complex(1/math.Sqrt(p), 0)
	bit := 1 << q
	keep := outcome << q
	parallel(len(s.a), s.workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if i&bit == keep {
				s.a[i] *= scale
			} else {
				s.a[i] = 0
			}
		}
	})
}

// flip applies X to qubit q.
func (s *state) flip(q int) {
	x := &gate{targets: []int{q}, m: []complex128{0, 1, 1, 0}}
	x.prepare()
	s.step(&step{gates: []*gate{x}})
}

func (s *state) clone() *state {
	t := *s
	t.a = slices.Clone(s.a)
	return &t
}

// reset measures q and flips it back to |0⟩ when it read 1.
func (s *state) reset(q int, rng *rand.Rand) {
	if s.measure(q, rng) == 1 {
		s.flip(q)
	}
}

// sample draws shots basis-state indexes from |amplitude|² and returns how
// often each was drawn. One sweep over the state after sorting the draws
// avoids a second 2^n array of cumulative probabilities.
func (s *state) sample(shots int, rng *rand.Rand) map[int]int {
	counts := map[int]int{}
	if shots == 0 {
		return counts
	}
	total := s.sum(func(a []complex128, _ int) float64 {
		p := 0.0
		for _, v := range a {
			p += real(v)*real(v) + imag(v)*imag(v)
		}
		return p
	})
	draws := make([]float64, shots)
	for i := range draws {
		draws[i] = rng.Float64() * total
	}
	slices.Sort(draws)
	cum, d, lastNonZero := 0.0, 0, 0
	for i, v := range s.a {
		p := real(v)*real(v) + imag(v)*imag(v)
		if p == 0 {
			continue
		}
		lastNonZero = i
		cum += p
		for d < shots && draws[d] < cum {
			counts[i]++
			d++
		}
		if d == shots {
			return counts
		}
	}
	// Rounding left a few draws past the last cumulative sum.
	counts[lastNonZero] += shots - d
	return counts
}
