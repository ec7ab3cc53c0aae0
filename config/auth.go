package config

import (
	"errors"
	"fmt"
	"time"
)

// Auth configures API keys, sessions and lockout.
type Auth struct {
	// SessionTTL is the lifetime of a session when the client asks for none.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// MaxSessionTTL caps the lifetime a client may ask for.
	MaxSessionTTL time.Duration `yaml:"max_session_ttl"`
	// LockoutFailures failures within LockoutWindow lock a key, user or address out.
	LockoutFailures int           `yaml:"lockout_failures"`
	LockoutWindow   time.Duration `yaml:"lockout_window"`
	// LockoutMaxBackoff caps the lockout, which doubles with every further
	// failure (10m, 20m, 40m, … with the defaults).
	LockoutMaxBackoff time.Duration `yaml:"lockout_max_backoff"`
	// ClockSkew is how far replicas' clocks may disagree; it is not added to session lifetimes.
	ClockSkew time.Duration `yaml:"clock_skew"`
}

func defaultAuth() Auth {
	return Auth{
		SessionTTL: 8 * time.Hour, MaxSessionTTL: 24 * time.Hour,
		LockoutFailures: 5, LockoutWindow: 10 * time.Minute, LockoutMaxBackoff: 24 * time.Hour,
		ClockSkew: 5 * time.Second,
	}
}

func (c *Auth) validate() error {
	var errs []error
	if c.SessionTTL <= 0 {
		errs = append(errs, fmt.Errorf("auth.session_ttl must be positive, not %s", c.SessionTTL))
	}
	if c.MaxSessionTTL < c.SessionTTL {
		errs = append(errs, fmt.Errorf("auth.max_session_ttl (%s) must be at least auth.session_ttl (%s)", c.MaxSessionTTL, c.SessionTTL))
	}
	if c.LockoutFailures < 1 {
		errs = append(errs, fmt.Errorf("auth.lockout_failures must be at least 1, not %d", c.LockoutFailures))
	}
	if c.LockoutWindow <= 0 {
		errs = append(errs, fmt.Errorf("auth.lockout_window must be positive, not %s", c.LockoutWindow))
	}
	if c.LockoutMaxBackoff < c.LockoutWindow {
		errs = append(errs, fmt.Errorf("auth.lockout_max_backoff (%s) must be at least auth.lockout_window (%s)", c.LockoutMaxBackoff, c.LockoutWindow))
	}
	if c.ClockSkew < 0 || c.ClockSkew > time.Minute {
		errs = append(errs, fmt.Errorf("auth.clock_skew must be between 0 and 1m, not %s", c.ClockSkew))
	}
	return errors.Join(errs...)
}
