package config

import "time"

// Providers configures the quantum clouds.
type Providers struct {
	// Enabled lists the providers to use besides the local simulator.
	Enabled        []string      `yaml:"enabled"`
	DeviceCacheTTL time.Duration `yaml:"device_cache_ttl"`
	RequestTimeout time.Duration `yaml:"request_timeout"`
}

func defaultProviders() Providers {
	return Providers{DeviceCacheTTL: 5 * time.Minute, RequestTimeout: 30 * time.Second}
}

func (c *Providers) validate() error { return nil }
