package obfuscate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

const keyVersion = 1

// Limits on a decoded key, far above any circuit the gateway accepts.
const (
	maxKeyQubits = 1 << 12
	maxKeyWidth  = 1 << 14
)

// Key undoes an obfuscation on results: the output mask and the qubit and
// classical-bit relabelling. It is secret: whoever holds it and sees the
// submitted circuit can read the original's outputs.
type Key struct {
	Version int
	Qubits  int   // qubits of the circuit
	Width   int   // classical bits of the results
	Perm    []int // logical qubit q runs as submitted qubit Perm[q]
	// QubitMask[q] is true when qubit q's final state is X-flipped.
	QubitMask []bool
	Bits      []int  // original classical bit j is submitted bit Bits[j]
	Mask      []bool // Mask[j] is true when original bit j comes back flipped
}

// Restore maps counts of the obfuscated circuit (bitstrings with classical
// bit n-1 first) to the original circuit's counts. Bitstrings that cannot
// come from the obfuscated circuit (wrong length, characters other than 0
// and 1) are left out.
func (k *Key) Restore(counts map[string]int) map[string]int {
	out := make(map[string]int, len(counts))
	for s, v := range counts {
		if orig, ok := k.restoreBits(s); ok {
			out[orig] += v
		}
	}
	return out
}

// RestoreProbabilities does what Restore does for outcome probabilities.
func (k *Key) RestoreProbabilities(p map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(p))
	for s, v := range p {
		if orig, ok := k.restoreBits(s); ok {
			out[orig] += v
		}
	}
	return out
}

func (k *Key) restoreBits(s string) (string, bool) {
	w := k.Width
	if len(s) != w {
		return "", false
	}
	b := make([]byte, w)
	for j := range w {
		c := s[w-1-k.Bits[j]]
		if c != '0' && c != '1' {
			return "", false
		}
		if k.Mask[j] {
			c ^= 1 // '0' ↔ '1'
		}
		b[w-1-j] = c
	}
	return string(b), true
}

// RestoreState maps a basis-state index of the obfuscated circuit (bit i
// is submitted qubit i) to the original circuit's basis state, for
// circuits of up to 64 qubits (state vectors are far smaller than that).
func (k *Key) RestoreState(i uint64) uint64 {
	var o uint64
	for q, p := range k.Perm {
		bit := i >> p & 1
		if k.QubitMask[q] {
			bit ^= 1
		}
		o |= bit << q
	}
	return o
}

type wireKey struct {
	Version   int    `json:"version"`
	Qubits    int    `json:"qubits"`
	Width     int    `json:"width"`
	Perm      []int  `json:"perm"`
	QubitMask string `json:"qubit_mask"`
	Bits      []int  `json:"bits"`
	Mask      string `json:"mask"`
}

// Marshal encodes the key as JSON. Store it sealed (it is a secret).
func (k *Key) Marshal() ([]byte, error) {
	if err := k.validate(); err != nil {
		return nil, err
	}
	return json.Marshal(wireKey{
		Version: k.Version, Qubits: k.Qubits, Width: k.Width,
		Perm: k.Perm, QubitMask: bitString(k.QubitMask), Bits: k.Bits, Mask: bitString(k.Mask),
	})
}

// UnmarshalKey decodes and checks a key written by Marshal.
func UnmarshalKey(data []byte) (*Key, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w wireKey
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("decode obfuscation key: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decode obfuscation key: trailing data")
	}
	k := &Key{Version: w.Version, Qubits: w.Qubits, Width: w.Width, Perm: w.Perm, Bits: w.Bits}
	var err error
	if k.QubitMask, err = parseBits(w.QubitMask); err != nil {
		return nil, err
	}
	if k.Mask, err = parseBits(w.Mask); err != nil {
		return nil, err
	}
	if err := k.validate(); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Key) validate() error {
	switch {
	case k.Version != keyVersion:
		return fmt.Errorf("obfuscation key: version %d is not supported (want %d)", k.Version, keyVersion)
	case k.Qubits < 0 || k.Qubits > maxKeyQubits || k.Width < 0 || k.Width > maxKeyWidth:
		return fmt.Errorf("obfuscation key: sizes out of range")
	case len(k.QubitMask) != k.Qubits || len(k.Mask) != k.Width:
		return fmt.Errorf("obfuscation key: mask lengths do not match")
	case !isPerm(k.Perm, k.Qubits) || !isPerm(k.Bits, k.Width):
		return fmt.Errorf("obfuscation key: not a permutation")
	}
	return nil
}

func isPerm(p []int, n int) bool {
	if len(p) != n {
		return false
	}
	seen := make([]bool, n)
	for _, v := range p {
		if v < 0 || v >= n || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

func bitString(bs []bool) string {
	var b strings.Builder
	for _, v := range bs {
		if v {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

func parseBits(s string) ([]bool, error) {
	out := make([]bool, len(s))
	for i := range len(s) {
		switch s[i] {
		case '0':
		case '1':
			out[i] = true
		default:
			return nil, fmt.Errorf("obfuscation key: mask must be 0s and 1s")
		}
	}
	return out, nil
}
