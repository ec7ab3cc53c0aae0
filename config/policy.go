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
	// RequireObfuscation lists projects whose circuits are always obfuscated
	// before a cloud provider sees them, whether or not the user asks
	// (the local simulator is trusted and runs them as written).
	RequireObfuscation []string `yaml:"require_obfuscation"`
}

// ObfuscationRequired reports whether project's circuits must be obfuscated.
func (c *Policy) ObfuscationRequired(project string) bool {
	for _, p := range c.RequireObfuscation {
		if p == project && project != "" {
			return true
		}
	}
	return false
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
