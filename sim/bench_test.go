package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/qguard/qguard/circuit"
)

// hAll is H on every qubit.
func hAll(n int) *circuit.Circuit {
	c := circ(n, 0)
	for q := range n {
		c.Ops = append(c.Ops, g("h", q))
	}
	return c
}

// randomLayers is a random circuit of the given depth: each layer puts a
// random one-qubit gate on every qubit, then CX on a brick pattern of
// neighbouring pairs (offset alternating between layers).
func randomLayers(n, depth int, seed uint64) *circuit.Circuit {
	rng := rand.New(rand.NewPCG(seed, 0))
	oneQubit := []string{"h", "x", "y", "z", "s", "t", "sx", "rx", "ry", "rz", "u3"}
	c := circ(n, 0)
	for layer := range depth {
		for q := range n {
			def, _ := circuit.LookupGate(oneQubit[rng.IntN(len(oneQubit))])
			params := make([]float64, def.Params)
			for i := range params {
				params[i] = rng.Float64() * 2 * math.Pi
			}
			c.Ops = append(c.Ops, gp(def.Name, params, q))
		}
		for q := layer % 2; q+1 < n; q += 2 {
			c.Ops = append(c.Ops, g("cx", q, q+1))
		}
	}
	return c
}

// BenchmarkGates reports the time per gate (ns/gate) of whole circuits,
// fused and gate by gate. At 24 and 26 qubits run with -benchtime=1x:
//
//	go test ./sim -run '^$' -bench 'Gates/(hall|random)/2[046]' -benchtime 1x
func BenchmarkGates(b *testing.B) {
	for _, kind := range []string{"hall", "random"} {
		for _, n := range []int{20, 24, 26} {
			c := hAll(n)
			if kind == "random" {
				c = randomLayers(n, 20, 1)
			}
			for _, mode := range []string{"fused", "gatebygate"} {
				b.Run(fmt.Sprintf("%s/%d/%s", kind, n, mode), func(b *testing.B) {
					opts := Options{NoFusion: mode == "gatebygate"}
					p, err := compile(c, opts)
					if err != nil {
						b.Fatal(err)
					}
					s := newState(n, opts)
					for i := range s.a { // fault the pages in before timing
						s.a[i] = complex(1/math.Sqrt(float64(len(s.a))), 0)
					}
					b.SetBytes(int64(32) << n) // one pass per gate
					cpu := cpuTime()
					b.ResetTimer()
					for b.Loop() {
						if err := s.run(context.Background(), p.prefix); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					perRun := float64(len(c.Ops) * b.N)
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/perRun/1e6, "ms/gate")
					// CPU time over the worker count is what the wall time
					// would be on an otherwise idle machine.
					b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(s.workers)/perRun/1e6, "cpu-ms/gate")
					b.ReportMetric(float64(len(p.prefix)), "passes")
				})
			}
		}
	}
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
