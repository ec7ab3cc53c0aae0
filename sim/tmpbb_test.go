package sim

import (
	"context"
	"fmt"
	"testing"
)

func TestTmpAbsorb(t *testing.T) {
	c := randomLayers(24, 20, 1)
	for _, ab := range []bool{true, false, true, false} {
		absorb = ab
		opts := Options{}
		p, _ := compile(c, opts)
		s := newState(24, opts)
		for i := range s.a {
			s.a[i] = 0.0001
		}
		cpu := cpuTime()
		s.run(context.Background(), p.prefix)
		fmt.Printf("absorb=%v passes=%d cpu/2=%.2f ms/gate\n", ab, len(p.prefix), float64((cpuTime()-cpu).Milliseconds())/2/710)
	}
}
