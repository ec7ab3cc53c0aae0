package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Policy configures authorization.
type Policy struct {
	// File is the policy file (policy.yaml), relative to the home unless
	// absolute. Custom Cedar policies go in policy.d/*.cedar beside it. When
	// the file does not exist, the built-in default policy applies.
	File string `yaml:"file"`
}

func defaultPolicy() Policy { return Policy{File: "policy.yaml"} }

func (c *Policy) validate() error {
	if strings.TrimSpace(c.File) == "" {
		return fmt.Errorf("policy.file must name the policy file, for example policy.yaml")
	}
	return nil
}

// Path returns the policy file's path for a qguard home.
func (c *Policy) Path(home string) string {
	if filepath.IsAbs(c.File) {
		return c.File
	}
	return filepath.Join(home, c.File)
}
