package policy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/qguard/qguard"
)

// row is one row of the default policy table of issue 3, written out here
// independently of default.yaml so that the test checks the file.
type row struct {
	role, resource string
	actions        []string
	maxShots       int     // 0: none
	maxQubits      int     // 0: none
	maxCost        float64 // 0: none
	classes        []string
}

var (
	rd   = []string{qguard.ActionRead}
	rx   = []string{qguard.ActionRead, qguard.ActionExecute}
	rw   = []string{qguard.ActionRead, qguard.ActionWrite}
	rwx  = []string{qguard.ActionRead, qguard.ActionWrite, qguard.ActionExecute}
	rwxd = []string{qguard.ActionRead, qguard.ActionWrite, qguard.ActionExecute, qguard.ActionDelete}
)

var defaultTable = []row{
	{role: "researcher", resource: "simulator", actions: rx, maxShots: 10000, maxQubits: 20},
	{role: "researcher", resource: "qpu_small", actions: rx, maxShots: 1000, maxCost: 10},
	{role: "researcher", resource: "algorithm_library", actions: rd},
	{role: "researcher", resource: "training_data", actions: rd, classes: []string{"public", "internal"}},
	{role: "developer", resource: "simulator", actions: rwx, maxShots: 50000, maxQubits: 25},
	{role: "developer", resource: "qpu_small", actions: rx, maxShots: 5000, maxCost: 50},
	{role: "developer", resource: "qpu_medium", actions: rx, maxShots: 1000, maxCost: 100},
	{role: "developer", resource: "algorithm_library", actions: rw},
	{role: "developer", resource: "training_data", actions: rw, classes: []string{"public", "internal", "confidential"}},
}

// everyResource are the rows of admin and auditor, which apply to all classes.
var everyResource = map[string][]string{"admin": rwxd, "auditor": rd}

func findRow(role, resource string) *row {
	for i := range defaultTable {
		if defaultTable[i].role == role && defaultTable[i].resource == resource {
			return &defaultTable[i]
		}
	}
	if acts, ok := everyResource[role]; ok {
		return &row{role: role, resource: resource, actions: acts}
	}
	return nil
}

// within returns a request that satisfies every constraint of the row.
func (rw *row) within(action string) qguard.Request {
	r := qguard.Request{User: "u", Role: rw.role, Resource: rw.resource, Action: action}
	if rw.maxShots > 0 {
		r.Shots = rw.maxShots / 2
	}
	if rw.maxQubits > 0 {
		r.Qubits = rw.maxQubits / 2
	}
	if rw.maxCost > 0 {
		r.CostToday = rw.maxCost / 2
	}
	if rw.classes != nil {
		r.Classification = rw.classes[0]
	}
	return r
}

type testCase struct {
	name       string
	req        qguard.Request
	allowed    bool
	constraint string
}

// defaultCases expands the table: every role x class x action with values
// inside the limits, then each limit at, just below and just above.
func defaultCases() []testCase {
	var cases []testCase
	for _, role := range []string{"researcher", "developer", "admin", "auditor"} {
		for _, res := range resourceClasses {
			rw := findRow(role, res)
			for _, act := range actions {
				var r qguard.Request
				allowed := false
				if rw != nil {
					r = rw.within(act)
					allowed = slices.Contains(rw.actions, act)
				} else {
					r = qguard.Request{User: "u", Role: role, Resource: res, Action: act}
				}
				cases = append(cases, testCase{name: fmt.Sprintf("%s/%s/%s", role, res, act), req: r, allowed: allowed})
			}
		}
	}
	for i := range defaultTable {
		rw := &defaultTable[i]
		for _, act := range rw.actions {
			base := rw.within(act)
			name := fmt.Sprintf("%s/%s/%s", rw.role, rw.resource, act)
			if rw.maxShots > 0 {
				for _, c := range []struct {
					shots int
					ok    bool
				}{{rw.maxShots - 1, true}, {rw.maxShots, true}, {rw.maxShots + 1, false}} {
					r := base
					r.Shots = c.shots
					cases = append(cases, limitCase(name, "shots", c.shots, r, c.ok, ConstraintMaxShots))
				}
			}
			if rw.maxQubits > 0 {
				for _, c := range []struct {
					qubits int
					ok     bool
				}{{rw.maxQubits - 1, true}, {rw.maxQubits, true}, {rw.maxQubits + 1, false}} {
					r := base
					r.Qubits = c.qubits
					cases = append(cases, limitCase(name, "qubits", c.qubits, r, c.ok, ConstraintMaxQubits))
				}
			}
			if rw.maxCost > 0 {
				for _, c := range []struct {
					cost float64
					ok   bool
				}{{rw.maxCost - 0.01, true}, {rw.maxCost, true}, {rw.maxCost + 0.01, false}, {rw.maxCost + 0.000001, false}} {
					r := base
					r.CostToday = c.cost
					cases = append(cases, limitCase(name, "cost", c.cost, r, c.ok, ConstraintMaxCostPerDay))
				}
			}
			if rw.classes != nil {
				for _, cl := range append(slices.Clone(classifications), "") {
					r := base
					r.Classification = cl
					cases = append(cases, limitCase(name, "class", cl, r, slices.Contains(rw.classes, cl), ConstraintDataClassification))
				}
			}
		}
	}
	return cases
}

func limitCase(name, what string, v any, r qguard.Request, ok bool, constraint string) testCase {
	c := testCase{name: fmt.Sprintf("%s/%s=%v", name, what, v), req: r, allowed: ok}
	if !ok {
		c.constraint = constraint
	}
	return c
}

func TestDefaultPolicyTable(t *testing.T) {
	e := Default()
	cases := defaultCases()
	if len(cases) < 150 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := e.Decide(c.req)
			if d.Allowed != c.allowed || d.Constraint != c.constraint {
				t.Fatalf("Decide(%+v) = %+v, want allowed=%v constraint=%q", c.req, d, c.allowed, c.constraint)
			}
			if d.Reason == "" {
				t.Fatalf("decision without a reason: %+v", d)
			}
			if d.Allowed && !strings.HasPrefix(d.Policy, c.req.Role+"/") {
				t.Fatalf("allowed by %q, want a %s policy", d.Policy, c.req.Role)
			}
			if d.Constraint != "" && !strings.HasPrefix(d.Reason, d.Constraint+": ") {
				t.Fatalf("reason %q does not start with the constraint %q", d.Reason, d.Constraint)
			}
		})
	}
}

func TestReasons(t *testing.T) {
	e := Default()
	req := func(role, res, act string) qguard.Request {
		return qguard.Request{User: "alice", Role: role, Resource: res, Action: act}
	}
	with := func(r qguard.Request, f func(*qguard.Request)) qguard.Request { f(&r); return r }
	tests := []struct {
		req  qguard.Request
		want qguard.Decision
	}{
		{with(req("researcher", "simulator", "execute"), func(r *qguard.Request) { r.Shots = 20000; r.Qubits = 4 }),
			qguard.Decision{Reason: "max_shots: 20000 shots requested, role researcher allows at most 10000 on simulator",
				Constraint: "max_shots", Policy: "researcher/simulator"}},
		{with(req("researcher", "simulator", "execute"), func(r *qguard.Request) { r.Shots = 20000; r.Qubits = 21 }),
			qguard.Decision{Reason: "max_shots: 20000 shots requested, role researcher allows at most 10000 on simulator; " +
				"max_qubits: 21 qubits requested, role researcher allows at most 20 on simulator",
				Constraint: "max_shots", Policy: "researcher/simulator"}},
		{with(req("researcher", "simulator", "execute"), func(r *qguard.Request) { r.Shots = 10000; r.Qubits = 20 }),
			qguard.Decision{Allowed: true, Reason: "role researcher may execute on simulator: 10000 of at most 10000 shots, 20 of at most 20 qubits",
				Policy: "researcher/simulator"}},
		{with(req("researcher", "qpu_small", "execute"), func(r *qguard.Request) { r.Shots = 100; r.CostToday = 10.5 }),
			qguard.Decision{Reason: "max_cost_per_day: $10.50 spent today including this request, role researcher allows at most $10.00 per day on qpu_small",
				Constraint: "max_cost_per_day", Policy: "researcher/qpu_small"}},
		{with(req("researcher", "training_data", "read"), func(r *qguard.Request) { r.Classification = "confidential" }),
			qguard.Decision{Reason: "data_classification: confidential data requested, role researcher allows only public or internal data on training_data",
				Constraint: "data_classification", Policy: "researcher/training_data"}},
		{req("researcher", "training_data", "read"),
			qguard.Decision{Reason: "data_classification: the request names no data classification, role researcher allows only public or internal data on training_data",
				Constraint: "data_classification", Policy: "researcher/training_data"}},
		{req("researcher", "simulator", "delete"),
			qguard.Decision{Reason: "role researcher may not delete on simulator (it may read, execute)"}},
		{req("researcher", "qpu_large", "read"),
			qguard.Decision{Reason: "role researcher has no permission on qpu_large"}},
		{req("admin", "qpu_large", "delete"),
			qguard.Decision{Allowed: true, Reason: "role admin may delete on qpu_large", Policy: "admin/*"}},
		// Unknown role, resource, action and malformed values: denied, with a reason.
		{req("intern", "simulator", "read"),
			qguard.Decision{Reason: `role "intern" is not defined in the policy (roles: admin, auditor, developer, researcher)`}},
		{req("", "simulator", "read"),
			qguard.Decision{Reason: "the user has no role; give them one (qguard users set-role)"}},
		{req("admin", "mainframe", "read"),
			qguard.Decision{Reason: `unknown resource class "mainframe" (known: simulator, qpu_small, qpu_medium, qpu_large, algorithm_library, training_data)`}},
		{req("admin", "simulator", "launch"),
			qguard.Decision{Reason: `unknown action "launch" (known: read, write, execute, delete)`}},
		{req("admin", "*", "read"),
			qguard.Decision{Reason: `unknown resource class "*" (known: simulator, qpu_small, qpu_medium, qpu_large, algorithm_library, training_data)`}},
		{with(req("admin", "simulator", "execute"), func(r *qguard.Request) { r.Shots = -1 }),
			qguard.Decision{Reason: "invalid request: -1 shots"}},
		{with(req("admin", "simulator", "execute"), func(r *qguard.Request) { r.Qubits = -3 }),
			qguard.Decision{Reason: "invalid request: -3 qubits"}},
		{with(req("admin", "qpu_small", "execute"), func(r *qguard.Request) { r.CostToday = -1 }),
			qguard.Decision{Reason: "invalid request: cost today -1"}},
		{with(req("admin", "training_data", "read"), func(r *qguard.Request) { r.Classification = "secret" }),
			qguard.Decision{Reason: `unknown data classification "secret" (known: public, internal, confidential, restricted)`}},
	}
	for _, tt := range tests {
		if got := e.Decide(tt.req); got != tt.want {
			t.Errorf("Decide(%+v)\n got %+v\nwant %+v", tt.req, got, tt.want)
		}
	}
}

func TestLimits(t *testing.T) {
	e := Default()
	tests := []struct {
		role, resource string
		want           Limits
	}{
		{"researcher", "qpu_small", Limits{Actions: rx, MaxShots: 1000, MaxQubits: -1, MaxCostPerDay: 10}},
		{"developer", "qpu_medium", Limits{Actions: rx, MaxShots: 1000, MaxQubits: -1, MaxCostPerDay: 100}},
		{"researcher", "training_data", Limits{Actions: rd, MaxShots: -1, MaxQubits: -1, MaxCostPerDay: -1, DataClassification: []string{"public", "internal"}}},
		{"admin", "qpu_large", Limits{Actions: rwxd, MaxShots: -1, MaxQubits: -1, MaxCostPerDay: -1}},
		{"researcher", "qpu_large", Limits{MaxShots: -1, MaxQubits: -1, MaxCostPerDay: -1}},
		{"nobody", "simulator", Limits{MaxShots: -1, MaxQubits: -1, MaxCostPerDay: -1}},
		{"admin", "mainframe", Limits{MaxShots: -1, MaxQubits: -1, MaxCostPerDay: -1}},
	}
	for _, tt := range tests {
		if got := e.Limits(tt.role, tt.resource); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Limits(%s, %s) = %+v, want %+v", tt.role, tt.resource, got, tt.want)
		}
	}
	if got := e.MaxCostPerDay("developer", "qpu_medium"); got != 100 {
		t.Errorf("MaxCostPerDay(developer, qpu_medium) = %v, want 100", got)
	}
	if got := e.MaxCostPerDay("admin", "qpu_large"); got >= 0 {
		t.Errorf("MaxCostPerDay(admin, qpu_large) = %v, want negative (no cap)", got)
	}
	// Several permissions on one class: those that grant execute count,
	// each limit the more generous of them.
	e2 := mustParse(t, `
roles:
  ops:
    permissions:
      - {resource: "*", actions: [read]}
      - {resource: qpu_small, actions: [execute], constraints: {max_shots: 10, max_cost_per_day: 5, data_classification: [internal]}}
      - {resource: qpu_small, actions: [execute, delete], constraints: {max_shots: 100, max_qubits: 3, data_classification: [public]}}
      - {resource: training_data, actions: [write], constraints: {data_classification: [confidential]}}
      - {resource: training_data, actions: [delete], constraints: {data_classification: [public]}}
`)
	for _, tt := range []struct {
		resource string
		want     Limits
	}{
		{"qpu_small", Limits{Actions: []string{"read", "execute", "delete"}, MaxShots: 100, MaxQubits: -1, MaxCostPerDay: -1, DataClassification: []string{"public", "internal"}}},
		{"qpu_large", Limits{Actions: rd, MaxShots: -1, MaxQubits: -1, MaxCostPerDay: -1}},
		{"training_data", Limits{Actions: []string{"read", "write", "delete"}, MaxShots: -1, MaxQubits: -1, MaxCostPerDay: -1}},
	} {
		if got := e2.Limits("ops", tt.resource); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Limits(ops, %s) = %+v, want %+v", tt.resource, got, tt.want)
		}
	}
}

func TestRoles(t *testing.T) {
	if got, want := Default().Roles(), []string{"admin", "auditor", "developer", "researcher"}; !slices.Equal(got, want) {
		t.Fatalf("Roles() = %v, want %v", got, want)
	}
}

// The default is embedded from the package; deploy/policy.yaml must be the
// same file.
func TestDeployPolicyIsDefault(t *testing.T) {
	deployed, err := os.ReadFile("../deploy/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(deployed, defaultYAML) {
		t.Fatal("deploy/policy.yaml differs from policy/default.yaml; copy one over the other")
	}
}

func mustParse(t testing.TB, yaml string) *Engine {
	t.Helper()
	e, err := Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return e
}

func TestLoadMissingFileGivesDefault(t *testing.T) {
	e, err := Load(filepath.Join(t.TempDir(), "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Digest() != Default().Digest() {
		t.Fatalf("digest %s, want the default's %s", e.Digest(), Default().Digest())
	}
	// policy.d beside a missing policy.yaml still applies, over the default.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, CustomDir, "no-delete.cedar"), "forbid (principal, action == Action::\"delete\", resource);\n")
	e, err = Load(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	d := e.Decide(qguard.Request{User: "root", Role: "admin", Resource: "qpu_large", Action: "delete"})
	if want := filepath.Join(dir, CustomDir, "no-delete.cedar") + ":1"; d.Allowed || d.Policy != want || d.Reason != "denied by policy "+want {
		t.Fatalf("Decide = %+v, want denied by %s", d, want)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCustomCedar(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "policy.yaml"), string(defaultYAML)+"cedar: [extra.cedar]\n")
	// A named file: bob may also use qpu_large, whatever his role.
	writeFile(t, filepath.Join(dir, "extra.cedar"), `
@id("bob-large")
@reason("bob runs the large-device pilot")
permit (principal == User::"bob", action == Action::"execute", resource == ResourceClass::"qpu_large")
when { context.shots <= 100 };
`)
	// policy.d: nobody writes training data of project "clinical".
	writeFile(t, filepath.Join(dir, CustomDir, "clinical.cedar"), `
@reason("project clinical's training data is read-only")
@constraint("project")
forbid (principal, action == Action::"write", resource == ResourceClass::"training_data")
when { context.project == "clinical" };
`)
	writeFile(t, filepath.Join(dir, CustomDir, "ignored.txt"), "not cedar")
	e, err := Load(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := e.Summary(); len(sum.Files) != 3 || sum.Permissions != 11 || sum.CustomPolicies != 2 {
		t.Fatalf("Summary() = %+v, want the YAML and two Cedar files, 11 permissions, 2 custom policies", sum)
	}
	extra := filepath.Join(dir, "extra.cedar")
	clinical := filepath.Join(dir, CustomDir, "clinical.cedar")
	tests := []struct {
		req  qguard.Request
		want qguard.Decision
	}{
		{qguard.Request{User: "bob", Role: "researcher", Resource: "qpu_large", Action: "execute", Shots: 100},
			qguard.Decision{Allowed: true, Policy: "bob-large",
				Reason: "bob runs the large-device pilot (policy bob-large, " + extra + ":2)"}},
		{qguard.Request{User: "bob", Role: "researcher", Resource: "qpu_large", Action: "execute", Shots: 101},
			qguard.Decision{Reason: "role researcher has no permission on qpu_large"}},
		{qguard.Request{User: "carol", Role: "researcher", Resource: "qpu_large", Action: "execute", Shots: 100},
			qguard.Decision{Reason: "role researcher has no permission on qpu_large"}},
		{qguard.Request{User: "dan", Role: "developer", Project: "clinical", Resource: "training_data", Action: "write", Classification: "public"},
			qguard.Decision{Policy: clinical + ":2", Constraint: "project",
				Reason: "project clinical's training data is read-only (policy " + clinical + ":2)"}},
		{qguard.Request{User: "dan", Role: "developer", Project: "other", Resource: "training_data", Action: "write", Classification: "public"},
			qguard.Decision{Allowed: true, Policy: "developer/training_data",
				Reason: "role developer may write on training_data: public data (allowed: public, internal or confidential)"}},
	}
	for _, tt := range tests {
		if got := e.Decide(tt.req); got != tt.want {
			t.Errorf("Decide(%+v)\n got %+v\nwant %+v", tt.req, got, tt.want)
		}
	}
	if e.Digest() == Default().Digest() {
		t.Error("custom files do not change the digest")
	}
}

// TestLoadErrors checks that every kind of mistake is reported with the
// file and line it is on.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		files      map[string]string
		want       []string // substrings, one per expected error, in order
	}{
		{"syntax", "roles:\n  a: [\n", nil, []string{"policy.yaml:2: invalid YAML: did not find expected node content"}},
		{"empty", "", nil, []string{"policy.yaml: empty policy file"}},
		{"no roles", "version: 1\n", nil, []string{"policy.yaml:1:1: the policy defines no roles"}},
		{"version", "version: 2\nroles: {}\n", nil, []string{"policy.yaml:1:10: version must be 1"}},
		{"unknown top key", "roles: {}\nrole: {}\n", nil, []string{`policy.yaml:2:1: policy: unknown key "role"`}},
		{"bad role name", "roles:\n  \"bad role\": {}\n", nil, []string{`policy.yaml:2:3: role name "bad role"`}},
		{"duplicate role", "roles:\n  a: {}\n  a: {}\n", nil, []string{`policy.yaml:3:3: roles: "a" is given twice`}},
		{"permissions not list", "roles:\n  a:\n    permissions: x\n", nil, []string{"policy.yaml:3:18: role a: permissions must be a list"}},
		{"unknown resource", "roles:\n  a:\n    permissions:\n      - resource: mainframe\n        actions: [read]\n", nil,
			[]string{`policy.yaml:4:19: role a permission: unknown resource class "mainframe"`}},
		{"unknown action and duplicate", "roles:\n  a:\n    permissions:\n      - resource: simulator\n        actions: [read, fly, read]\n", nil,
			[]string{`policy.yaml:5:25: role a permission: unknown action "fly"`, `policy.yaml:5:30: role a permission: action "read" is listed twice`}},
		{"missing fields", "roles:\n  a:\n    permissions:\n      - constraints: {}\n", nil,
			[]string{"policy.yaml:4:9: role a permission: missing 'resource'", "policy.yaml:4:9: role a permission: missing 'actions'"}},
		{"empty actions", "roles:\n  a:\n    permissions:\n      - {resource: simulator, actions: []}\n", nil,
			[]string{"policy.yaml:4:40: role a permission: actions is empty"}},
		{"bad limits", "roles:\n  a:\n    permissions:\n      - resource: simulator\n        actions: [execute]\n        constraints:\n          max_shots: -1\n          max_qubits: 2.5\n          max_cost_per_day: lots\n          data_classification: [public, secret]\n          max_depth: 3\n", nil,
			[]string{"policy.yaml:7:22: role a permission: max_shots must be a whole number",
				"policy.yaml:8:23: role a permission: max_qubits must be a whole number",
				"policy.yaml:9:29: role a permission: max_cost_per_day must be an amount",
				`policy.yaml:10:41: role a permission: unknown data classification "secret"`,
				`policy.yaml:11:11: role a permission: constraints: unknown key "max_depth"`}},
		{"empty classification", "roles:\n  a:\n    permissions:\n      - {resource: training_data, actions: [read], constraints: {data_classification: []}}\n", nil,
			[]string{"policy.yaml:4:87: role a permission: data_classification is empty"}},
		{"alias", "roles:\n  a:\n    permissions:\n      - &p {resource: simulator, actions: [read]}\n      - *p\n", nil,
			[]string{"policy.yaml:5:9: YAML aliases (*p) are not supported in a policy"}},
		{"two documents", "roles: {}\n---\nroles: {}\n", nil, []string{"policy.yaml:2:1: a policy file holds one YAML document"}},
		{"missing cedar file", "roles: {}\ncedar: [nope.cedar]\n", nil, []string{"policy.yaml:2:9: cedar file nope.cedar: no such file or directory"}},
		{"bad cedar", "roles: {}\n", map[string]string{"policy.d/bad.cedar": "permit(principal, action, resource);\n\nforbid(principal, action, resource) when { context.x <= };\n"},
			[]string{"policy.d/bad.cedar:3:58: invalid Cedar"}},
		{"cedar schema", "roles: {}\n", map[string]string{"policy.d/typos.cedar": `@id("typo")
forbid (principal, action, resource)
when { context.shot > 100 };

forbid (principal == User::"bob", action == Action::"launch", resource);

permit (principal == Role::"admin", action, resource);

forbid (principal, action, resource) when { context.project == 3 };
`},
			[]string{"policy.d/typos.cedar:1:1: policy typo: attribute `shot` in context not found",
				"policy.d/typos.cedar:5:1: unrecognized action `Action::\"launch\"`",
				"policy.d/typos.cedar:5:1: unable to find an applicable action given the policy scope constraints",
				"policy.d/typos.cedar:7:1: unable to find an applicable action given the policy scope constraints",
				"policy.d/typos.cedar:9:1: the types Long and String are not compatible"}},
		{"duplicate cedar id", "roles:\n  a:\n    permissions:\n      - {resource: simulator, actions: [read]}\n",
			map[string]string{"policy.d/dup.cedar": "@id(\"a/simulator\")\npermit(principal, action, resource);\n"},
			[]string{`policy.d/dup.cedar:1:1: policy id "a/simulator" is already used`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "policy.yaml")
			writeFile(t, path, tt.yaml)
			for name, data := range tt.files {
				writeFile(t, filepath.Join(dir, name), data)
			}
			_, err := Load(path)
			list, ok := err.(ErrorList)
			if !ok {
				t.Fatalf("Load: %v (%T), want an ErrorList", err, err)
			}
			if len(list) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(list), len(tt.want), list)
			}
			for i, want := range tt.want {
				got := strings.ReplaceAll(list[i].Error(), dir+string(filepath.Separator), "")
				if !strings.HasPrefix(got, want) {
					t.Errorf("error %d = %q, want prefix %q", i, got, want)
				}
			}
		})
	}
}

func TestLoadTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	writeFile(t, path, "roles: {}\n#"+strings.Repeat("x", maxFileSize))
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Load of an oversized file: %v", err)
	}
}

func TestWorldWritableRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.yaml")
	writeFile(t, path, string(defaultYAML))
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "chmod o-w") {
		t.Fatalf("Load of a world-writable policy: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	cedarFile := filepath.Join(dir, CustomDir, "a.cedar")
	writeFile(t, cedarFile, "permit (principal, action, resource);\n")
	if err := os.Chmod(cedarFile, 0o646); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "writable by every user") {
		t.Fatalf("Load with a world-writable Cedar file: %v", err)
	}
}

func TestUnreadableFile(t *testing.T) {
	dir := t.TempDir() // a directory where the file should be
	if _, err := Load(dir); err == nil {
		t.Fatal("Load of a directory succeeded")
	}
}

// A role with no permissions exists (users may hold it) but may do nothing.
func TestEmptyRole(t *testing.T) {
	e := mustParse(t, "roles:\n  guest:\n  viewer: {permissions: []}\n")
	for _, role := range []string{"guest", "viewer"} {
		d := e.Decide(qguard.Request{Role: role, Resource: "simulator", Action: "read"})
		if d.Allowed || d.Reason != "role "+role+" has no permission on simulator" {
			t.Errorf("%s: %+v", role, d)
		}
	}
	if !slices.Equal(e.Roles(), []string{"guest", "viewer"}) {
		t.Errorf("Roles() = %v", e.Roles())
	}
}

func TestConcurrentDecide(t *testing.T) {
	e := Default()
	cases := defaultCases()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(cases); i += 3 {
				c := cases[i]
				if d := e.Decide(c.req); d.Allowed != c.allowed {
					t.Errorf("%s: %+v", c.name, d)
				}
			}
		}()
	}
	wg.Wait()
}

func TestUSD(t *testing.T) {
	for v, want := range map[float64]string{10: "$10.00", 10.5: "$10.50", 0.125: "$0.125", 10.000001: "$10.000001", 0: "$0.00"} {
		if got := usd(v); got != want {
			t.Errorf("usd(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestLabPolicy(t *testing.T) {
	e, err := Load("testdata/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		req        qguard.Request
		allowed    bool
		policy     string
		constraint string
	}{
		{qguard.Request{Role: "student", Resource: "simulator", Action: "execute", Shots: 2000, Qubits: 12}, true, "student/simulator", ""},
		{qguard.Request{Role: "student", Resource: "simulator", Action: "execute", Shots: 2000, Qubits: 13}, false, "student/simulator", "max_qubits"},
		{qguard.Request{Role: "staff", Resource: "qpu_large", Action: "read"}, true, "staff/*", ""},
		{qguard.Request{Role: "staff", Resource: "qpu_small", Action: "execute", CostToday: 25.5}, true, "staff/qpu_small", ""},
		{qguard.Request{Role: "staff", Resource: "qpu_small", Action: "execute", CostToday: 25.51}, false, "staff/qpu_small", "max_cost_per_day"},
		{qguard.Request{Role: "staff", Resource: "qpu_medium", Action: "execute", Shots: 4000, CostToday: 200}, true, "staff/qpu_medium", ""},
		{qguard.Request{Role: "staff", Resource: "training_data", Action: "delete", Classification: "confidential"}, true, "staff/training_data", ""},
		{qguard.Request{Role: "staff", Resource: "training_data", Action: "delete", Classification: "restricted"}, false, "staff-restricted-read-only", "data_classification"},
		{qguard.Request{Role: "staff", Resource: "training_data", Action: "read", Classification: "restricted"}, true, "staff/*", ""},
		{qguard.Request{Role: "pilot", Resource: "qpu_large", Action: "execute", Shots: 100, Qubits: 127, CostToday: 1000}, false, "pilot-hours", "project"},
		{qguard.Request{Role: "pilot", Project: "p1", Resource: "qpu_large", Action: "execute", Shots: 100, Qubits: 127, CostToday: 1000}, true, "pilot/qpu_large", ""},
		{qguard.Request{Role: "guest", Resource: "simulator", Action: "read"}, false, "", ""},
	}
	for _, tt := range tests {
		d := e.Decide(tt.req)
		if d.Allowed != tt.allowed || d.Policy != tt.policy || d.Constraint != tt.constraint {
			t.Errorf("Decide(%+v) = %+v, want allowed=%v policy=%q constraint=%q", tt.req, d, tt.allowed, tt.policy, tt.constraint)
		}
	}
	if got := e.Limits("staff", "qpu_medium"); got.MaxCostPerDay != 200 || got.MaxShots != 4000 {
		t.Errorf("Limits(staff, qpu_medium) = %+v", got)
	}
}
