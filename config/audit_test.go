package config

import (
	"strings"
	"testing"
	"time"
)

func TestAuditConfig(t *testing.T) {
	cfg := Default()
	if err := Parse([]byte("audit:\n  checkpoint_every: 50\n  checkpoint_interval: 30s\n  secret_details: [x_token]\n"), cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Audit.CheckpointEvery != 50 || cfg.Audit.CheckpointInterval != 30*time.Second || len(cfg.Audit.SecretDetails) != 1 {
		t.Errorf("audit = %+v", cfg.Audit)
	}
	for yaml, want := range map[string]string{
		"audit:\n  checkpoint_every: 0\n":       "audit.checkpoint_every must be at least 1",
		"audit:\n  checkpoint_interval: 10ms\n": "audit.checkpoint_interval must be at least 1s",
	} {
		err := Parse([]byte(yaml), Default())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", yaml, err, want)
		}
	}
}
