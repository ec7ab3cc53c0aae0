package sim

import (
	"fmt"
	"math"
	"testing"
)

// BenchmarkKernel times one pass of each kernel kind by target qubit at 22
// qubits.
//
//	go test ./sim -run '^$' -bench Kernel
func BenchmarkKernel(b *testing.B) {
	const n = 22
	r := complex(1/math.Sqrt2, 0)
	mats := map[string][]complex128{
		"dense1": {r, r, r, -r},
		"diag1":  {1, 0, 0, 1i},
		"perm1":  {0, 1, 1, 0},
	}
	s := newState(n, Options{})
	for i := range s.a {
		s.a[i] = 1
	}
	for _, name := range []string{"dense1", "diag1", "perm1"} {
		for _, t := range []int{0, 1, 2, 3, 8, 21} {
			b.Run(fmt.Sprintf("%s/q%d", name, t), func(b *testing.B) {
				gt := &gate{targets: []int{t}, m: mats[name]}
				gt.prepare()
				b.SetBytes(32 << n)
				for b.Loop() {
					s.step(&step{gates: []*gate{gt}})
				}
			})
		}
	}
}
