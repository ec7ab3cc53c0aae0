package config

// Monitor configures the security monitor and alerts.
type Monitor struct {
	// Rules is an optional gitleaks-format TOML file of extra rules.
	Rules string `yaml:"rules"`
}

func defaultMonitor() Monitor { return Monitor{} }

func (c *Monitor) validate() error { return nil }
