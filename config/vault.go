package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
)

// Vault configures the credential vault.
type Vault struct {
	// KeySource keeps the vault identity: keyring (OS keyring), passphrase
	// (identity.age, age scrypt; QGUARD_PASSPHRASE or a prompt) or file
	// (identity, 0600, development only). `qguard init` writes it.
	KeySource string `yaml:"key_source"`
	// RotationDays is the age past which `creds list` warns that a credential should be rotated.
	RotationDays int `yaml:"rotation_days"`
	// KeyringTimeout bounds every OS keyring call.
	KeyringTimeout time.Duration `yaml:"keyring_timeout"`
}

func defaultVault() Vault {
	return Vault{KeySource: "file", RotationDays: 90, KeyringTimeout: 3 * time.Second}
}

func (c *Vault) validate() error {
	var errs []error
	switch c.KeySource {
	case "keyring", "passphrase", "file":
	default:
		errs = append(errs, fmt.Errorf("vault.key_source must be keyring, passphrase or file, not %q", c.KeySource))
	}
	if c.RotationDays < 0 {
		errs = append(errs, fmt.Errorf("vault.rotation_days must not be negative"))
	}
	if c.KeyringTimeout <= 0 || c.KeyringTimeout > 5*time.Minute {
		errs = append(errs, fmt.Errorf("vault.keyring_timeout must be between 1ns and 5m, for example 3s"))
	}
	return errors.Join(errs...)
}

// SetVaultKeySource sets vault.key_source in the config file at path,
// creating the file if needed and keeping its other settings and comments.
func SetVaultKeySource(path, source string) error {
	var doc yaml.Node
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read config: %w", err)
	}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: the top level is not a mapping", path)
	}
	vault := mappingValue(root, "vault")
	if vault.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: vault is not a mapping", path)
	}
	ks := mappingValue(vault, "key_source")
	ks.Kind, ks.Tag, ks.Value = yaml.ScalarNode, "!!str", source
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	return writeFileAtomic(path, out.Bytes())
}

// mappingValue returns the value node of key in m, adding an empty mapping
// when the key is absent.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	v := &yaml.Node{Kind: yaml.MappingNode}
	m.Content = append(m.Content, k, v)
	return v
}

func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".config.yaml.tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o600); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
