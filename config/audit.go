package config

import (
	"errors"
	"fmt"
	"time"
)

// Audit configures the audit log.
type Audit struct {
	// CheckpointEvery signs a checkpoint after this many records…
	CheckpointEvery int `yaml:"checkpoint_every"`
	// …or this long after the last one, whichever comes first.
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
	// SecretDetails lists detail keys whose values are HMAC-ed before they
	// are stored, in addition to keys written with a "secret:" prefix.
	SecretDetails []string `yaml:"secret_details"`
}

func defaultAudit() Audit {
	return Audit{
		CheckpointEvery:    1000,
		CheckpointInterval: time.Minute,
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
	return errors.Join(errs...)
}
