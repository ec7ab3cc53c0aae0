// Package policy decides who may do what on which class of quantum
// resource.
//
// Roles and their permissions are written in policy.yaml: for each role, a
// list of grants of actions (read, write, execute, delete) on a resource
// class (simulator, qpu_small, qpu_medium, qpu_large, algorithm_library,
// training_data), with optional constraints (max_shots, max_qubits,
// max_cost_per_day, data_classification). [Load] compiles the file to Cedar
// policies, adds any custom .cedar files beside it, and returns an [Engine].
//
// # Decisions
//
// Cedar (github.com/cedar-policy/cedar-go) is the authority: a request is
// allowed only when a Cedar permit matches and no forbid does; anything not
// granted is denied. Cedar only says which policies matched, so the words of
// a [qguard.Decision] come from evaluating the permission's constraints
// again from the compiled metadata: which permission matched, or which
// constraint failed and by how much. Tests check that the two never
// disagree.
//
// Costs are compared in whole micro-dollars (Cedar has integers only);
// Request.CostToday is the day's spend including the request.
package policy

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
	"github.com/qguard/qguard"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the text of the built-in default policy (the one in
// deploy/policy.yaml), for `qguard init` to write out.
func DefaultYAML() []byte { return slices.Clone(defaultYAML) }

// CustomDir is the directory beside policy.yaml whose *.cedar files are
// added to the policy.
const CustomDir = "policy.d"

// Engine decides requests. It is immutable and safe for concurrent use.
type Engine struct {
	set     *cedar.PolicySet
	index   map[roleAction]policyList      // the role's permits for the action, and every custom policy
	others  policyList                     // custom policies only, for roles not in the YAML
	cedar   []byte                         // the compiled YAML, as Cedar source
	perms   map[string][]*permission       // by role, in file order
	byID    map[cedar.PolicyID]*permission // by Cedar id (one per action)
	nperms  int
	custom  map[cedar.PolicyID]customPolicy
	roles   []string                      // sorted
	parents map[string]types.EntityUIDSet // role -> {Role::role}
	digest  string
	files   []string
}

// Load reads the policy at path and the custom Cedar files it names or that
// sit in policy.d/ beside it. A missing path gives the built-in default
// policy (still with policy.d/ beside the path, if any). Errors in the
// files are returned together as an [ErrorList] naming file and line.
func Load(path string) (*Engine, error) {
	data, err := readFile(path)
	name := path
	if errors.Is(err, fs.ErrNotExist) {
		data, name = defaultYAML, "default policy"
	} else if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	doc, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	var sources []cedarSource
	var errs ErrorList
	for _, ref := range doc.cedarFiles {
		p := ref.name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		b, err := readFile(p)
		if err != nil {
			errs = append(errs, &Error{File: name, Line: ref.line, Column: ref.column, Msg: fmt.Sprintf("cedar file %s: %v", ref.name, unwrapPath(err))})
			continue
		}
		sources = append(sources, cedarSource{name: p, data: b})
	}
	custom, err := os.ReadDir(filepath.Join(dir, CustomDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", CustomDir, err)
	}
	for _, de := range custom { // sorted by name
		p := filepath.Join(dir, CustomDir, de.Name())
		if !strings.HasSuffix(de.Name(), ".cedar") || slices.ContainsFunc(sources, func(s cedarSource) bool { return s.name == p }) {
			continue
		}
		b, err := readFile(p)
		if err != nil {
			errs = append(errs, &Error{File: p, Msg: unwrapPath(err).Error()})
			continue
		}
		sources = append(sources, cedarSource{name: p, data: b})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return compile(name, data, doc, sources)
}

// readFile reads a policy file: at most maxFileSize+1 bytes, so that an
// oversized file is reported rather than read whole. A file that every user
// may write is refused: whoever can edit the policy can grant themselves any
// role.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o002 != 0 {
		return nil, fmt.Errorf("%s is writable by every user of this machine, who could grant themselves any role; fix it with: chmod o-w %s", path, path)
	}
	return io.ReadAll(io.LimitReader(f, maxFileSize+1))
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse compiles policy YAML held in memory, without custom Cedar files;
// name is used in error messages.
func Parse(name string, data []byte) (*Engine, error) {
	doc, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	return compile(name, data, doc, nil)
}

var defaultEngine = func() *Engine {
	e, err := Parse("default policy", defaultYAML)
	if err != nil {
		panic("policy: the built-in default policy is invalid: " + err.Error())
	}
	return e
}()

// Default returns the engine of the built-in default policy.
func Default() *Engine { return defaultEngine }

// compile builds an Engine from a parsed document and custom Cedar files.
func compile(name string, data []byte, doc *document, custom []cedarSource) (*Engine, error) {
	e := &Engine{
		set:     cedar.NewPolicySet(),
		perms:   map[string][]*permission{},
		byID:    map[cedar.PolicyID]*permission{},
		custom:  map[cedar.PolicyID]customPolicy{},
		parents: map[string]types.EntityUIDSet{},
		index:   map[roleAction]policyList{},
		files:   []string{name},
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s", len(data), data)

	e.cedar = cedarText(doc)
	compiled, err := cedar.NewPolicyListFromBytes(compiledName(name), e.cedar)
	if err != nil { // a bug: the compiler wrote invalid Cedar
		return nil, fmt.Errorf("compile %s: %w", name, err)
	}
	i := 0
	for _, r := range doc.roles {
		e.roles = append(e.roles, r.name)
		e.parents[r.name] = types.NewEntityUIDSet(types.NewEntityUID(typeRole, types.String(r.name)))
		e.perms[r.name] = r.perms
		for _, p := range r.perms {
			e.nperms++
			for _, a := range p.actions {
				id := p.cedarID(a)
				if msgs := validatePolicy(id, compiled[i]); msgs != nil { // a bug
					return nil, fmt.Errorf("compile %s: policy %s: %s", name, id, strings.Join(msgs, "; "))
				}
				e.set.Add(id, compiled[i])
				e.byID[id] = p
				e.byID[cedar.PolicyID(p.id)] = p // reserves the permission's id
				i++
			}
		}
	}
	sort.Strings(e.roles)

	var errs ErrorList
	for _, src := range custom {
		fmt.Fprintf(h, "%d:%s%d:%s", len(src.name), src.name, len(src.data), src.data)
		e.files = append(e.files, src.name)
		errs = append(errs, e.addCustom(src)...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for _, r := range doc.roles {
		for _, a := range actions {
			var l policyList
			for _, p := range r.perms {
				if slices.Contains(p.actions, a) {
					l = append(l, idPolicy{p.cedarID(a), e.set.Get(p.cedarID(a))})
				}
			}
			e.index[roleAction{r.name, a}] = append(l, e.others...)
		}
	}
	e.digest = hex.EncodeToString(h.Sum(nil))
	return e, nil
}

// addCustom adds the policies of a custom Cedar file, after checking their
// ids and validating them against the schema.
func (e *Engine) addCustom(src cedarSource) ErrorList {
	list, ids, perr := parseCedar(src)
	if perr != nil {
		return ErrorList{perr}
	}
	var errs ErrorList
	for j, p := range list {
		id, pos := ids[j], p.Position()
		if _, used := e.byID[id]; used || e.set.Get(id) != nil {
			errs = append(errs, &Error{File: src.name, Line: pos.Line, Column: pos.Column,
				Msg: fmt.Sprintf("policy id %q is already used; give this policy another @id", id)})
			continue
		}
		ann := p.Annotations()
		if msgs := validatePolicy(id, p); msgs != nil {
			label := "" // the position names the policy, unless it has an @id
			if _, ok := ann[annotationID]; ok {
				label = fmt.Sprintf("policy %s: ", id)
			}
			for _, m := range msgs {
				errs = append(errs, &Error{File: src.name, Line: pos.Line, Column: pos.Column, Msg: label + m})
			}
			continue
		}
		e.set.Add(id, p)
		e.custom[id] = customPolicy{file: src.name, line: pos.Line,
			reason: string(ann[annotationReason]), constraint: string(ann[annotationConstraint])}
		e.others = append(e.others, idPolicy{id, p})
	}
	return errs
}

// Roles returns the roles the policy defines, sorted.
func (e *Engine) Roles() []string { return slices.Clone(e.roles) }

// Digest identifies the policy's sources (SHA-256 of the YAML and the custom
// Cedar files), so that a change of policy can be audited.
func (e *Engine) Digest() string { return e.digest }

// Summary describes a loaded policy, for `qguard policy validate`.
type Summary struct {
	Files          []string `json:"files"` // the YAML first, then custom Cedar files
	Roles          []string `json:"roles"`
	Permissions    int      `json:"permissions"`     // compiled from the YAML
	CustomPolicies int      `json:"custom_policies"` // from .cedar files
	Digest         string   `json:"digest"`
}

// Summary returns what the policy is made of.
func (e *Engine) Summary() Summary {
	return Summary{Files: slices.Clone(e.files), Roles: e.Roles(), Permissions: e.nperms,
		CustomPolicies: len(e.custom), Digest: e.digest}
}

// Cedar returns the Cedar policies compiled from the YAML (custom files not
// included).
func (e *Engine) Cedar() []byte { return slices.Clone(e.cedar) }

// HasRole reports whether the policy defines role.
func (e *Engine) HasRole(role string) bool {
	_, ok := e.perms[role]
	return ok
}

// Limits are the constraints policy.yaml puts on a role for a resource
// class. A negative limit means no limit; nil DataClassification means any
// classification. When the YAML gives the role no permission on the class,
// Actions is empty and the limits are -1: whatever a custom Cedar policy
// allows is not capped here. Limits inform (the gateway reserves budget
// against MaxCostPerDay); decisions come from [Engine.Decide].
type Limits struct {
	Actions            []string `json:"actions"`
	MaxShots           int64    `json:"max_shots"`
	MaxQubits          int64    `json:"max_qubits"`
	MaxCostPerDay      float64  `json:"max_cost_per_day"` // USD
	DataClassification []string `json:"data_classification,omitempty"`
}

// Limits returns what role may do on resource according to policy.yaml:
// Actions from every permission on the class, and the limits of the
// permissions that grant execute (running jobs is what shots, qubits and
// cost are about), or of all of them when none grants execute. When
// several permissions count, each limit is the most generous of them.
// Custom Cedar policies are not reflected.
func (e *Engine) Limits(role, resource string) Limits {
	out := Limits{MaxShots: -1, MaxQubits: -1, MaxCostPerDay: -1}
	if !slices.Contains(resourceClasses, resource) {
		return out
	}
	var applies, executes []*permission
	for _, p := range e.perms[role] {
		if p.resource != resource && p.resource != AnyResource {
			continue
		}
		applies = append(applies, p)
		if slices.Contains(p.actions, qguard.ActionExecute) {
			executes = append(executes, p)
		}
		for _, a := range p.actions {
			if !slices.Contains(out.Actions, a) {
				out.Actions = append(out.Actions, a)
			}
		}
	}
	slices.SortFunc(out.Actions, func(a, b string) int { return slices.Index(actions, a) - slices.Index(actions, b) })
	counted := executes
	if len(counted) == 0 {
		counted = applies
	}
	for i, p := range counted {
		l := p.limits
		if i == 0 {
			out.MaxShots, out.MaxQubits, out.MaxCostPerDay = l.maxShots, l.maxQubits, l.maxCost
			out.DataClassification = slices.Clone(l.classifications)
			continue
		}
		out.MaxShots = looser(out.MaxShots, l.maxShots)
		out.MaxQubits = looser(out.MaxQubits, l.maxQubits)
		if out.MaxCostPerDay >= 0 && (l.maxCost < 0 || l.maxCost > out.MaxCostPerDay) {
			out.MaxCostPerDay = l.maxCost
		}
		switch {
		case l.classifications == nil:
			out.DataClassification = nil
		case out.DataClassification != nil:
			for _, c := range l.classifications {
				if !slices.Contains(out.DataClassification, c) {
					out.DataClassification = append(out.DataClassification, c)
				}
			}
		}
	}
	slices.SortFunc(out.DataClassification, func(a, b string) int {
		return slices.Index(classifications, a) - slices.Index(classifications, b)
	})
	return out
}

// MaxCostPerDay is Limits(role, resource).MaxCostPerDay: the daily cost cap
// in US dollars the gateway reserves budget against; negative means none.
func (e *Engine) MaxCostPerDay(role, resource string) float64 {
	return e.Limits(role, resource).MaxCostPerDay
}

// looser returns the more generous of two limits where -1 is no limit.
func looser(a, b int64) int64 {
	if a < 0 || b < 0 {
		return -1
	}
	return max(a, b)
}

// Decide evaluates r. The decision is Cedar's; the reason says which
// permission allowed it, or which constraint or rule denied it.
func (e *Engine) Decide(r qguard.Request) qguard.Decision {
	if reason := invalid(&r); reason != "" {
		return qguard.Decision{Reason: reason}
	}
	cost := micros(r.CostToday)
	allowed, diag := e.authorize(&r, cost)
	exp := e.explain(&r, cost)
	if allowed {
		if exp.allowed && hasReason(diag, exp.perm.cedarID(r.Action)) {
			return qguard.Decision{Allowed: true, Reason: exp.reason, Policy: exp.perm.id}
		}
		return e.describe(diag.Reasons[0], true)
	}
	if len(diag.Reasons) > 0 { // a forbid matched
		return e.describe(diag.Reasons[0], false)
	}
	if !exp.allowed {
		d := qguard.Decision{Reason: exp.reason, Constraint: exp.constraint}
		if exp.perm != nil {
			d.Policy = exp.perm.id
		}
		return d
	}
	// Cedar denied what the metadata allows: Cedar wins. Tests keep this
	// from happening.
	return qguard.Decision{Reason: "no policy permits this request"}
}

// entities gives Cedar the one entity a request needs: the user, a member
// of their role.
type entities struct {
	user    types.EntityUID
	parents types.EntityUIDSet
}

func (en *entities) Get(uid types.EntityUID) (types.Entity, bool) {
	if uid == en.user {
		return types.Entity{UID: uid, Parents: en.parents}, true
	}
	return types.Entity{}, false
}

// authorize asks Cedar.
func (e *Engine) authorize(r *qguard.Request, costMicros int64) (bool, types.Diagnostic) {
	en := &entities{user: types.NewEntityUID(typeUser, types.String(r.User))}
	if ps, ok := e.parents[r.Role]; ok {
		en.parents = ps
	} else if r.Role != "" {
		en.parents = types.NewEntityUIDSet(types.NewEntityUID(typeRole, types.String(r.Role)))
	}
	d, diag := cedar.Authorize(e.policiesFor(r.Role, r.Action), en, cedarRequest(r, costMicros))
	return d == cedar.Allow, diag
}

// cedarRequest is r as Cedar sees it (the names are in docs/policy.md).
func cedarRequest(r *qguard.Request, costMicros int64) cedar.Request {
	return cedar.Request{
		Principal: types.NewEntityUID(typeUser, types.String(r.User)),
		Action:    types.NewEntityUID(typeAction, types.String(r.Action)),
		Resource:  types.NewEntityUID(typeResource, types.String(r.Resource)),
		Context: types.NewRecord(types.RecordMap{
			ctxShots:          types.Long(r.Shots),
			ctxQubits:         types.Long(r.Qubits),
			ctxCostTodayMicro: types.Long(costMicros),
			ctxClass:          types.String(r.Classification),
			ctxProject:        types.String(r.Project),
		}),
	}
}

// policiesFor returns the part of the policy set that can match a request
// of role for action. A compiled permit names one role and one action in
// its scope, a user's only parent is their role, and actions have none, so
// the permits of other roles and actions can never match: leaving them out
// changes no decision, and saves most of the work (Cedar evaluates every
// policy it is given). Custom policies are always included.
func (e *Engine) policiesFor(role, action string) policyList {
	if l, ok := e.index[roleAction{role, action}]; ok {
		return l
	}
	return e.others
}

type roleAction struct{ role, action string }

// policyList is a list of Cedar policies with their ids.
type policyList []idPolicy

type idPolicy struct {
	id cedar.PolicyID
	p  *cedar.Policy
}

func (l policyList) All() iter.Seq2[cedar.PolicyID, *cedar.Policy] {
	return func(yield func(cedar.PolicyID, *cedar.Policy) bool) {
		for _, ip := range l {
			if !yield(ip.id, ip.p) {
				return
			}
		}
	}
}

func hasReason(diag types.Diagnostic, id cedar.PolicyID) bool {
	for _, r := range diag.Reasons {
		if r.PolicyID == id {
			return true
		}
	}
	return false
}

// describe explains a decision made by a policy without YAML metadata
// behind it: a custom permit or forbid.
func (e *Engine) describe(r types.DiagnosticReason, allowed bool) qguard.Decision {
	d := qguard.Decision{Allowed: allowed, Policy: string(r.PolicyID)}
	verb := "denied"
	if allowed {
		verb = "allowed"
	}
	c, ok := e.custom[r.PolicyID]
	if !ok { // a compiled permit the explanation missed; tests keep this from happening
		if p, ok := e.byID[r.PolicyID]; ok {
			d.Policy = p.id
		}
		d.Reason = fmt.Sprintf("%s by policy %s", verb, d.Policy)
		return d
	}
	if !allowed {
		d.Constraint = c.constraint
	}
	where := fmt.Sprintf("%s:%d", c.file, c.line)
	if string(r.PolicyID) != where { // named by @id
		where = fmt.Sprintf("%s, %s", r.PolicyID, where)
	}
	if c.reason != "" {
		d.Reason = fmt.Sprintf("%s (policy %s)", c.reason, where)
	} else {
		d.Reason = fmt.Sprintf("%s by policy %s", verb, where)
	}
	return d
}

// maxCost bounds Request.CostToday so that micro-dollars fit an int64.
const maxCost = 1e12

// invalid checks the request against the vocabularies; it returns why the
// request is malformed, or "".
func invalid(r *qguard.Request) string {
	switch {
	case !slices.Contains(resourceClasses, r.Resource):
		return fmt.Sprintf("unknown resource class %q (known: %s)", r.Resource, strings.Join(resourceClasses, ", "))
	case !slices.Contains(actions, r.Action):
		return fmt.Sprintf("unknown action %q (known: %s)", r.Action, strings.Join(actions, ", "))
	case r.Shots < 0:
		return fmt.Sprintf("invalid request: %d shots", r.Shots)
	case r.Qubits < 0:
		return fmt.Sprintf("invalid request: %d qubits", r.Qubits)
	case math.IsNaN(r.CostToday) || r.CostToday < 0 || r.CostToday > maxCost:
		return fmt.Sprintf("invalid request: cost today %v", r.CostToday)
	case r.Classification != "" && !slices.Contains(classifications, r.Classification):
		return fmt.Sprintf("unknown data classification %q (known: %s)", r.Classification, strings.Join(classifications, ", "))
	}
	return ""
}
