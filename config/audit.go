package config

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Audit configures the audit log.
type Audit struct {
	// CheckpointEvery signs a checkpoint after this many records…
	CheckpointEvery int `yaml:"checkpoint_every"`
	// …or this long after the last one, whichever comes first.
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
	// KeyName names the checkpoint signing key in the signed notes
	// (note.Signer name: no spaces, no '+').
	KeyName string `yaml:"key_name"`
	// SecretDetails lists detail keys whose values are HMAC-ed before they
	// are stored, in addition to keys written with a "secret:" prefix.
	SecretDetails []string `yaml:"secret_details"`
}

func defaultAudit() Audit {
	return Audit{
		CheckpointEvery:    1000,
		CheckpointInterval: time.Minute,
		KeyName:            "qguard-audit",
		SecretDetails:      []string{"api_key", "token", "session_token", "password", "secret", "authorization"},
	}
}

func (c *Audit) validate() error {
	var errs []error
	if c.CheckpointEvery < 1 {
		errs = append(errs, fmt.Errorf("audit.checkpoint_every must be at least 1, not %d", c.CheckpointEvery))
	}
	if c.CheckpointInterval < time.Second {
		errs = append(errs, fmt.Errorf("audit.checkpoint_interval must be at least 1s, not %s", c.CheckpointInterval))
	}
	if c.KeyName == "" || strings.ContainsAny(c.KeyName, "+ \t\n") {
		errs = append(errs, fmt.Errorf("audit.key_name %q must be non-empty, without spaces or '+'", c.KeyName))
	}
	return errors.Join(errs...)
}
