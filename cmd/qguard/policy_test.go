package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/sqlite"
)

// policyCheck runs `qguard policy check` in process and returns stdout,
// stderr and the exit code.
func policyCheck(t *testing.T, home string, args ...string) (string, string, int) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"--home", home, "policy", "check"}, args...))
	err := root.ExecuteContext(context.Background())
	code := exitOK
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case err != nil:
		code = exitFailure
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), code
}

// TestPolicyCheckLooksUpUser: without --role, the user's role and project
// come from the store.
func TestPolicyCheckLooksUpUser(t *testing.T) {
	home := t.TempDir()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(home, "qguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []*qguard.User{
		{Name: "alice", Role: qguard.RoleResearcher, Project: "clinical"},
		{Name: "dev", Role: qguard.RoleDeveloper},
		{Name: "gone", Role: qguard.RoleAdmin, Disabled: true},
	} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	tests := []struct {
		args   []string
		code   int
		stdout string // prefix
		stderr string // substring
	}{
		{[]string{"alice", "simulator", "execute", "--shots", "10000", "--qubits", "20"}, exitOK, "allowed: role researcher may execute on simulator", ""},
		{[]string{"alice", "simulator", "execute", "--shots", "10001"}, exitDenied, "denied: max_shots: 10001 shots requested, role researcher", ""},
		{[]string{"dev", "simulator", "execute", "--shots", "10001"}, exitOK, "allowed: role developer", ""},
		{[]string{"alice", "simulator", "write", "--role", "developer"}, exitOK, "allowed: role developer may write", ""},
		{[]string{"gone", "qpu_large", "delete"}, exitOK, "allowed: role admin", "user gone is disabled"},
		{[]string{"nobody", "simulator", "read"}, exitFailure, "", `no user "nobody"`},
	}
	for _, tt := range tests {
		out, errOut, code := policyCheck(t, home, tt.args...)
		if code != tt.code || !strings.HasPrefix(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("policy check %v: exit %d, stdout %q, stderr %q; want exit %d, stdout %q…, stderr …%q…",
				tt.args, code, out, errOut, tt.code, tt.stdout, tt.stderr)
		}
	}

	// The project from the store reaches custom Cedar policies.
	writePolicyFile(t, filepath.Join(home, "policy.d", "clinical.cedar"), `@reason("clinical data stays on the simulator")
forbid (principal, action == Action::"execute", resource == ResourceClass::"qpu_small") when { context.project == "clinical" };
`)
	out, _, code := policyCheck(t, home, "alice", "qpu_small", "execute", "--shots", "10", "--json")
	var d qguard.Decision
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if code != exitDenied || d.Allowed || !strings.HasPrefix(d.Reason, "clinical data stays on the simulator") {
		t.Fatalf("exit %d, decision %+v; want denied by the clinical policy", code, d)
	}
	if _, _, code := policyCheck(t, home, "alice", "qpu_small", "execute", "--shots", "10", "--project", "other"); code != exitOK {
		t.Fatalf("--project other: exit %d, want 0", code)
	}
}

func writePolicyFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
