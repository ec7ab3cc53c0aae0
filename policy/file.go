package policy

// This file reads policy.yaml from yaml.v3 nodes rather than by decoding
// into structs, so that every error can name the file and line it is about.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/qguard/qguard"
	"gopkg.in/yaml.v3"
)

// maxFileSize bounds what is read from a policy or Cedar file.
const maxFileSize = 4 << 20

// AnyResource and AnyAction stand for every resource class and every action.
const (
	AnyResource = "*"
	AnyAction   = "*"
)

// Constraint names, as written in policy.yaml and reported in
// qguard.Decision.Constraint.
const (
	ConstraintMaxShots           = "max_shots"
	ConstraintMaxQubits          = "max_qubits"
	ConstraintMaxCostPerDay      = "max_cost_per_day"
	ConstraintDataClassification = "data_classification"
)

// Vocabularies of the request fields; policy refers to nothing else.
var (
	resourceClasses = []string{qguard.ClassSimulator, qguard.ClassQPUSmall, qguard.ClassQPUMedium,
		qguard.ClassQPULarge, qguard.ClassAlgorithmLibrary, qguard.ClassTrainingData}
	actions         = []string{qguard.ActionRead, qguard.ActionWrite, qguard.ActionExecute, qguard.ActionDelete}
	classifications = []string{qguard.ClassificationPublic, qguard.ClassificationInternal,
		qguard.ClassificationConfidential, qguard.ClassificationRestricted}
)

// roleName restricts role names to what is safe in Cedar strings, audit
// records and command lines.
var roleName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// Error is one problem in a policy file, with its position.
type Error struct {
	File   string
	Line   int // from 1; 0 when unknown
	Column int
	Msg    string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ErrorList is every problem found in a policy; Load returns one so that
// `qguard policy validate` can report them all at once.
type ErrorList []*Error

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// document is policy.yaml as read, before compilation.
type document struct {
	roles      []*role
	cedarFiles []fileRef // custom Cedar files named in the YAML
}

type fileRef struct {
	name         string
	line, column int
}

type role struct {
	name        string
	description string
	perms       []*permission
}

// permission is one grant of policy.yaml; it compiles to one Cedar permit
// whose @id is id.
type permission struct {
	id       string
	role     string
	resource string   // a class or AnyResource
	actions  []string // in the order of the actions vocabulary
	limits   limits
	line     int
}

// limits are the constraints of a permission; -1 means no limit.
type limits struct {
	maxShots, maxQubits int64
	maxCost             float64  // USD, for messages
	maxCostMicros       int64    // what is compared
	classifications     []string // nil: any classification
}

func noLimits() limits { return limits{maxShots: -1, maxQubits: -1, maxCost: -1, maxCostMicros: -1} }

// parser collects errors while walking the YAML tree.
type parser struct {
	file string
	errs ErrorList
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	e := &Error{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// parseDocument reads policy.yaml. It returns every error it finds.
func parseDocument(file string, data []byte) (*document, error) {
	p := &parser{file: file}
	if len(data) > maxFileSize {
		p.errorf(nil, "file is larger than %d bytes", maxFileSize)
		return nil, p.errs
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); errors.Is(err, io.EOF) {
		p.errorf(nil, "empty policy file")
		return nil, p.errs
	} else if err != nil {
		p.yamlError(err)
		return nil, p.errs
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.errorf(&extra, "a policy file holds one YAML document; remove the extra '---'")
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		p.errorf(nil, "empty policy file")
		return nil, p.errs
	}
	doc := p.document(root.Content[0])
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return doc, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a yaml.v3 syntax error into an Error with its line.
func (p *parser) yamlError(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: "invalid YAML: " + m[2]})
		return
	}
	p.errs = append(p.errs, &Error{File: p.file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")})
}

// alias reports a YAML alias (*name). Policies are short, and aliases would
// let a small file expand into a huge one.
func (p *parser) alias(n *yaml.Node) bool {
	if n.Kind != yaml.AliasNode {
		return false
	}
	p.errorf(n, "YAML aliases (*%s) are not supported in a policy; write the entries out", n.Value)
	return true
}

// mapping calls f for each key of a mapping node, reporting keys that are
// not in known and keys given twice.
func (p *parser) mapping(n *yaml.Node, what string, known []string, f func(key string, k, v *yaml.Node)) {
	if p.alias(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping", what)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "%s: keys must be plain names", what)
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "%s: %q is given twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		if known != nil && !slices.Contains(known, k.Value) {
			p.errorf(k, "%s: unknown key %q (known: %s)", what, k.Value, strings.Join(known, ", "))
			continue
		}
		f(k.Value, k, v)
	}
}

func (p *parser) document(n *yaml.Node) *document {
	doc := &document{}
	sawRoles := false
	p.mapping(n, "policy", []string{"version", "roles", "cedar"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			if v.Kind != yaml.ScalarNode || v.Value != "1" {
				p.errorf(v, "version must be 1")
			}
		case "roles":
			sawRoles = true
			p.mapping(v, "roles", nil, func(name string, k, v *yaml.Node) {
				if r := p.role(name, k, v); r != nil {
					doc.roles = append(doc.roles, r)
				}
			})
		case "cedar":
			for _, f := range p.stringList(v, "cedar") {
				doc.cedarFiles = append(doc.cedarFiles, fileRef{name: f.Value, line: f.Line, column: f.Column})
			}
		}
	})
	if !sawRoles && len(p.errs) == 0 {
		p.errorf(n, "the policy defines no roles; add a 'roles:' mapping")
	}
	return doc
}

func (p *parser) role(name string, k, v *yaml.Node) *role {
	if !roleName.MatchString(name) {
		p.errorf(k, "role name %q: use letters, digits, '_', '.' or '-', starting with a letter", name)
		return nil
	}
	r := &role{name: name}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return r // a role with no permissions: everything denied
	}
	p.mapping(v, "role "+name, []string{"description", "permissions"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "description":
			if v.Kind != yaml.ScalarNode {
				p.errorf(v, "role %s: description must be text", name)
			}
			r.description = v.Value
		case "permissions":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				return
			}
			if p.alias(v) {
				return
			}
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "role %s: permissions must be a list", name)
				return
			}
			for _, pn := range v.Content {
				if perm := p.permission(name, pn); perm != nil {
					r.perms = append(r.perms, perm)
				}
			}
		}
	})
	// Policy ids: role/resource, numbered when a resource appears twice.
	count := map[string]int{}
	for _, perm := range r.perms {
		count[perm.resource]++
		perm.id = name + "/" + perm.resource
		if c := count[perm.resource]; c > 1 {
			perm.id += "#" + strconv.Itoa(c)
		}
	}
	return r
}

func (p *parser) permission(roleName string, n *yaml.Node) *permission {
	what := "role " + roleName + " permission"
	perm := &permission{role: roleName, line: n.Line, limits: noLimits()}
	before := len(p.errs)
	sawResource, sawActions := false, false
	p.mapping(n, what, []string{"resource", "actions", "constraints"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "resource":
			sawResource = true
			if v.Kind != yaml.ScalarNode {
				p.errorf(v, "%s: resource must be one class name", what)
				return
			}
			if v.Value != AnyResource && !slices.Contains(resourceClasses, v.Value) {
				p.errorf(v, "%s: unknown resource class %q (known: %s, or \"*\" for all)", what, v.Value, strings.Join(resourceClasses, ", "))
				return
			}
			perm.resource = v.Value
		case "actions":
			sawActions = true
			perm.actions = p.actions(v, what)
		case "constraints":
			perm.limits = p.limits(v, what)
		}
	})
	if n.Kind == yaml.MappingNode {
		if !sawResource {
			p.errorf(n, "%s: missing 'resource'", what)
		}
		if !sawActions {
			p.errorf(n, "%s: missing 'actions'", what)
		}
	}
	if len(p.errs) > before {
		return nil
	}
	return perm
}

func (p *parser) actions(v *yaml.Node, what string) []string {
	if v.Kind == yaml.ScalarNode && v.Value == AnyAction {
		return slices.Clone(actions)
	}
	items := p.stringList(v, what+": actions")
	if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
		p.errorf(v, "%s: actions is empty; list at least one of %s", what, strings.Join(actions, ", "))
	}
	set := map[string]bool{}
	for _, it := range items {
		switch {
		case !slices.Contains(actions, it.Value):
			p.errorf(it, "%s: unknown action %q (known: %s)", what, it.Value, strings.Join(actions, ", "))
		case set[it.Value]:
			p.errorf(it, "%s: action %q is listed twice", what, it.Value)
		}
		set[it.Value] = true
	}
	var out []string
	for _, a := range actions {
		if set[a] {
			out = append(out, a)
		}
	}
	return out
}

// maxLimit keeps limits well inside int64 and float64 precision.
const maxLimit = 1e12

func (p *parser) limits(v *yaml.Node, what string) limits {
	l := noLimits()
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return l
	}
	known := []string{ConstraintMaxShots, ConstraintMaxQubits, ConstraintMaxCostPerDay, ConstraintDataClassification}
	p.mapping(v, what+": constraints", known, func(key string, k, v *yaml.Node) {
		switch key {
		case ConstraintMaxShots, ConstraintMaxQubits:
			n, err := strconv.ParseInt(v.Value, 10, 64)
			if v.Kind != yaml.ScalarNode || err != nil || n < 0 || n > maxLimit {
				p.errorf(v, "%s: %s must be a whole number from 0 to %d; omit it for no limit", what, key, int64(maxLimit))
				return
			}
			if key == ConstraintMaxShots {
				l.maxShots = n
			} else {
				l.maxQubits = n
			}
		case ConstraintMaxCostPerDay:
			f, err := strconv.ParseFloat(strings.TrimPrefix(v.Value, "$"), 64)
			if v.Kind != yaml.ScalarNode || err != nil || math.IsNaN(f) || f < 0 || f > maxLimit {
				p.errorf(v, "%s: max_cost_per_day must be an amount in US dollars from 0 to %d; omit it for no limit", what, int64(maxLimit))
				return
			}
			l.maxCost, l.maxCostMicros = f, micros(f)
		case ConstraintDataClassification:
			items := p.stringList(v, what+": data_classification")
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				p.errorf(v, "%s: data_classification is empty, which would deny all data; list the classifications allowed", what)
			}
			l.classifications = []string{}
			for _, it := range items {
				switch {
				case !slices.Contains(classifications, it.Value):
					p.errorf(it, "%s: unknown data classification %q (known: %s)", what, it.Value, strings.Join(classifications, ", "))
				case slices.Contains(l.classifications, it.Value):
					p.errorf(it, "%s: data classification %q is listed twice", what, it.Value)
				default:
					l.classifications = append(l.classifications, it.Value)
				}
			}
		}
	})
	return l
}

// stringList reads a list of plain strings; a single string is a list of
// one.
func (p *parser) stringList(v *yaml.Node, what string) []*yaml.Node {
	if p.alias(v) {
		return nil
	}
	if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		return []*yaml.Node{v}
	}
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, "%s must be a list", what)
		return nil
	}
	var out []*yaml.Node
	for _, it := range v.Content {
		if it.Kind != yaml.ScalarNode || it.Value == "" {
			p.errorf(it, "%s: each item must be a plain name", what)
			continue
		}
		out = append(out, it)
	}
	return out
}

// micros converts US dollars to whole micro-dollars, the unit in which
// costs are compared (Cedar has integers, and a decimal with 4 digits).
func micros(usd float64) int64 { return int64(math.Round(usd * 1e6)) }
