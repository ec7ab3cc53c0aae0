package policy

import (
	"fmt"
	"strings"
	"testing"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
	"github.com/qguard/qguard"
	"pgregory.net/rapid"
)

var (
	genRoleNames = []string{"r0", "r1", "r2"}
	genCosts     = []float64{0, 0.5, 1, 10, 10.25}
	// Request costs straddle the limits, down to the micro-dollar.
	reqCosts = []float64{0, 0.4999994, 0.4999996, 0.5, 0.5000004, 0.5000006, 0.51, 1, 9.99, 10, 10.000001, 10.25, 11, 1e6}
)

// genPolicy draws a random policy.yaml.
func genPolicy(t *rapid.T) string {
	var b strings.Builder
	b.WriteString("roles:\n")
	nRoles := rapid.IntRange(1, len(genRoleNames)).Draw(t, "roles")
	for _, role := range genRoleNames[:nRoles] {
		fmt.Fprintf(&b, "  %s:\n    permissions:\n", role)
		for range rapid.IntRange(0, 4).Draw(t, "perms") {
			res := rapid.SampledFrom(append([]string{AnyResource}, resourceClasses...)).Draw(t, "resource")
			acts := rapid.SliceOfNDistinct(rapid.SampledFrom(actions), 1, 4, rapid.ID).Draw(t, "actions")
			fmt.Fprintf(&b, "      - resource: %q\n        actions: [%s]\n        constraints:\n", res, strings.Join(acts, ", "))
			if rapid.Bool().Draw(t, "has shots") {
				fmt.Fprintf(&b, "          max_shots: %d\n", rapid.IntRange(0, 20).Draw(t, "max_shots"))
			}
			if rapid.Bool().Draw(t, "has qubits") {
				fmt.Fprintf(&b, "          max_qubits: %d\n", rapid.IntRange(0, 20).Draw(t, "max_qubits"))
			}
			if rapid.Bool().Draw(t, "has cost") {
				fmt.Fprintf(&b, "          max_cost_per_day: %v\n", rapid.SampledFrom(genCosts).Draw(t, "max_cost"))
			}
			if rapid.Bool().Draw(t, "has classes") {
				cls := rapid.SliceOfNDistinct(rapid.SampledFrom(classifications), 1, 4, rapid.ID).Draw(t, "classes")
				fmt.Fprintf(&b, "          data_classification: [%s]\n", strings.Join(cls, ", "))
			}
		}
	}
	return b.String()
}

func genRequest(t *rapid.T) qguard.Request {
	return qguard.Request{
		User:           rapid.SampledFrom([]string{"alice", "bob", ""}).Draw(t, "user"),
		Role:           rapid.SampledFrom(append([]string{"nobody", ""}, genRoleNames...)).Draw(t, "role"),
		Resource:       rapid.SampledFrom(resourceClasses).Draw(t, "resource"),
		Action:         rapid.SampledFrom(actions).Draw(t, "action"),
		Shots:          rapid.IntRange(0, 25).Draw(t, "shots"),
		Qubits:         rapid.IntRange(0, 25).Draw(t, "qubits"),
		CostToday:      rapid.SampledFrom(reqCosts).Draw(t, "cost"),
		Classification: rapid.SampledFrom(append([]string{""}, classifications...)).Draw(t, "class"),
	}
}

// checkAgreement asserts that Cedar's decision and the metadata's
// explanation agree, and that Decide reports them faithfully.
func checkAgreement(t *rapid.T, e *Engine, r qguard.Request) {
	cost := micros(r.CostToday)
	allowed, diag := e.authorize(&r, cost)
	if len(diag.Errors) > 0 {
		t.Fatalf("Cedar evaluation errors: %+v", diag.Errors)
	}
	// The per-role, per-action index gives the same answer as the whole policy set.
	full, fullDiag := e.set.IsAuthorized(&entities{user: types.NewEntityUID(typeUser, types.String(r.User)),
		parents: types.NewEntityUIDSet(types.NewEntityUID(typeRole, types.String(r.Role)))}, cedarRequest(&r, cost))
	if (full == cedar.Allow) != allowed || len(fullDiag.Reasons) != len(diag.Reasons) {
		t.Fatalf("index: allowed=%v %+v, whole set: %v %+v", allowed, diag.Reasons, full, fullDiag.Reasons)
	}
	exp := e.explain(&r, cost)
	if allowed != exp.allowed {
		t.Fatalf("Cedar says allowed=%v (%+v), explanation says allowed=%v: %s", allowed, diag.Reasons, exp.allowed, exp.reason)
	}
	if allowed && !hasReason(diag, exp.perm.cedarID(r.Action)) {
		t.Fatalf("explanation cites %s, Cedar's permits are %+v", exp.perm.id, diag.Reasons)
	}
	d := e.Decide(r)
	if d.Allowed != allowed || d.Reason != exp.reason || d.Constraint != exp.constraint {
		t.Fatalf("Decide = %+v, Cedar allowed=%v, explanation %+v", d, allowed, exp)
	}
	if !allowed && (d.Constraint != "") != (exp.perm != nil) {
		t.Fatalf("denied with constraint %q but failing permission %v", d.Constraint, exp.perm)
	}
}

// TestCedarAndExplanationAgree: on random policies and requests, the
// decision Cedar makes and the one the explanation describes are the same.
func TestCedarAndExplanationAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		src := genPolicy(t)
		e, err := Parse("gen.yaml", []byte(src))
		if err != nil {
			t.Fatalf("generated policy rejected: %v\n%s", err, src)
		}
		for range 20 {
			checkAgreement(t, e, genRequest(t))
		}
	})
}

func TestDefaultCedarAndExplanationAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := genRequest(t)
		r.Role = rapid.SampledFrom([]string{"researcher", "developer", "admin", "auditor", "intern"}).Draw(t, "role")
		r.Shots = rapid.SampledFrom([]int{0, 999, 1000, 1001, 4999, 5000, 5001, 9999, 10000, 10001, 49999, 50000, 50001}).Draw(t, "shots")
		r.Qubits = rapid.IntRange(0, 30).Draw(t, "qubits")
		r.CostToday = rapid.SampledFrom([]float64{0, 9.99, 10, 10.000001, 49.99, 50, 50.01, 99.99, 100, 100.01}).Draw(t, "cost")
		checkAgreement(t, Default(), r)
	})
}
