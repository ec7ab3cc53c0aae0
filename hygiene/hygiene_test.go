package hygiene

import (
	"math"
	"testing"

	"github.com/qguard/qguard/circuit"
)

func TestRoundAndClip(t *testing.T) {
	got, err := Round([]float64{0.26, -0.74, 1.0}, 0.5)
	if err != nil || got[0] != 0.5 || got[1] != -0.5 || got[2] != 1.0 {
		t.Fatalf("Round = %v, %v", got, err)
	}
	got, err = Clip([]float64{-3, 0.2, 9}, -1, 1)
	if err != nil || got[0] != -1 || got[1] != 0.2 || got[2] != 1 {
		t.Fatalf("Clip = %v, %v", got, err)
	}
	for _, step := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := Round([]float64{1}, step); err == nil {
			t.Errorf("Round step %g accepted", step)
		}
	}
	if _, err := Clip(nil, 1, 0); err == nil {
		t.Error("Clip with lo > hi accepted")
	}
	if _, err := Laplace(nil, -1); err == nil {
		t.Error("negative scale accepted")
	}
}

// The noise has Laplace's moments: mean 0, variance 2b², E|x| = b.
func TestLaplaceMoments(t *testing.T) {
	const n, b = 200_000, 2.0
	noisy, err := Laplace(make([]float64, n), b)
	if err != nil {
		t.Fatal(err)
	}
	var sum, sq, abs float64
	for _, v := range noisy {
		sum, sq, abs = sum+v, sq+v*v, abs+math.Abs(v)
	}
	mean, variance, meanAbs := sum/n, sq/n, abs/n
	// Bounds are > 6 standard errors wide: a false failure is negligible.
	if math.Abs(mean) > 0.04 || math.Abs(variance-8)/8 > 0.05 || math.Abs(meanAbs-b)/b > 0.02 {
		t.Fatalf("mean %g, variance %g (want 8), E|x| %g (want 2)", mean, variance, meanAbs)
	}
	if z, _ := Laplace([]float64{1.5}, 0); z[0] != 1.5 {
		t.Fatal("zero scale changed the value")
	}
	if LaplaceScale(-1, 1, 0.5) != 4 {
		t.Fatal("LaplaceScale")
	}
}

func TestMapAngles(t *testing.T) {
	c, err := circuit.Parse([]byte("OPENQASM 3.0; include \"stdgates.inc\"; qubit[1] q; rx(0.123456) q[0]; h q[0];"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := MapAngles(c, func(p []float64) ([]float64, error) { return Round(p, math.Pi/64) })
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Ops[0].Params[0]; math.Abs(got-3*math.Pi/64) > 1e-15 {
		t.Fatalf("rounded angle %g", got)
	}
	if c.Ops[0].Params[0] != 0.123456 {
		t.Fatal("the original changed")
	}
}
