package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/policy"
	"github.com/qguard/qguard/sim"
)

var (
	roles   = []string{qguard.RoleResearcher, qguard.RoleDeveloper, qguard.RoleAdmin, qguard.RoleAuditor}
	classes = []string{qguard.ClassificationPublic, qguard.ClassificationInternal, qguard.ClassificationConfidential, qguard.ClassificationRestricted}
)

// allowed is the default policy's answer for training_data, written out by
// hand from policy/default.yaml so that the test checks the wiring, not
// the policy engine against itself.
var allowed = map[string]map[string][]string{ // action → role → classifications
	"read": {
		qguard.RoleResearcher: {"public", "internal"},
		qguard.RoleDeveloper:  {"public", "internal", "confidential"},
		qguard.RoleAdmin:      classes,
		qguard.RoleAuditor:    classes,
	},
	"write": {
		qguard.RoleDeveloper: {"public", "internal", "confidential"},
		qguard.RoleAdmin:     classes,
	},
	"delete": {qguard.RoleAdmin: classes},
}

func isAllowed(action, role, class string) bool {
	for _, c := range allowed[action][role] {
		if c == class {
			return true
		}
	}
	return false
}

type blobJSON struct {
	ID             string `json:"id"`
	Classification string `json:"classification"`
	SHA256         string `json:"sha256"`
	Size           int64  `json:"size"`
	Owner          string `json:"owner"`
}

func (e *protectEnv) upload(role, name, class string, data []byte) (int, blobJSON) {
	e.t.Helper()
	status, body := e.do(role, "POST", "/v1/datasets?name="+url.QueryEscape(name)+"&classification="+class, data)
	var b blobJSON
	if status == http.StatusCreated {
		if err := json.Unmarshal(body, &b); err != nil {
			e.t.Fatal(err)
		}
	}
	return status, b
}

// expectAudit asserts that exactly one record was appended since from,
// with the action, actor and decision given.
func (e *protectEnv) expectAudit(from int64, action, role string, allow bool) {
	e.t.Helper()
	recs := e.auditFrom(from)
	want := qguard.DecisionDeny
	if allow {
		want = qguard.DecisionAllow
	}
	if len(recs) != 1 || recs[0].Action != action || recs[0].Actor != role+"-user" || recs[0].Decision != want {
		e.t.Fatalf("audit after %s by %s: %+v, want one %s %s", action, role, recs, action, want)
	}
}

func TestDatasetClassificationMatrix(t *testing.T) {
	env := newProtectEnv(t, policy.Default())
	data := map[string][]byte{}
	ids := map[string]string{}
	for _, class := range classes {
		data[class] = []byte("x,y\n1," + class + "\n")
		status, b := env.upload(qguard.RoleAdmin, class+".csv", class, data[class])
		if status != http.StatusCreated || b.Size != int64(len(data[class])) || b.Classification != class || b.Owner != "admin-user" {
			t.Fatalf("admin upload %s: %d %+v", class, status, b)
		}
		ids[class] = b.ID
	}
	for _, role := range roles {
		for _, class := range classes {
			t.Run(role+"/"+class, func(t *testing.T) {
				env.t = t
				// write
				from := env.auditSize()
				status, _ := env.upload(role, "new.csv", class, []byte("1,2\n"))
				want := http.StatusForbidden
				if isAllowed("write", role, class) {
					want = http.StatusCreated
				}
				if status != want {
					t.Errorf("upload: %d, want %d", status, want)
				}
				env.expectAudit(from, "dataset.upload", role, want == http.StatusCreated)

				// read
				from = env.auditSize()
				status, body := env.do(role, "GET", "/v1/datasets/"+ids[class], nil)
				want = http.StatusForbidden
				if isAllowed("read", role, class) {
					want = http.StatusOK
				}
				if status != want {
					t.Errorf("download: %d, want %d", status, want)
				}
				if status == http.StatusOK && !bytes.Equal(body, data[class]) {
					t.Errorf("download: %q, want %q", body, data[class])
				}
				if status == http.StatusForbidden && bytes.Contains(body, data[class]) {
					t.Errorf("a refusal carries the data")
				}
				env.expectAudit(from, "dataset.download", role, want == http.StatusOK)

				// delete, on a fresh dataset
				_, fresh := env.upload(qguard.RoleAdmin, "victim.csv", class, []byte("v"))
				from = env.auditSize()
				status, _ = env.do(role, "DELETE", "/v1/datasets/"+fresh.ID, nil)
				want = http.StatusForbidden
				if isAllowed("delete", role, class) {
					want = http.StatusNoContent
				}
				if status != want {
					t.Errorf("delete: %d, want %d", status, want)
				}
				env.expectAudit(from, "dataset.delete", role, want == http.StatusNoContent)
				status, _ = env.do(qguard.RoleAdmin, "GET", "/v1/datasets/"+fresh.ID, nil)
				if deleted := status == http.StatusNotFound; deleted != (want == http.StatusNoContent) {
					t.Errorf("after delete: admin GET %d", status)
				}
			})
		}
	}
	env.t = t

	// list shows a role the classifications it may read
	for _, role := range roles {
		status, body := env.do(role, "GET", "/v1/datasets", nil)
		var got struct{ Datasets []blobJSON }
		if status != http.StatusOK || json.Unmarshal(body, &got) != nil {
			t.Fatalf("list as %s: %d %s", role, status, body)
		}
		seen := map[string]bool{}
		for _, b := range got.Datasets {
			seen[b.Classification] = true
			if !isAllowed("read", role, b.Classification) {
				t.Errorf("list as %s shows %s", role, b.Classification)
			}
		}
		for _, c := range allowed["read"][role] {
			if !seen[c] {
				t.Errorf("list as %s misses %s", role, c)
			}
		}
	}
}

func TestDatasetBadRequests(t *testing.T) {
	env := newProtectEnv(t, policy.Default())
	for name, tc := range map[string]struct {
		path string
		body []byte
		want int
	}{
		"bad classification": {"/v1/datasets?name=a&classification=secret", []byte("x"), http.StatusBadRequest},
		"no name":            {"/v1/datasets?classification=public", []byte("x"), http.StatusBadRequest},
		"slash in name":      {"/v1/datasets?name=a/b&classification=public", []byte("x"), http.StatusBadRequest},
		"too large":          {"/v1/datasets?name=a&classification=public", make([]byte, 2<<20), http.StatusRequestEntityTooLarge},
	} {
		if status, body := env.do(qguard.RoleAdmin, "POST", tc.path, tc.body); status != tc.want {
			t.Errorf("%s: %d %s, want %d", name, status, body, tc.want)
		}
	}
	if status, _ := env.do(qguard.RoleAdmin, "GET", "/v1/datasets/ds_missing", nil); status != http.StatusNotFound {
		t.Errorf("missing id: %d", status)
	}
	req, _ := http.NewRequest("GET", env.url+"/v1/datasets", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %v %v", resp.StatusCode, err)
	}

	// A sealed blob that does not open (tampered in the store) is an
	// internal error, never data.
	_, b := env.upload(qguard.RoleAdmin, "t.csv", "public", []byte("secret row"))
	stored, err := env.db.GetBlob(t.Context(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored.ID = "ds_tampered"
	stored.Sealed[len(stored.Sealed)-1] ^= 1
	if err := env.db.PutBlob(t.Context(), stored); err != nil {
		t.Fatal(err)
	}
	status, body := env.do(qguard.RoleAdmin, "GET", "/v1/datasets/ds_tampered", nil)
	if status != http.StatusInternalServerError || bytes.Contains(body, []byte("secret")) {
		t.Errorf("tampered: %d %s", status, body)
	}
	// A library id is not a dataset.
	if status, _ := env.do(qguard.RoleAdmin, "GET", "/v1/library/"+b.ID, nil); status != http.StatusNotFound {
		t.Errorf("dataset id under /v1/library: %d", status)
	}
}

const libraryQASM = `OPENQASM 3.0;
include "stdgates.inc";
input float theta;
qubit[2] q;
bit[2] c;
rx(theta) q[0];
cx q[0], q[1];
c = measure q;
`

// jobJSON is JobResponse as a client reads it.
type jobJSON struct {
	ID         string         `json:"id"`
	Status     string         `json:"status"`
	Obfuscated bool           `json:"obfuscated"`
	Result     *qguard.Result `json:"result"`
}

func TestLibraryMatrix(t *testing.T) {
	env := newProtectEnv(t, policy.Default())
	var lib struct {
		ID     string   `json:"id"`
		Inputs []string `json:"inputs"`
		QASM   string   `json:"qasm"`
	}
	for _, role := range roles {
		from := env.auditSize()
		status, body := env.doJSON(role, "POST", "/v1/library", LibraryUpload{Name: "bell-rx", QASM: libraryQASM, Classification: "confidential"})
		want := map[string]int{qguard.RoleResearcher: 403, qguard.RoleDeveloper: 201, qguard.RoleAdmin: 201, qguard.RoleAuditor: 403}[role]
		if status != want {
			t.Fatalf("upload as %s: %d %s, want %d", role, status, body, want)
		}
		env.expectAudit(from, "library.upload", role, status == 201)
		if status == 201 && role == qguard.RoleDeveloper {
			json.Unmarshal(body, &lib)
			if lib.QASM != "" || len(lib.Inputs) != 1 || lib.Inputs[0] != "theta" {
				t.Fatalf("upload answer %s", body)
			}
		}
	}
	if status, body := env.doJSON(qguard.RoleDeveloper, "POST", "/v1/library", LibraryUpload{Name: "bad", QASM: "OPENQASM 3.0; qubit[1] q; nosuchgate q[0];"}); status != 400 {
		t.Fatalf("invalid circuit: %d %s", status, body)
	}

	for _, role := range roles {
		// Every default role may read the library.
		from := env.auditSize()
		status, body := env.do(role, "GET", "/v1/library/"+lib.ID, nil)
		if status != 200 || !strings.Contains(string(body), "rx(theta)") {
			t.Fatalf("read as %s: %d %s", role, status, body)
		}
		env.expectAudit(from, "library.read", role, true)

		// Roles that may execute on the simulator run it by reference.
		from = env.auditSize()
		status, body = env.doJSON(role, "POST", "/v1/library/"+lib.ID+"/run", LibraryRun{Device: "local:statevector", Shots: 100, Inputs: map[string]float64{"theta": math.Pi}})
		want := 201
		if role == qguard.RoleAuditor {
			want = 403
		}
		if status != want {
			t.Fatalf("run as %s: %d %s, want %d", role, status, body, want)
		}
		if bytes.Contains(body, []byte("theta")) || bytes.Contains(body, []byte("OPENQASM")) {
			t.Fatalf("run answer carries the source: %s", body)
		}
		recs := env.auditFrom(from)
		if len(recs) < 2 || recs[0].Action != "library.run" || recs[1].Action != "job.submit" {
			t.Fatalf("run audit: %+v", recs)
		}
		if want == 201 {
			var job jobJSON
			if err := json.Unmarshal(body, &job); err != nil || job.Result == nil || job.Result.Counts["11"] != 100 {
				t.Fatalf("run result: %s", body)
			}
		}
	}

	// Unbound input: the error does not quote the source.
	status, body := env.doJSON(qguard.RoleResearcher, "POST", "/v1/library/"+lib.ID+"/run", LibraryRun{Device: "local:statevector", Shots: 10})
	if status != 400 || bytes.Contains(body, []byte("theta")) {
		t.Fatalf("unbound input: %d %s", status, body)
	}

	// Only admins delete.
	for _, role := range roles {
		status, _ := env.do(role, "DELETE", "/v1/library/"+lib.ID, nil)
		want := 403
		if role == qguard.RoleAdmin {
			want = 204
		}
		if status != want {
			t.Fatalf("delete as %s: %d, want %d", role, status, want)
		}
		if want == 204 {
			break
		}
	}
}

// An execute-only role runs library circuits without reading them.
func TestLibraryExecuteOnly(t *testing.T) {
	pol, err := policy.Parse("execute-only.yaml", []byte(`version: 1
roles:
  researcher:
    permissions:
      - resource: simulator
        actions: [execute]
  developer:
    permissions:
      - resource: algorithm_library
        actions: [read, write]
  admin:
    permissions:
      - resource: "*"
        actions: [read, write, execute, delete]
  auditor:
    permissions:
      - resource: "*"
        actions: [read]
`))
	if err != nil {
		t.Fatal(err)
	}
	env := newProtectEnv(t, pol)
	status, body := env.doJSON(qguard.RoleDeveloper, "POST", "/v1/library", LibraryUpload{Name: "secret-ansatz", QASM: libraryQASM})
	var lib struct{ ID string }
	if status != 201 || json.Unmarshal(body, &lib) != nil {
		t.Fatalf("upload: %d %s", status, body)
	}
	if status, _ := env.do(qguard.RoleResearcher, "GET", "/v1/library/"+lib.ID, nil); status != 403 {
		t.Fatalf("execute-only read: %d, want 403", status)
	}
	status, body = env.do(qguard.RoleResearcher, "GET", "/v1/library", nil)
	if status != 200 || !bytes.Contains(body, []byte(lib.ID)) || bytes.Contains(body, []byte("rx(")) {
		t.Fatalf("execute-only list: %d %s", status, body)
	}
	status, body = env.doJSON(qguard.RoleResearcher, "POST", "/v1/library/"+lib.ID+"/run", LibraryRun{Device: "local:statevector", Shots: 50, Inputs: map[string]float64{"theta": 0}})
	var job jobJSON
	if status != 201 || json.Unmarshal(body, &job) != nil || job.Result.Counts["00"] != 50 {
		t.Fatalf("execute-only run: %d %s", status, body)
	}
	// The developer may read but not execute.
	if status, _ := env.doJSON(qguard.RoleDeveloper, "POST", "/v1/library/"+lib.ID+"/run", LibraryRun{Device: "local:statevector", Shots: 5, Inputs: map[string]float64{"theta": 0}}); status != 403 {
		t.Fatalf("developer run: %d, want 403", status)
	}
}

func TestObfuscateProgram(t *testing.T) {
	env := newProtectEnv(t, policy.Default())
	s := env.srv
	src := []byte(`OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[3];
h q[0];
cx q[0],q[1];
ry(0.7) q[2];
ccx q[0],q[2],q[1];
measure q -> c;
`)
	prog, err := s.parse(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := sim.Distribution(prog.Circuit)
	if err != nil {
		t.Fatal(err)
	}
	job := &qguard.Job{ID: "job_obf"}
	if err := s.obfuscateProgram(prog, job); err != nil {
		t.Fatal(err)
	}
	if !job.Obfuscated || len(job.SealedKey) == 0 || prog.Original == nil || bytes.Equal(prog.Source, src) {
		t.Fatalf("job %+v, program not replaced", job)
	}
	if bytes.Contains(job.SealedKey, []byte("perm")) {
		t.Fatal("the key is stored in the clear")
	}
	got, err := sim.Distribution(prog.Circuit)
	if err != nil {
		t.Fatal(err)
	}
	r := &qguard.Result{Probabilities: got}
	if err := s.restoreResult(job, r); err != nil {
		t.Fatal(err)
	}
	for k, p := range want {
		if math.Abs(r.Probabilities[k]-p) > 1e-9 {
			t.Fatalf("outcome %s: %g, want %g (%v)", k, r.Probabilities[k], p, r.Probabilities)
		}
	}
	res, err := sim.Run(context.Background(), prog.Circuit, sim.Options{Shots: 1000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.restoreResult(job, res); err != nil {
		t.Fatal(err)
	}
	for k, n := range res.Counts {
		if want[k] == 0 {
			t.Fatalf("restored outcome %s (%d shots) is impossible in the original", k, n)
		}
	}

	// A key opened under another job's place, or tampered, is refused.
	other := &qguard.Job{ID: "job_other", Obfuscated: true, SealedKey: job.SealedKey}
	if err := s.restoreResult(other, &qguard.Result{Counts: map[string]int{"000": 1}}); err == nil {
		t.Fatal("key opened under another job")
	}
	mid, _ := s.parse([]byte("OPENQASM 2.0; include \"qelib1.inc\"; qreg q[1]; creg c[1]; measure q[0] -> c[0]; x q[0];"), nil)
	if err := s.obfuscateProgram(mid, &qguard.Job{ID: "job_mid"}); qguard.ErrorCode(err) != qguard.EINVALIDCIRCUIT {
		t.Fatalf("mid-circuit: %v", err)
	}
}

// Through POST /v1/jobs: the user sees the original circuit's counts.
func TestSubmitObfuscated(t *testing.T) {
	env := newProtectEnv(t, policy.Default())
	src := "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\ncreg c[3];\nx q[0];\nx q[2];\ncx q[2],q[1];\nh q[0];\nh q[0];\nmeasure q -> c;\n"
	status, body := env.doJSON(qguard.RoleResearcher, "POST", "/v1/jobs", SubmitRequest{Device: "local:statevector", Shots: 64, QASM: src, Obfuscate: true})
	var job jobJSON
	if status != 201 || json.Unmarshal(body, &job) != nil || job.Result == nil {
		t.Fatalf("submit: %d %s", status, body)
	}
	if !job.Obfuscated {
		t.Fatal("the job was not obfuscated")
	}
	if len(job.Result.Counts) != 1 || job.Result.Counts["111"] != 64 {
		t.Fatalf("restored counts %v, want map[111:64]", job.Result.Counts)
	}
}
