package rules

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math/bits"
	"slices"
	"strings"
)

// Finding is one secret found in one line. It never holds the secret in
// clear.
type Finding struct {
	Rule        string  `json:"rule"`
	Description string  `json:"description"`
	Severity    string  `json:"severity"`
	Source      string  `json:"source,omitempty"`
	Line        int     `json:"line"`
	Column      int     `json:"column"`          // 1-based byte column where the secret starts
	End         int     `json:"end"`             // byte column just after the secret
	Field       string  `json:"field,omitempty"` // JSON path of the value holding it, for JSON lines
	Secret      string  `json:"secret"`          // masked
	Fingerprint string  `json:"fingerprint"`     // keyed hash of the secret: equal secrets, equal fingerprints
	Entropy     float64 `json:"entropy"`
}

// match is a raw hit: byte offsets into the line.
type match struct {
	rule       *Rule
	start, end int // the secret
}

// ScanLine returns the findings in one line (without its newline). source
// names where it came from (a file name) for rules with a path; line is the
// 1-based line number copied into the findings.
func (s *Set) ScanLine(data []byte, source string, line int) []Finding {
	ms := s.matches(data, source, nil)
	if len(ms) == 0 {
		return nil
	}
	out := make([]Finding, 0, len(ms))
	for _, m := range ms {
		secret := string(data[m.start:m.end])
		out = append(out, Finding{
			Rule: m.rule.ID, Description: m.rule.Description, Severity: m.rule.Severity,
			Source: source, Line: line, Column: m.start + 1, End: m.end + 1,
			Field: JSONField(data, m.start), Secret: Mask(secret), Fingerprint: s.fingerprint(secret),
			Entropy: round2(Entropy(secret)),
		})
	}
	return out
}

// Redact returns data with every secret the rules find replaced by its
// mask, and whether anything was replaced.
func (s *Set) Redact(data []byte) ([]byte, bool) {
	ms := s.matches(data, "", nil)
	if len(ms) == 0 {
		return data, false
	}
	slices.SortFunc(ms, func(a, b match) int { return a.start - b.start })
	var b strings.Builder
	last := 0
	for _, m := range ms {
		b.Write(data[last:m.start])
		b.WriteString(Mask(string(data[m.start:m.end])))
		last = m.end
	}
	b.Write(data[last:])
	return []byte(b.String()), true
}

// RedactString is Redact for strings.
func (s *Set) RedactString(text string) string {
	out, ok := s.Redact([]byte(text))
	if !ok {
		return text
	}
	return string(out)
}

// matches runs the prefilter, then the regular expressions of the rules it
// selected. Overlapping hits keep the more specific (non-generic, earlier) rule.
func (s *Set) matches(data []byte, source string, dst []match) []match {
	if len(data) == 0 {
		return dst
	}
	var small [4]uint64
	hits := small[:0]
	if s.nwords <= len(small) {
		hits = small[:s.nwords]
	} else {
		hits = make([]uint64, s.nwords)
	}
	found := s.m.match(data, hits)
	if !found && len(s.always) == 0 {
		return dst
	}
	for _, i := range s.always {
		hits[i>>6] |= 1 << (i & 63)
	}
	if s.globallyAllowedPath(source) {
		return dst
	}
	start := len(dst)
	for w, word := range hits {
		for word != 0 {
			bit := bits.TrailingZeros64(word)
			word &= word - 1
			r := s.rules[w*64+bit]
			if r.Path != nil && !r.Path.MatchString(source) {
				continue
			}
			dst = s.ruleMatches(r, data, source, dst, start)
		}
	}
	return dst
}

func (s *Set) ruleMatches(r *Rule, data []byte, source string, dst []match, start int) []match {
	for _, loc := range r.Regex.FindAllSubmatchIndex(data, -1) {
		ms, me := loc[0], loc[1]
		ss, se := ms, me
		if r.SecretGroup > 0 {
			ss, se = loc[2*r.SecretGroup], loc[2*r.SecretGroup+1]
		} else {
			for g := 1; 2*g+1 < len(loc); g++ { // gitleaks: the first non-empty group
				if loc[2*g] >= 0 && loc[2*g+1] > loc[2*g] {
					ss, se = loc[2*g], loc[2*g+1]
					break
				}
			}
		}
		if ss < 0 || se <= ss {
			continue
		}
		secret := string(data[ss:se])
		if r.Entropy > 0 && Entropy(secret) < r.Entropy {
			continue
		}
		if s.allowed(r, secret, data[ms:me], data, source) {
			continue
		}
		dst = addMatch(dst, start, match{rule: r, start: ss, end: se})
	}
	return dst
}

// addMatch appends m unless it overlaps a kept match of a rule at least as
// specific; a generic match yields to a specific one.
func addMatch(dst []match, start int, m match) []match {
	for i := start; i < len(dst); i++ {
		o := dst[i]
		if m.start >= o.end || o.start >= m.end {
			continue
		}
		if o.rule.generic && !m.rule.generic {
			dst[i] = m
			return dst
		}
		return dst
	}
	return append(dst, m)
}

func (s *Set) allowed(r *Rule, secret string, matched, line []byte, source string) bool {
	for _, al := range r.Allowlists {
		if al.allows(secret, matched, line, source) {
			return true
		}
	}
	for _, al := range s.global {
		if len(al.TargetRules) > 0 && !slices.Contains(al.TargetRules, r.ID) {
			continue
		}
		if al.allows(secret, matched, line, source) {
			return true
		}
	}
	return false
}

func (s *Set) globallyAllowedPath(source string) bool {
	if source == "" {
		return false
	}
	for _, al := range s.global {
		if len(al.TargetRules) == 0 && !al.MatchAll && len(al.Paths) > 0 {
			for _, p := range al.Paths {
				if p.MatchString(source) {
					return true
				}
			}
		}
	}
	return false
}

func (al *Allowlist) allows(secret string, matched, line []byte, source string) bool {
	var checks, passed int
	if len(al.Regexes) > 0 {
		checks++
		target := []byte(secret)
		switch al.RegexTarget {
		case "match":
			target = matched
		case "line":
			target = line
		}
		for _, re := range al.Regexes {
			if re.Match(target) {
				passed++
				break
			}
		}
	}
	if len(al.Stopwords) > 0 {
		checks++
		low := strings.ToLower(secret)
		for _, w := range al.Stopwords {
			if strings.Contains(low, w) {
				passed++
				break
			}
		}
	}
	if len(al.Paths) > 0 {
		checks++
		for _, p := range al.Paths {
			if source != "" && p.MatchString(source) {
				passed++
				break
			}
		}
	}
	if al.MatchAll {
		return checks > 0 && passed == checks
	}
	return passed > 0
}

// Mask hides a secret: long secrets keep their first four characters (a
// public prefix such as AKIA or ghp_ that tells the kind), short ones keep
// nothing. The length is not revealed.
func Mask(secret string) string {
	if len(secret) >= 20 {
		return secret[:4] + "*****"
	}
	return "*****"
}

func (s *Set) fingerprint(secret string) string {
	h := hmac.New(sha256.New, s.fpKey)
	h.Write([]byte(secret))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// defaultFingerprintKey makes fingerprints stable across processes, so that
// a leak seen again after a restart is recognised. With this public key a
// fingerprint lets someone confirm a guess of a low-entropy secret; set a
// private key (monitor.fingerprint_key) to prevent that.
const defaultFingerprintKey = "qguard secret fingerprint v1"

// SetFingerprintKey sets the HMAC key of fingerprints. Call it before the
// Set is used concurrently.
func (s *Set) SetFingerprintKey(key []byte) { s.fpKey = slices.Clone(key) }

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }
