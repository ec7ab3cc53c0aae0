package rules_test

import (
	"strings"
	"testing"

	"github.com/qguard/qguard/auth"
	"github.com/qguard/qguard/monitor/rules"
)

// TestFindsRealQguardKeys checks the rule against keys made by the auth
// package itself, and that a key's displayed hint is not a finding.
func TestFindsRealQguardKeys(t *testing.T) {
	s := rules.Builtin()
	for i := 0; i < 200; i++ {
		key, err := auth.NewAPIKey()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range []string{"Authorization: Bearer " + key, `{"msg":"retry","token":"` + key + `"}`, "export QGUARD_TOKEN=" + key} {
			fs := s.ScanLine([]byte(line), "", 1)
			if len(fs) != 1 || fs[0].Rule != "qguard-api-key" || line[fs[0].Column-1:fs[0].End-1] != key {
				t.Fatalf("%q: %+v", line, fs)
			}
		}
		hint := key[:len(auth.KeyPrefix)+6]
		if fs := s.ScanLine([]byte("key "+hint+"… revoked"), "", 1); len(fs) != 0 || !strings.HasPrefix(hint, "qg_") {
			t.Fatalf("hint %q flagged: %+v", hint, fs)
		}
	}
}
