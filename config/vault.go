package config

import "time"

// Vault configures the credential vault.
type Vault struct {
	KeySource string `yaml:"key_source"` // keyring, passphrase or file
	// RotationDays is the age past which `creds list` warns that a credential should be rotated.
	RotationDays int `yaml:"rotation_days"`
	// KeyringTimeout bounds every OS keyring call.
	KeyringTimeout time.Duration `yaml:"keyring_timeout"`
}

func defaultVault() Vault {
	return Vault{KeySource: "file", RotationDays: 90, KeyringTimeout: 3 * time.Second}
}

func (c *Vault) validate() error { return nil }
