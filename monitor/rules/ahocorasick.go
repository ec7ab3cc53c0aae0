package rules

// matcher is a case-insensitive Aho–Corasick automaton compiled to a dense
// DFA over byte classes: bytes that occur in no keyword share class 0, so the
// table stays small (states × classes) and the scan loop is one table lookup
// per byte. Trivy measured the same table-driven design faster than general
// Aho–Corasick libraries for this job (reference/security.md §3.1).
type matcher struct {
	class  [256]uint8 // byte → class; ASCII letters folded to lower case
	nclass int
	// delta[off+class] is the offset (state*nclass) of the next state, with
	// outFlag set when that state ends a keyword: one load and one sign test
	// per byte.
	delta    []int32
	out      [][]uint16 // state → ids of rules whose keyword ends here (fail links merged)
	patterns int
}

// newMatcher builds the automaton for keywords; ids[i] is the rule that owns
// keywords[i]. Keywords are matched case-insensitively.
func newMatcher(keywords []string, ids []uint16) *matcher {
	m := &matcher{patterns: len(keywords)}
	// Byte classes: one per distinct (lower-cased) byte used by any keyword.
	var used [256]bool
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			used[lower(k[i])] = true
		}
	}
	m.nclass = 1
	for b := 0; b < 256; b++ {
		if used[b] {
			m.class[b] = uint8(m.nclass)
			m.nclass++
		}
	}
	for b := 'A'; b <= 'Z'; b++ {
		m.class[b] = m.class[b+'a'-'A']
	}
	if m.nclass > 255 {
		panic("rules: too many keyword byte classes") // cannot happen: at most 256-26 lower-cased bytes
	}

	// Trie.
	type node struct {
		next map[uint8]int32
		out  []uint16
	}
	nodes := []node{{next: map[uint8]int32{}}}
	for i, k := range keywords {
		s := int32(0)
		for j := 0; j < len(k); j++ {
			c := m.class[k[j]]
			n, ok := nodes[s].next[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint8]int32{}})
				nodes[s].next[c] = n
			}
			s = n
		}
		nodes[s].out = appendUnique(nodes[s].out, ids[i])
	}

	// Breadth-first: fail links, merged outputs and the full DFA.
	n := len(nodes)
	m.delta = make([]int32, n*m.nclass)
	fail := make([]int32, n)
	queue := make([]int32, 0, n)
	for c := 1; c < m.nclass; c++ {
		if t, ok := nodes[0].next[uint8(c)]; ok {
			m.delta[c] = t
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, id := range nodes[fail[s]].out {
			nodes[s].out = appendUnique(nodes[s].out, id)
		}
		for c := 0; c < m.nclass; c++ {
			t, ok := nodes[s].next[uint8(c)]
			if c != 0 && ok {
				fail[t] = m.delta[int(fail[s])*m.nclass+c]
				m.delta[int(s)*m.nclass+c] = t
				queue = append(queue, t)
			} else {
				m.delta[int(s)*m.nclass+c] = m.delta[int(fail[s])*m.nclass+c]
			}
		}
	}
	m.out = make([][]uint16, n)
	for i := range nodes {
		m.out[i] = nodes[i].out
	}
	for i, t := range m.delta {
		v := t * int32(m.nclass)
		if len(nodes[t].out) > 0 {
			v |= outFlag
		}
		m.delta[i] = v
	}
	return m
}

// match marks in hits (a bitset indexed by rule id) every rule with a
// keyword in text and reports whether there was any.
func (m *matcher) match(text []byte, hits []uint64) bool {
	if m.patterns == 0 {
		return false
	}
	any := false
	off := int32(0)
	delta, class := m.delta, &m.class
	for _, b := range text {
		off = delta[off+int32(class[b])]
		if off < 0 {
			off &^= outFlag
			any = true
			for _, id := range m.out[off/int32(m.nclass)] {
				hits[id>>6] |= 1 << (id & 63)
			}
		}
	}
	return any
}

const outFlag = -1 << 31

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func appendUnique(s []uint16, v uint16) []uint16 {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
