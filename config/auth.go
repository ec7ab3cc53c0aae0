package config

import "time"

// Auth configures API keys, sessions and lockout.
type Auth struct {
	SessionTTL    time.Duration `yaml:"session_ttl"`
	MaxSessionTTL time.Duration `yaml:"max_session_ttl"`
	// LockoutFailures failures within LockoutWindow lock a key, user or address out.
	LockoutFailures int           `yaml:"lockout_failures"`
	LockoutWindow   time.Duration `yaml:"lockout_window"`
	// ClockSkew is how far replicas' clocks may disagree; it is not added to session lifetimes.
	ClockSkew time.Duration `yaml:"clock_skew"`
}

func defaultAuth() Auth {
	return Auth{SessionTTL: 8 * time.Hour, MaxSessionTTL: 24 * time.Hour, LockoutFailures: 5, LockoutWindow: 10 * time.Minute, ClockSkew: 5 * time.Second}
}

func (c *Auth) validate() error { return nil }
