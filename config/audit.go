package config

import "time"

// Audit configures the audit log.
type Audit struct {
	// CheckpointEvery signs a checkpoint after this many records…
	CheckpointEvery int `yaml:"checkpoint_every"`
	// …or this long after the last one, whichever comes first.
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
}

func defaultAudit() Audit { return Audit{CheckpointEvery: 1000, CheckpointInterval: time.Minute} }

func (c *Audit) validate() error { return nil }
