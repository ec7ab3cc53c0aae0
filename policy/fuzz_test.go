package policy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/qguard/qguard"
)

// FuzzLoad feeds the YAML loader arbitrary files. It must return an engine
// or an ErrorList, never panic; an accepted policy must compile to Cedar
// that parses again and decide requests without error.
func FuzzLoad(f *testing.F) {
	f.Add(defaultYAML)
	if b, err := os.ReadFile("../deploy/policy.yaml"); err == nil {
		f.Add(b)
	}
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("roles:\n  a:\n    permissions:\n      - {resource: \"*\", actions: \"*\", constraints: {max_cost_per_day: $1.5}}\n"))
	f.Add([]byte("roles: {a: ~}\ncedar: x.cedar\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse("fuzz.yaml", data)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not an ErrorList: %v", err)
			}
			return
		}
		if _, err := cedar.NewPolicyListFromBytes("again", e.Cedar()); err != nil {
			t.Fatalf("compiled Cedar does not parse: %v\n%s", err, e.Cedar())
		}
		for _, role := range e.Roles() {
			for _, res := range resourceClasses {
				for _, act := range actions {
					r := qguard.Request{User: "u", Role: role, Resource: res, Action: act, Shots: 10, Qubits: 5, CostToday: 1, Classification: "internal"}
					allowed, diag := e.authorize(&r, micros(r.CostToday))
					if len(diag.Errors) > 0 {
						t.Fatalf("Cedar errors: %+v", diag.Errors)
					}
					if exp := e.explain(&r, micros(r.CostToday)); exp.allowed != allowed {
						t.Fatalf("Cedar allowed=%v, explanation %+v", allowed, exp)
					}
				}
			}
		}
		if !bytes.Equal(data, defaultYAML) && e.Digest() == Default().Digest() {
			t.Fatal("different sources, same digest")
		}
	})
}
