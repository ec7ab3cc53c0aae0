package policy

import (
	"testing"

	"github.com/cedar-policy/cedar-go/types"
	"github.com/qguard/qguard"
)

// BenchmarkDecide measures one decision of the default policy, over a mix
// of allowed requests and denials by constraint, by missing permission and
// by unknown role.
func BenchmarkDecide(b *testing.B) {
	e := Default()
	reqs := []qguard.Request{
		{User: "alice", Role: "researcher", Resource: "simulator", Action: "execute", Shots: 5000, Qubits: 12},
		{User: "alice", Role: "researcher", Resource: "qpu_small", Action: "execute", Shots: 1000, CostToday: 10.5},
		{User: "bob", Role: "developer", Resource: "training_data", Action: "write", Classification: "confidential"},
		{User: "carol", Role: "auditor", Resource: "qpu_large", Action: "delete"},
		{User: "dan", Role: "intern", Resource: "simulator", Action: "read"},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.Decide(reqs[i%len(reqs)])
	}
}

// BenchmarkDecideParallel is BenchmarkDecide from every core at once.
func BenchmarkDecideParallel(b *testing.B) {
	e := Default()
	r := qguard.Request{User: "alice", Role: "researcher", Resource: "simulator", Action: "execute", Shots: 5000, Qubits: 12}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e.Decide(r)
		}
	})
}

// BenchmarkCedarWholeSet is Cedar alone on the whole policy set, without
// the per-role, per-action index or the explanation: what the index saves.
func BenchmarkCedarWholeSet(b *testing.B) {
	e := Default()
	r := qguard.Request{User: "alice", Role: "researcher", Resource: "simulator", Action: "execute", Shots: 5000, Qubits: 12}
	en := &entities{user: types.NewEntityUID(typeUser, "alice"), parents: e.parents["researcher"]}
	b.ReportAllocs()
	for b.Loop() {
		e.set.IsAuthorized(en, cedarRequest(&r, 0))
	}
}

// BenchmarkParseDefault is the start-up cost: parse the default YAML,
// compile it to Cedar and validate it against the schema.
func BenchmarkParseDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("default", defaultYAML); err != nil {
			b.Fatal(err)
		}
	}
}
