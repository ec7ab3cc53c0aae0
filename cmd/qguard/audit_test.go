package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
)

// TestAuditVerifyExitCodes checks the exit-code contract of audit verify,
// which testscript's "!" cannot tell apart: 0 intact, 1 tampered, 2 error.
func TestAuditVerifyExitCodes(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	t.Setenv("QGUARD_HOME", home)
	t.Setenv("HOME", t.TempDir())
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = devnull, devnull
	defer func() { os.Stdout, os.Stderr = stdout, stderr }()

	for _, args := range [][]string{{"init", "--key-source", "file"}, {"audit", "note", "one"}, {"audit", "note", "two"}} {
		if code := run(args); code != exitOK {
			t.Fatalf("qguard %v: exit %d", args, code)
		}
	}
	if code := run([]string{"audit", "verify"}); code != exitOK {
		t.Fatalf("untouched log: exit %d, want 0", code)
	}
	if code := run([]string{"audit", "verify", "--key", filepath.Join(home, "missing.pub")}); code != exitFailure {
		t.Errorf("missing key file: exit %d, want 2", code)
	}
	db, err := sql.Open("sqlite", filepath.Join(home, "qguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE audit_log SET reason = 'ONE' WHERE idx = 0"); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"audit", "verify"}); code != exitDenied {
		t.Errorf("tampered log: exit %d, want 1", code)
	}
}
