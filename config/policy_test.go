package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicyPath(t *testing.T) {
	home := filepath.FromSlash("/srv/qguard")
	if got, want := Default().Policy.Path(home), filepath.Join(home, "policy.yaml"); got != want {
		t.Errorf("default Path = %q, want %q", got, want)
	}
	abs := filepath.FromSlash("/etc/qguard/policy.yaml")
	if got := (&Policy{File: abs}).Path(home); got != abs {
		t.Errorf("absolute Path = %q, want %q", got, abs)
	}
	cfg := Default()
	if err := Parse([]byte("policy:\n  file: \"\"\n"), cfg); err == nil || !strings.Contains(err.Error(), "policy.file") {
		t.Errorf("empty policy.file: %v", err)
	}
}
