// Package corpus finds the real inputs that tests run on: the QASMBench
// circuits in the project's shared/corpora folder, which sits beside the
// checkout (and beside CI's clone) rather than inside it.
package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// QASMBench returns the QASMBench folder (with small/ and medium/).
// QGUARD_QASMBENCH overrides the search. When the corpus cannot be found
// the test is skipped, except in CI (CI set), where it fails: a missing
// corpus must not pass silently there.
func QASMBench(tb testing.TB) string {
	tb.Helper()
	if dir := os.Getenv("QGUARD_QASMBENCH"); dir != "" {
		return dir
	}
	if dir, ok := find(filepath.Join("shared", "corpora", "qasmbench")); ok {
		return dir
	}
	if os.Getenv("CI") != "" {
		tb.Fatal("QASMBench corpus not found: expected shared/corpora/qasmbench beside the checkout, or set QGUARD_QASMBENCH")
	}
	tb.Skip("QASMBench corpus not found beside the checkout (shared/corpora/qasmbench); set QGUARD_QASMBENCH to run")
	return ""
}

// find looks for rel under each ancestor of the working directory.
func find(rel string) (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		p := filepath.Join(dir, rel)
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
