package config

// Policy configures authorization.
type Policy struct {
	// File is the policy file, relative to the home.
	File string `yaml:"file"`
}

func defaultPolicy() Policy { return Policy{File: "policy.yaml"} }

func (c *Policy) validate() error { return nil }
