// Package config reads qguard's config.yaml: one YAML file with documented
// defaults, in which ${VAR} is replaced by the environment variable VAR so
// that secrets can stay out of the file.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// FileName is the name of the configuration file in the qguard home.
const FileName = "config.yaml"

// Config is the whole configuration. Each section is defined in its own
// file beside this one.
type Config struct {
	Vault     Vault     `yaml:"vault"`
	Server    Server    `yaml:"server"`
	Store     Store     `yaml:"store"`
	Auth      Auth      `yaml:"auth"`
	Audit     Audit     `yaml:"audit"`
	Policy    Policy    `yaml:"policy"`
	Simulator Simulator `yaml:"simulator"`
	Providers Providers `yaml:"providers"`
	Monitor   Monitor   `yaml:"monitor"`
	Costs     Costs     `yaml:"costs"`
}

// Default returns the configuration used when config.yaml says nothing.
func Default() *Config {
	return &Config{
		Vault:     defaultVault(),
		Server:    defaultServer(),
		Store:     defaultStore(),
		Auth:      defaultAuth(),
		Audit:     defaultAudit(),
		Policy:    defaultPolicy(),
		Simulator: defaultSimulator(),
		Providers: defaultProviders(),
		Monitor:   defaultMonitor(),
		Costs:     defaultCosts(),
	}
}

// Load reads path over the defaults. A missing file gives the defaults.
func Load(path string) (*Config, error) {
	cfg := Default()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if err := Parse(data, cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML data over cfg after expanding ${VAR} references.
// Unknown keys are errors, so that a misspelt setting is not silently
// ignored.
//
// References are expanded in scalar values only, after the YAML is parsed:
// comments may mention ${VAR} freely, and a variable's value can never add
// keys or structure to the configuration.
func Parse(data []byte, cfg *Config) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return err
	}
	if root.Kind == 0 {
		return cfg.Validate() // an empty file
	}
	var missing []string
	expandNode(&root, &missing)
	if len(missing) > 0 {
		return fmt.Errorf("config refers to unset environment variables: %s", strings.Join(missing, ", "))
	}
	expanded, err := yaml.Marshal(&root)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return cfg.Validate()
}

// expandNode replaces ${VAR} in every scalar value below n with the value
// of VAR. A reference to an unset variable is collected as missing rather
// than read as empty: an empty secret or address would fail later with a
// less helpful message. $$ is a literal $.
func expandNode(n *yaml.Node, missing *[]string) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "$") {
		n.Value = os.Expand(n.Value, func(name string) string {
			if name == "$" {
				return "$"
			}
			v, ok := os.LookupEnv(name)
			if !ok {
				*missing = append(*missing, name)
			}
			return v
		})
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			// An unquoted reference reads like a literal in its place
			// (port: ${SMTP_PORT} is a number), but stays one scalar.
			n.Tag = ""
			if strings.ContainsAny(n.Value, "\n:#{}[],&*!|>'\"%@`") {
				n.Style = yaml.DoubleQuotedStyle
				n.Tag = "!!str"
			}
		}
	}
	for _, c := range n.Content {
		expandNode(c, missing)
	}
}

// Validate checks settings that YAML types cannot.
func (c *Config) Validate() error {
	var errs []error
	for _, v := range []interface{ validate() error }{&c.Vault, &c.Server, &c.Store, &c.Auth, &c.Audit, &c.Policy, &c.Simulator, &c.Providers, &c.Monitor, &c.Costs} {
		if err := v.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Marshal returns cfg as YAML.
func (c *Config) Marshal() ([]byte, error) { return yaml.Marshal(c) }
