// Package rules finds secrets in text: gitleaks-compatible TOML rules (id,
// description, regex, secretGroup, entropy, keywords, path, allowlists),
// qguard's built-in rules for what quantum-cloud work leaks, and a scanner
// that runs an Aho–Corasick keyword prefilter before any regular expression.
//
// Findings never hold a secret in clear: [Finding.Secret] is masked and
// [Finding.Fingerprint] is a keyed hash (see [Set.SetFingerprintKey]) that
// lets repeated leaks of one secret be grouped without revealing it.
package rules

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/qguard/qguard"
)

//go:embed builtin.toml
var builtinTOML []byte

// Rule is one compiled detection rule.
type Rule struct {
	ID          string
	Description string
	Severity    string // qguard extension; gitleaks rules default to high
	Regex       *regexp.Regexp
	SecretGroup int
	Entropy     float64 // minimum Shannon entropy (bits per byte) of the secret; 0 disables
	Keywords    []string
	Path        *regexp.Regexp // the rule applies only to sources whose name matches
	Tags        []string
	Allowlists  []*Allowlist
	generic     bool // yields to a more specific rule that matched the same bytes
}

// Allowlist suppresses matches, as in gitleaks: with condition OR (the
// default) any criterion suffices, with AND all configured ones must hold.
type Allowlist struct {
	Description string
	MatchAll    bool   // condition = "AND"
	RegexTarget string // "secret" (default), "match" or "line"
	Regexes     []*regexp.Regexp
	Stopwords   []string // lower case; the secret must contain one
	Paths       []*regexp.Regexp
	TargetRules []string // global allowlists only: rule ids it applies to (empty: all)
}

// Set is a compiled rule set, safe for concurrent use.
type Set struct {
	rules   []*Rule
	global  []*Allowlist
	m       *matcher
	always  []int // rules without keywords: their regex runs on every line
	nwords  int   // bitset words per line
	fpKey   []byte
	builtin bool
	skipped []string
}

// file mirrors gitleaks' config TOML.
type file struct {
	Title  string `toml:"title"`
	Extend struct {
		UseDefault    bool     `toml:"useDefault"`
		Path          string   `toml:"path"`
		DisabledRules []string `toml:"disabledRules"`
	} `toml:"extend"`
	Rules      []fileRule      `toml:"rules"`
	Allowlist  *fileAllowlist  `toml:"allowlist"`
	Allowlists []fileAllowlist `toml:"allowlists"`
}

type fileRule struct {
	ID          string          `toml:"id"`
	Description string          `toml:"description"`
	Severity    string          `toml:"severity"`
	Regex       string          `toml:"regex"`
	SecretGroup int             `toml:"secretGroup"`
	Entropy     float64         `toml:"entropy"`
	Keywords    []string        `toml:"keywords"`
	Path        string          `toml:"path"`
	Tags        []string        `toml:"tags"`
	Allowlist   *fileAllowlist  `toml:"allowlist"`
	Allowlists  []fileAllowlist `toml:"allowlists"`
}

type fileAllowlist struct {
	Description string   `toml:"description"`
	Condition   string   `toml:"condition"`
	RegexTarget string   `toml:"regexTarget"`
	Regexes     []string `toml:"regexes"`
	Stopwords   []string `toml:"stopwords"`
	Paths       []string `toml:"paths"`
	Commits     []string `toml:"commits"`
	TargetRules []string `toml:"targetRules"`
}

// Builtin returns qguard's built-in rules.
func Builtin() *Set {
	s, err := Parse(builtinTOML)
	if err != nil {
		panic("rules: built-in rules: " + err.Error())
	}
	s.builtin = true
	return s
}

// LoadFile reads a gitleaks-format TOML file. As in gitleaks, the file
// replaces the built-in rules unless it says [extend] useDefault = true.
func LoadFile(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	s, err := Load(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Load compiles gitleaks-format TOML; [extend] useDefault = true adds the
// built-in rules (minus disabledRules). [extend] path is not followed.
func Load(data []byte) (*Set, error) {
	var f file
	if _, err := toml.Decode(string(data), &f); err != nil {
		return nil, fmt.Errorf("parse rules: %w", err)
	}
	if f.Extend.Path != "" {
		return nil, errors.New("[extend] path is not supported; merge the files or use useDefault = true")
	}
	var base []fileRule
	var baseAllow []fileAllowlist
	if f.Extend.UseDefault {
		var b file
		if _, err := toml.Decode(string(builtinTOML), &b); err != nil {
			return nil, fmt.Errorf("built-in rules: %w", err)
		}
		for _, r := range b.Rules {
			if !slices.Contains(f.Extend.DisabledRules, r.ID) {
				base = append(base, r)
			}
		}
		baseAllow = b.Allowlists
	}
	// A user rule with a built-in id overrides it, and user rules come first
	// so that they win when they match the same bytes as a built-in one.
	for _, r := range f.Rules {
		base = slices.DeleteFunc(base, func(b fileRule) bool { return b.ID == r.ID })
	}
	f.Rules = append(f.Rules, base...)
	f.Allowlists = append(baseAllow, f.Allowlists...)
	return compile(&f)
}

// Parse compiles TOML without extension handling (used for the built-ins).
func Parse(data []byte) (*Set, error) {
	var f file
	if _, err := toml.Decode(string(data), &f); err != nil {
		return nil, fmt.Errorf("parse rules: %w", err)
	}
	return compile(&f)
}

func compile(f *file) (*Set, error) {
	s := &Set{fpKey: []byte(defaultFingerprintKey)}
	if len(f.Rules) > math.MaxUint16 {
		return nil, fmt.Errorf("too many rules (%d)", len(f.Rules))
	}
	seen := map[string]bool{}
	var keywords []string
	var owners []uint16
	for i, fr := range f.Rules {
		where := fmt.Sprintf("rule %d (%q)", i+1, fr.ID)
		if fr.ID == "" {
			return nil, fmt.Errorf("rule %d: id is required", i+1)
		}
		if seen[fr.ID] {
			return nil, fmt.Errorf("%s: duplicate id", where)
		}
		seen[fr.ID] = true
		if fr.Regex == "" {
			if fr.Path == "" {
				return nil, fmt.Errorf("%s: regex is required", where)
			}
			// gitleaks' path-only rules flag files by name (a .p12 committed
			// to a repository); a log scanner has nothing to apply them to.
			s.skipped = append(s.skipped, fr.ID)
			continue
		}
		re, err := regexp.Compile(fr.Regex)
		if err != nil {
			return nil, fmt.Errorf("%s: regex: %w", where, err)
		}
		if fr.SecretGroup < 0 || fr.SecretGroup > re.NumSubexp() {
			return nil, fmt.Errorf("%s: secretGroup %d but the regex has %d groups", where, fr.SecretGroup, re.NumSubexp())
		}
		if fr.Entropy < 0 || fr.Entropy > 8 {
			return nil, fmt.Errorf("%s: entropy %v is outside 0..8", where, fr.Entropy)
		}
		sev := strings.ToLower(fr.Severity)
		if sev == "" {
			sev = qguard.SeverityHigh
		}
		if SeverityRank(sev) < 0 {
			return nil, fmt.Errorf("%s: severity %q is not low, medium, high or critical", where, fr.Severity)
		}
		r := &Rule{ID: fr.ID, Description: fr.Description, Severity: sev, Regex: re, SecretGroup: fr.SecretGroup,
			Entropy: fr.Entropy, Tags: fr.Tags, generic: strings.Contains(fr.ID, "generic") || slices.Contains(fr.Tags, "generic")}
		if fr.Path != "" {
			if r.Path, err = regexp.Compile(fr.Path); err != nil {
				return nil, fmt.Errorf("%s: path: %w", where, err)
			}
		}
		als := fr.Allowlists
		if fr.Allowlist != nil {
			als = append(als, *fr.Allowlist)
		}
		for j := range als {
			al, err := compileAllowlist(&als[j])
			if err != nil {
				return nil, fmt.Errorf("%s: allowlist %d: %w", where, j+1, err)
			}
			if al != nil {
				r.Allowlists = append(r.Allowlists, al)
			}
		}
		for _, k := range fr.Keywords {
			if k == "" {
				return nil, fmt.Errorf("%s: empty keyword", where)
			}
			r.Keywords = append(r.Keywords, strings.ToLower(k))
			keywords = append(keywords, k)
			owners = append(owners, uint16(len(s.rules)))
		}
		if len(fr.Keywords) == 0 {
			s.always = append(s.always, len(s.rules))
		}
		s.rules = append(s.rules, r)
	}
	gl := f.Allowlists
	if f.Allowlist != nil {
		gl = append(gl, *f.Allowlist)
	}
	for j := range gl {
		al, err := compileAllowlist(&gl[j])
		if err != nil {
			return nil, fmt.Errorf("allowlist %d: %w", j+1, err)
		}
		if al != nil {
			al.TargetRules = gl[j].TargetRules
			s.global = append(s.global, al)
		}
	}
	s.m = newMatcher(keywords, owners)
	s.nwords = (len(s.rules) + 63) / 64
	return s, nil
}

func compileAllowlist(fa *fileAllowlist) (*Allowlist, error) {
	al := &Allowlist{Description: fa.Description}
	switch strings.ToUpper(fa.Condition) {
	case "", "OR":
	case "AND", "&&":
		al.MatchAll = true
	default:
		return nil, fmt.Errorf("condition %q is not OR or AND", fa.Condition)
	}
	switch fa.RegexTarget {
	case "", "secret", "match", "line":
		al.RegexTarget = fa.RegexTarget
	default:
		return nil, fmt.Errorf("regexTarget %q is not secret, match or line", fa.RegexTarget)
	}
	for _, x := range fa.Regexes {
		re, err := regexp.Compile(x)
		if err != nil {
			return nil, fmt.Errorf("regex: %w", err)
		}
		al.Regexes = append(al.Regexes, re)
	}
	for _, x := range fa.Paths {
		re, err := regexp.Compile(x)
		if err != nil {
			return nil, fmt.Errorf("path: %w", err)
		}
		al.Paths = append(al.Paths, re)
	}
	for _, w := range fa.Stopwords {
		if w != "" {
			al.Stopwords = append(al.Stopwords, strings.ToLower(w))
		}
	}
	if len(al.Regexes) == 0 && len(al.Paths) == 0 && len(al.Stopwords) == 0 {
		return nil, nil // only commits, which do not apply to logs
	}
	return al, nil
}

// Skipped returns the ids of rules that were loaded but cannot apply to
// logs (gitleaks path-only rules).
func (s *Set) Skipped() []string { return s.skipped }

// Rules returns the rules in evaluation order.
func (s *Set) Rules() []*Rule { return s.rules }

// SeverityRank orders severities: low 0 … critical 3; -1 for anything else.
func SeverityRank(sev string) int {
	switch sev {
	case qguard.SeverityLow:
		return 0
	case qguard.SeverityMedium:
		return 1
	case qguard.SeverityHigh:
		return 2
	case qguard.SeverityCritical:
		return 3
	}
	return -1
}

// Entropy is the Shannon entropy of s in bits per byte.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
