package provider

import (
	"math"
	"regexp"
	"sort"
	"strconv"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
)

var (
	qubitDecl = regexp.MustCompile(`(?m)^\s*(?:qubit\s*\[\s*(\d+)\s*\]|qubit\s+[A-Za-z_]|qreg\s+[A-Za-z_]\w*\s*\[\s*(\d+)\s*\])`)
	bitDecl   = regexp.MustCompile(`(?m)^\s*(?:bit\s*\[\s*(\d+)\s*\]|bit\s+[A-Za-z_]|creg\s+[A-Za-z_]\w*\s*\[\s*(\d+)\s*\])`)
)

// Circuit returns the parsed circuit of s, or nil when the gateway sent
// only text.
func Circuit(s qguard.Submission) *circuit.Circuit {
	c, _ := s.Program.(*circuit.Circuit)
	return c
}

// Qubits returns the number of qubits s uses: from the parsed circuit when
// there is one, else from the declarations in its OpenQASM text.
func Qubits(s qguard.Submission) int {
	if c := Circuit(s); c != nil {
		return c.Qubits
	}
	return countDecl(qubitDecl, s.QASM)
}

// Clbits returns the number of classical bits s declares.
func Clbits(s qguard.Submission) int {
	if c := Circuit(s); c != nil {
		return c.Clbits
	}
	return countDecl(bitDecl, s.QASM)
}

func countDecl(re *regexp.Regexp, src string) int {
	n := 0
	for _, m := range re.FindAllStringSubmatch(src, -1) {
		v := m[1] + m[2]
		if v == "" {
			n++
			continue
		}
		k, _ := strconv.Atoi(v)
		n += k
	}
	return n
}

// CountsFromProbabilities turns a probability distribution into counts that
// sum to shots (largest remainder), for providers that report only
// probabilities.
func CountsFromProbabilities(p map[string]float64, shots int) map[string]int {
	type rem struct {
		key  string
		frac float64
	}
	counts := make(map[string]int, len(p))
	var rems []rem
	total := 0
	for k, v := range p {
		exact := v * float64(shots)
		n := int(math.Floor(exact))
		counts[k] = n
		total += n
		rems = append(rems, rem{k, exact - float64(n)})
	}
	sort.Slice(rems, func(i, j int) bool {
		if rems[i].frac != rems[j].frac {
			return rems[i].frac > rems[j].frac
		}
		return rems[i].key < rems[j].key
	})
	for i := 0; total < shots && len(rems) > 0; i = (i + 1) % len(rems) {
		counts[rems[i].key]++
		total++
	}
	for k, n := range counts {
		if n == 0 {
			delete(counts, k)
		}
	}
	return counts
}

// Reverse returns s backwards: providers that print qubit 0 first (Braket)
// are turned into qguard's order, classical bit n-1 first.
func Reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
