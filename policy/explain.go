package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/qguard/qguard"
)

// explanation is the YAML metadata's view of a request: the same decision
// Cedar makes for the compiled permits, with the words for it.
type explanation struct {
	allowed    bool
	perm       *permission // the permission that allowed, or the first that failed
	reason     string
	constraint string // the first failed constraint
}

// explain evaluates r against the role's permissions in file order: the
// first permission whose constraints all hold allows; otherwise the first
// matching permission's failures are the reason.
func (e *Engine) explain(r *qguard.Request, costMicros int64) explanation {
	perms, ok := e.perms[r.Role]
	if !ok {
		if r.Role == "" {
			return explanation{reason: "the user has no role; give them one (qguard users set-role)"}
		}
		return explanation{reason: fmt.Sprintf("role %q is not defined in the policy (roles: %s)", r.Role, strings.Join(e.roles, ", "))}
	}
	var failed explanation
	for _, p := range perms {
		if !p.covers(r.Resource, r.Action) {
			continue
		}
		fails := p.check(r, costMicros)
		if len(fails) == 0 {
			return explanation{allowed: true, perm: p, reason: allowedReason(p, r)}
		}
		if failed.perm == nil {
			failed = explanation{perm: p, constraint: fails[0].name}
			msgs := make([]string, len(fails))
			for i, f := range fails {
				msgs[i] = f.name + ": " + f.msg
			}
			failed.reason = strings.Join(msgs, "; ")
		}
	}
	if failed.perm != nil {
		return failed
	}
	var may []string
	for _, p := range perms {
		if p.resource == r.Resource || p.resource == AnyResource {
			for _, a := range p.actions {
				if !slices.Contains(may, a) {
					may = append(may, a)
				}
			}
		}
	}
	if len(may) == 0 {
		return explanation{reason: fmt.Sprintf("role %s has no permission on %s", r.Role, r.Resource)}
	}
	slices.SortFunc(may, func(a, b string) int { return slices.Index(actions, a) - slices.Index(actions, b) })
	return explanation{reason: fmt.Sprintf("role %s may not %s on %s (it may %s)", r.Role, r.Action, r.Resource, strings.Join(may, ", "))}
}

func (p *permission) covers(resource, action string) bool {
	return (p.resource == resource || p.resource == AnyResource) && slices.Contains(p.actions, action)
}

type failure struct{ name, msg string }

// check returns the constraints of p that r fails, in a fixed order. It
// compares exactly what the compiled Cedar condition compares.
func (p *permission) check(r *qguard.Request, costMicros int64) []failure {
	var fails []failure
	l := &p.limits
	if l.maxShots >= 0 && int64(r.Shots) > l.maxShots {
		fails = append(fails, failure{ConstraintMaxShots, fmt.Sprintf("%d shots requested, role %s allows at most %d on %s",
			r.Shots, p.role, l.maxShots, r.Resource)})
	}
	if l.maxQubits >= 0 && int64(r.Qubits) > l.maxQubits {
		fails = append(fails, failure{ConstraintMaxQubits, fmt.Sprintf("%d qubits requested, role %s allows at most %d on %s",
			r.Qubits, p.role, l.maxQubits, r.Resource)})
	}
	if l.maxCostMicros >= 0 && costMicros > l.maxCostMicros {
		fails = append(fails, failure{ConstraintMaxCostPerDay, fmt.Sprintf("%s spent today including this request, role %s allows at most %s per day on %s",
			usd(r.CostToday), p.role, usd(l.maxCost), r.Resource)})
	}
	if l.classifications != nil && !slices.Contains(l.classifications, r.Classification) {
		what := r.Classification + " data requested"
		if r.Classification == "" {
			what = "the request names no data classification"
		}
		fails = append(fails, failure{ConstraintDataClassification, fmt.Sprintf("%s, role %s allows only %s data on %s",
			what, p.role, orList(l.classifications), r.Resource)})
	}
	return fails
}

// allowedReason says which permission allowed r and how close r is to its
// limits.
func allowedReason(p *permission, r *qguard.Request) string {
	s := fmt.Sprintf("role %s may %s on %s", p.role, r.Action, r.Resource)
	var within []string
	l := &p.limits
	if l.maxShots >= 0 {
		within = append(within, fmt.Sprintf("%d of at most %d shots", r.Shots, l.maxShots))
	}
	if l.maxQubits >= 0 {
		within = append(within, fmt.Sprintf("%d of at most %d qubits", r.Qubits, l.maxQubits))
	}
	if l.maxCostMicros >= 0 {
		within = append(within, fmt.Sprintf("%s of at most %s today", usd(r.CostToday), usd(l.maxCost)))
	}
	if l.classifications != nil {
		within = append(within, fmt.Sprintf("%s data (allowed: %s)", r.Classification, orList(l.classifications)))
	}
	if len(within) > 0 {
		s += ": " + strings.Join(within, ", ")
	}
	return s
}

// orList writes "a", "a or b", "a, b or c".
func orList(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// usd formats dollars with cents, and with more digits only when needed.
func usd(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if exact := strconv.FormatFloat(v, 'f', -1, 64); len(exact) > len(s) {
		s = strings.TrimRight(strconv.FormatFloat(v, 'f', 6, 64), "0")
	}
	return "$" + s
}
