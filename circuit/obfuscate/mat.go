package obfuscate

import (
	"math"
	"math/cmplx"
)

// mat is a row-major 2×2 complex matrix.
type mat [4]complex128

var (
	identity = mat{1, 0, 0, 1}
	pauliX   = mat{0, 1, 1, 0}
	pauliZ   = mat{1, 0, 0, -1}
)

func toMat(m []complex128) mat { return mat{m[0], m[1], m[2], m[3]} }

// mul returns a·b (b applied first).
func mul(a, b mat) mat {
	return mat{
		a[0]*b[0] + a[1]*b[2], a[0]*b[1] + a[1]*b[3],
		a[2]*b[0] + a[3]*b[2], a[2]*b[1] + a[3]*b[3],
	}
}

func dagger(a mat) mat {
	return mat{cmplx.Conj(a[0]), cmplx.Conj(a[2]), cmplx.Conj(a[1]), cmplx.Conj(a[3])}
}

func expi(x float64) complex128 { return cmplx.Exp(complex(0, x)) }

func rz(a float64) mat { return mat{expi(-a / 2), 0, 0, expi(a / 2)} }

func ry(a float64) mat {
	c, s := complex(math.Cos(a/2), 0), complex(math.Sin(a/2), 0)
	return mat{c, -s, s, c}
}

func rx(a float64) mat {
	c, s := complex(math.Cos(a/2), 0), complex(0, -math.Sin(a/2))
	return mat{c, s, s, c}
}

func phase(a float64) mat { return mat{1, 0, 0, expi(a)} }

// u3 is OpenQASM's U(θ,φ,λ), with the same global phase as circuit's table.
func u3(theta, phi, lambda float64) mat {
	c, s := math.Cos(theta/2), math.Sin(theta/2)
	return mat{
		complex(c, 0), -expi(lambda) * complex(s, 0),
		expi(phi) * complex(s, 0), expi(phi+lambda) * complex(c, 0),
	}
}

// pauli returns X^x·Z^z.
func pauli(x, z bool) mat {
	m := identity
	if z {
		m = pauliZ
	}
	if x {
		m = mul(pauliX, m)
	}
	return m
}

const tol = 1e-12

// equalUpToPhase reports whether a = e^{iα}·b for some α.
func equalUpToPhase(a, b mat) bool {
	// a·b† is e^{iα}·I exactly when a = e^{iα}·b.
	p := mul(a, dagger(b))
	return cmplx.Abs(p[1]) < 1e-9 && cmplx.Abs(p[2]) < 1e-9 && cmplx.Abs(p[0]-p[3]) < 1e-9
}

// zyz writes a unitary as e^{iα}·u3(θ,φ,λ).
func zyz(m mat) (alpha, theta, phi, lambda float64) {
	a, c := cmplx.Abs(m[0]), cmplx.Abs(m[2])
	theta = 2 * math.Atan2(c, a)
	switch {
	case c < tol: // diagonal
		alpha = cmplx.Phase(m[0])
		lambda = cmplx.Phase(m[3]) - alpha
	case a < tol: // anti-diagonal
		alpha = cmplx.Phase(m[2])
		lambda = cmplx.Phase(-m[1]) - alpha
	default:
		alpha = cmplx.Phase(m[0])
		phi = cmplx.Phase(m[2]) - alpha
		lambda = cmplx.Phase(-m[1]) - alpha
	}
	return alpha, theta, wrap(phi), wrap(lambda)
}

// wrap maps an angle into (−π, π].
func wrap(a float64) float64 {
	a = math.Mod(a, 2*math.Pi)
	if a > math.Pi {
		a -= 2 * math.Pi
	} else if a <= -math.Pi {
		a += 2 * math.Pi
	}
	return a
}

// sqrtm returns a unitary square root of the unitary m: for eigenvalues
// r1², r2² and s = r1·r2, (m + s·I)/(r1 + r2) squares to m. Of the two
// signs of s it takes the one that keeps the divisor away from zero.
func sqrtm(m mat) mat {
	det := m[0]*m[3] - m[1]*m[2]
	tr := m[0] + m[3]
	s := cmplx.Sqrt(det)
	if cmplx.Abs(tr-2*s) > cmplx.Abs(tr+2*s) {
		s = -s
	}
	t := cmplx.Sqrt(tr + 2*s)
	return mat{(m[0] + s) / t, m[1] / t, m[2] / t, (m[3] + s) / t}
}
