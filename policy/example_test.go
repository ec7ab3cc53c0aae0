package policy_test

import (
	"fmt"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/policy"
)

func ExampleEngine_Decide() {
	e := policy.Default()
	d := e.Decide(qguard.Request{User: "alice", Role: qguard.RoleResearcher,
		Resource: qguard.ClassSimulator, Action: qguard.ActionExecute, Shots: 20000, Qubits: 12})
	fmt.Println(d.Allowed, d.Constraint)
	fmt.Println(d.Reason)

	d = e.Decide(qguard.Request{User: "alice", Role: qguard.RoleResearcher,
		Resource: qguard.ClassQPUSmall, Action: qguard.ActionExecute, Shots: 500, CostToday: 7.25})
	fmt.Println(d.Allowed, d.Policy)
	fmt.Println(d.Reason)
	// Output:
	// false max_shots
	// max_shots: 20000 shots requested, role researcher allows at most 10000 on simulator
	// true researcher/qpu_small
	// role researcher may execute on qpu_small: 500 of at most 1000 shots, $7.25 of at most $10.00 today
}

func ExampleEngine_Limits() {
	l := policy.Default().Limits(qguard.RoleDeveloper, qguard.ClassQPUMedium)
	fmt.Println(l.Actions, l.MaxShots, l.MaxQubits, l.MaxCostPerDay)
	// Output: [read execute] 1000 -1 100
}
