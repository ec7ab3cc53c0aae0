package sim

import (
	"math"
	"math/bits"
	"runtime"
	"sync"
)

// This file holds the state-vector kernels. Every kernel walks the reduced
// index space k ∈ [0, 2^(n-q)) where q is the number of qubits the gate
// touches: inserting a zero bit at each touched position turns k into the
// index of the group's |0…0⟩ amplitude. Consecutive k below the lowest
// touched position map to consecutive amplitudes, so the inner loops run
// over contiguous sub-slices that the compiler can bounds-check once.

// kind selects the specialised kernel for a gate.
type kind uint8

const (
	kDense1   kind = iota // general 2×2 matrix
	kReal1                // 2×2 with real entries (H, RY): half the multiplications
	kDiag1                // diagonal 2×2: a scaling of each half
	kPerm1                // X: swap the two halves
	kDense2               // general 4×4 matrix
	kMono2                // 4×4 with one nonzero per row: a phased permutation
	kSparse2              // 4×4 with at most two nonzeros per row
	kDiag2                // diagonal 4×4
	kSwap                 // SWAP: exchange |01⟩ and |10⟩
	kIdentity             // nothing to do
)

// gate is a unitary on one or two target qubits, applied only where every
// control qubit is 1.
type gate struct {
	targets  []int        // targets[0] is the low bit of the matrix index
	controls []int        // all must be 1
	m        []complex128 // row-major 2^k×2^k, k = len(targets)
	kind     kind

	// Derived by prepare.
	ins   []int // touched positions, ascending, for zero-bit insertion
	low   int   // lowest touched position
	cmask int   // OR of the control bits
	zmask int   // OR of all touched bits
	s0    int   // 1 << targets[0]
	s1    int   // 1 << targets[1] (two-target gates)
	// Sparse 4×4 rows: out[r] = v[r][0]·x[col[r][0]] + v[r][1]·x[col[r][1]].
	col [4][2]uint8
	v   [4][2]complex128
}

// qubits returns every qubit the gate touches.
func (g *gate) qubits() []int {
	q := make([]int, 0, len(g.targets)+len(g.controls))
	q = append(q, g.controls...)
	return append(q, g.targets...)
}

// prepare classifies the matrix and precomputes the index masks.
func (g *gate) prepare() {
	g.kind = g.classify()
	g.ins = g.ins[:0]
	g.cmask = 0
	for _, c := range g.controls {
		g.cmask |= 1 << c
	}
	mask := g.cmask
	for _, t := range g.targets {
		mask |= 1 << t
	}
	g.zmask = mask
	for m := mask; m != 0; m &= m - 1 {
		g.ins = append(g.ins, bits.TrailingZeros(uint(m)))
	}
	g.low = g.ins[0]
	g.s0 = 1 << g.targets[0]
	if len(g.targets) > 1 {
		g.s1 = 1 << g.targets[1]
	}
}

// negligible is the magnitude under which a matrix entry is rounding noise
// from fusion (H·H leaves 1e-17 off the diagonal) and is set to zero, so
// that the cheaper kernels apply.
const negligible = 1e-14

// classify picks the cheapest exact kernel for m.
func (g *gate) classify() kind {
	m := g.m
	for i, v := range m {
		if v != 0 && math.Abs(real(v)) < negligible && math.Abs(imag(v)) < negligible {
			m[i] = 0
		}
	}
	if len(m) == 4 {
		switch {
		case m[1] == 0 && m[2] == 0 && m[0] == 1 && m[3] == 1:
			return kIdentity
		case m[1] == 0 && m[2] == 0:
			return kDiag1
		case m[0] == 0 && m[3] == 0 && m[1] == 1 && m[2] == 1:
			return kPerm1
		case imag(m[0]) == 0 && imag(m[1]) == 0 && imag(m[2]) == 0 && imag(m[3]) == 0:
			return kReal1
		}
		return kDense1
	}
	diag, ident := true, true
	maxRow := 0
	for r := range 4 {
		nz := 0
		for c := range 4 {
			v := m[r*4+c]
			if v != 0 {
				if nz < 2 {
					g.col[r][nz], g.v[r][nz] = uint8(c), v
				}
				nz++
			}
			if r != c && v != 0 {
				diag = false
			}
			if (r == c && v != 1) || (r != c && v != 0) {
				ident = false
			}
		}
		maxRow = max(maxRow, nz)
	}
	switch {
	case ident:
		return kIdentity
	case diag:
		return kDiag2
	case isSwap(m):
		return kSwap
	case maxRow == 1:
		return kMono2
	case maxRow == 2:
		return kSparse2
	}
	return kDense2
}

func isSwap(m []complex128) bool {
	for r := range 4 {
		for c := range 4 {
			want := complex128(0)
			if (r == 0 && c == 0) || (r == 3 && c == 3) || (r == 1 && c == 2) || (r == 2 && c == 1) {
				want = 1
			}
			if m[r*4+c] != want {
				return false
			}
		}
	}
	return true
}

// groups is the size of the reduced index space of g on an n-qubit state.
func (g *gate) groups(n int) int { return 1 << (n - len(g.ins)) }

// base inserts a zero bit at each touched position of k and sets the
// control bits.
func (g *gate) base(k int) int {
	for _, p := range g.ins {
		lowMask := 1<<p - 1
		k = (k&^lowMask)<<1 | k&lowMask
	}
	return k | g.cmask
}

// apply runs g on the groups [lo, hi) of state a.
func (g *gate) apply(a []complex128, lo, hi int) {
	if g.kind == kIdentity || lo >= hi {
		return
	}
	if g.low < 3 {
		g.applyStrided(a, lo, hi)
		return
	}
	run := 1 << g.low
	for k := lo; k < hi; {
		b := g.base(k)
		r := min(hi-k, run-(k&(run-1)))
		k += r
		switch g.kind {
		case kDense1:
			dense1(a[b:b+r], a[b+g.s0:b+g.s0+r], g.m)
		case kReal1:
			real1(a[b:b+r], a[b+g.s0:b+g.s0+r], g.m)
		case kDiag1:
			diag1(a[b:b+r], a[b+g.s0:b+g.s0+r], g.m[0], g.m[3])
		case kPerm1:
			perm1(a[b:b+r], a[b+g.s0:b+g.s0+r])
		case kSwap:
			perm1(a[b+g.s0:b+g.s0+r], a[b+g.s1:b+g.s1+r])
		case kDense2:
			dense2(a[b:b+r], a[b+g.s0:b+g.s0+r], a[b+g.s1:b+g.s1+r], a[b+g.s0+g.s1:b+g.s0+g.s1+r], g.m)
		case kMono2, kSparse2:
			g.sparse2(a[b:b+r], a[b+g.s0:b+g.s0+r], a[b+g.s1:b+g.s1+r], a[b+g.s0+g.s1:b+g.s0+g.s1+r])
		case kDiag2:
			diag1(a[b:b+r], a[b+g.s0:b+g.s0+r], g.m[0], g.m[5])
			diag1(a[b+g.s1:b+g.s1+r], a[b+g.s0+g.s1:b+g.s0+g.s1+r], g.m[10], g.m[15])
		}
	}
}

// applyStrided is apply for gates on the lowest qubits, where contiguous
// runs are too short to pay for slicing: it steps from one group to the
// next with ((i | z) + 1) &^ z, which enumerates in order the indexes whose
// touched bits are zero.
func (g *gate) applyStrided(a []complex128, lo, hi int) {
	z, cm, s0, s1 := g.zmask, g.cmask, g.s0, g.s1
	i := g.base(lo) &^ cm
	n := hi - lo
	switch g.kind {
	case kDense1, kReal1:
		m00, m01, m10, m11 := g.m[0], g.m[1], g.m[2], g.m[3]
		for range n {
			b := i | cm
			x, y := a[b], a[b+s0]
			a[b], a[b+s0] = m00*x+m01*y, m10*x+m11*y
			i = ((i | z) + 1) &^ z
		}
	case kDiag1:
		d0, d1 := g.m[0], g.m[3]
		for range n {
			b := i | cm
			a[b] *= d0
			a[b+s0] *= d1
			i = ((i | z) + 1) &^ z
		}
	case kPerm1:
		for range n {
			b := i | cm
			a[b], a[b+s0] = a[b+s0], a[b]
			i = ((i | z) + 1) &^ z
		}
	case kSwap:
		for range n {
			b := i | cm
			a[b+s0], a[b+s1] = a[b+s1], a[b+s0]
			i = ((i | z) + 1) &^ z
		}
	case kDense2:
		m := g.m[:16]
		for range n {
			b := i | cm
			x0, x1, x2, x3 := a[b], a[b+s0], a[b+s1], a[b+s0+s1]
			a[b] = m[0]*x0 + m[1]*x1 + m[2]*x2 + m[3]*x3
			a[b+s0] = m[4]*x0 + m[5]*x1 + m[6]*x2 + m[7]*x3
			a[b+s1] = m[8]*x0 + m[9]*x1 + m[10]*x2 + m[11]*x3
			a[b+s0+s1] = m[12]*x0 + m[13]*x1 + m[14]*x2 + m[15]*x3
			i = ((i | z) + 1) &^ z
		}
	case kMono2:
		c0, c1, c2, c3 := g.col[0][0]&3, g.col[1][0]&3, g.col[2][0]&3, g.col[3][0]&3
		v0, v1, v2, v3 := g.v[0][0], g.v[1][0], g.v[2][0], g.v[3][0]
		for range n {
			b := i | cm
			x := [4]complex128{a[b], a[b+s0], a[b+s1], a[b+s0+s1]}
			a[b], a[b+s0], a[b+s1], a[b+s0+s1] = v0*x[c0], v1*x[c1], v2*x[c2], v3*x[c3]
			i = ((i | z) + 1) &^ z
		}
	case kSparse2:
		col, v := &g.col, &g.v
		for range n {
			b := i | cm
			x := [4]complex128{a[b], a[b+s0], a[b+s1], a[b+s0+s1]}
			a[b] = v[0][0]*x[col[0][0]&3] + v[0][1]*x[col[0][1]&3]
			a[b+s0] = v[1][0]*x[col[1][0]&3] + v[1][1]*x[col[1][1]&3]
			a[b+s1] = v[2][0]*x[col[2][0]&3] + v[2][1]*x[col[2][1]&3]
			a[b+s0+s1] = v[3][0]*x[col[3][0]&3] + v[3][1]*x[col[3][1]&3]
			i = ((i | z) + 1) &^ z
		}
	case kDiag2:
		d0, d1, d2, d3 := g.m[0], g.m[5], g.m[10], g.m[15]
		for range n {
			b := i | cm
			a[b] *= d0
			a[b+s0] *= d1
			a[b+s1] *= d2
			a[b+s0+s1] *= d3
			i = ((i | z) + 1) &^ z
		}
	}
}

func dense1(a0, a1 []complex128, m []complex128) {
	m00, m01, m10, m11 := m[0], m[1], m[2], m[3]
	a1 = a1[:len(a0)]
	for j, x := range a0 {
		y := a1[j]
		a0[j] = m00*x + m01*y
		a1[j] = m10*x + m11*y
	}
}

// sparse2 applies a 4×4 matrix with at most two nonzeros per row.
func (g *gate) sparse2(a00, a01, a10, a11 []complex128) {
	n := len(a00)
	a01, a10, a11 = a01[:n], a10[:n], a11[:n]
	col, v := &g.col, &g.v
	if g.kind == kMono2 {
		c0, c1, c2, c3 := col[0][0]&3, col[1][0]&3, col[2][0]&3, col[3][0]&3
		v0, v1, v2, v3 := v[0][0], v[1][0], v[2][0], v[3][0]
		for j := range n {
			x := [4]complex128{a00[j], a01[j], a10[j], a11[j]}
			a00[j], a01[j], a10[j], a11[j] = v0*x[c0], v1*x[c1], v2*x[c2], v3*x[c3]
		}
		return
	}
	for j := range n {
		x := [4]complex128{a00[j], a01[j], a10[j], a11[j]}
		a00[j] = v[0][0]*x[col[0][0]&3] + v[0][1]*x[col[0][1]&3]
		a01[j] = v[1][0]*x[col[1][0]&3] + v[1][1]*x[col[1][1]&3]
		a10[j] = v[2][0]*x[col[2][0]&3] + v[2][1]*x[col[2][1]&3]
		a11[j] = v[3][0]*x[col[3][0]&3] + v[3][1]*x[col[3][1]&3]
	}
}

// real1 is dense1 for a real matrix: it scales real and imaginary parts
// separately, with half the multiplications of complex products.
func real1(a0, a1 []complex128, m []complex128) {
	m00, m01, m10, m11 := real(m[0]), real(m[1]), real(m[2]), real(m[3])
	a1 = a1[:len(a0)]
	for j, x := range a0 {
		y := a1[j]
		xr, xi, yr, yi := real(x), imag(x), real(y), imag(y)
		a0[j] = complex(m00*xr+m01*yr, m00*xi+m01*yi)
		a1[j] = complex(m10*xr+m11*yr, m10*xi+m11*yi)
	}
}

func diag1(a0, a1 []complex128, d0, d1 complex128) {
	if d0 != 1 {
		for j := range a0 {
			a0[j] *= d0
		}
	}
	if d1 != 1 {
		for j := range a1 {
			a1[j] *= d1
		}
	}
}

func perm1(a0, a1 []complex128) {
	a1 = a1[:len(a0)]
	for j, x := range a0 {
		a0[j], a1[j] = a1[j], x
	}
}

// dense2 applies a 4×4 matrix; a01 is the amplitude with targets[0] set.
func dense2(a00, a01, a10, a11 []complex128, m []complex128) {
	n := len(a00)
	a01, a10, a11 = a01[:n], a10[:n], a11[:n]
	m = m[:16]
	for j := range n {
		x0, x1, x2, x3 := a00[j], a01[j], a10[j], a11[j]
		a00[j] = m[0]*x0 + m[1]*x1 + m[2]*x2 + m[3]*x3
		a01[j] = m[4]*x0 + m[5]*x1 + m[6]*x2 + m[7]*x3
		a10[j] = m[8]*x0 + m[9]*x1 + m[10]*x2 + m[11]*x3
		a11[j] = m[12]*x0 + m[13]*x1 + m[14]*x2 + m[15]*x3
	}
}

// minParallelQubits is the state size from which work is split across
// goroutines; below it the synchronisation costs more than it saves.
const minParallelQubits = 14

// workers returns how many goroutines to use on an n-qubit state.
func workers(n, max int) int {
	if n < minParallelQubits {
		return 1
	}
	if max <= 0 {
		max = runtime.GOMAXPROCS(0)
	}
	return max
}

// parallel calls f on w contiguous parts of [0, total) and waits.
func parallel(total, w int, f func(lo, hi int)) {
	if w <= 1 || total < w {
		f(0, total)
		return
	}
	var wg sync.WaitGroup
	step := (total + w - 1) / w
	for lo := 0; lo < total; lo += step {
		hi := min(lo+step, total)
		wg.Go(func() { f(lo, hi) })
	}
	wg.Wait()
}
