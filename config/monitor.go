package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// Monitor configures the security monitor and alerts.
type Monitor struct {
	// Rules is an optional gitleaks-format TOML file of extra rules. As in
	// gitleaks it replaces the built-in rules unless it says
	// [extend] useDefault = true.
	Rules string `yaml:"rules"`
	// DedupWindow: an event with the same key (type, subject, rule) as one
	// stored within this window is not stored or alerted again.
	DedupWindow time.Duration `yaml:"dedup_window"`
	// FingerprintKey keys the hash that identifies a leaked secret in
	// findings and events (default: a public constant). Set it, from the
	// environment, so that a fingerprint cannot confirm a guessed password.
	FingerprintKey Secret `yaml:"fingerprint_key"`
	// MaxTracked bounds the users and addresses the detectors keep state
	// for, so that hostile log input cannot exhaust memory.
	MaxTracked int `yaml:"max_tracked"`

	AuthFailures      AuthFailureDetector       `yaml:"auth_failures"`
	UnusualUsage      UnusualUsageDetector      `yaml:"unusual_usage"`
	Cost              CostDetector              `yaml:"cost"`
	SuspiciousCircuit SuspiciousCircuitDetector `yaml:"suspicious_circuit"`
	Alerts            Alerts                    `yaml:"alerts"`
}

// AuthFailureDetector fires when one user or address fails to
// authenticate Threshold times within Window.
type AuthFailureDetector struct {
	Threshold int           `yaml:"threshold"`
	Window    time.Duration `yaml:"window"`
}

// UnusualUsageDetector fires when a user's job count in Window exceeds
// Factor times the user's average per Window over the trailing Baseline,
// and is at least MinJobs.
type UnusualUsageDetector struct {
	Factor   float64       `yaml:"factor"`
	Window   time.Duration `yaml:"window"`
	Baseline time.Duration `yaml:"baseline"`
	MinJobs  int           `yaml:"min_jobs"`
}

// CostDetector fires when projected spend for the UTC day exceeds
// DailyLimitUSD (all users) or UserDailyLimitUSD (one user; 0 disables).
// The projection is the larger of today's spend and the last hour's
// spend × 24.
type CostDetector struct {
	DailyLimitUSD     float64 `yaml:"daily_limit_usd"`
	UserDailyLimitUSD float64 `yaml:"user_daily_limit_usd"`
}

// SuspiciousCircuitDetector describes circuit patterns worth an event.
type SuspiciousCircuitDetector struct {
	// SweepJobs near-identical circuits (same structure, different
	// parameters) from one user within SweepWindow: a parameter sweep that
	// can extract a model or characterise a device.
	SweepJobs   int           `yaml:"sweep_jobs"`
	SweepWindow time.Duration `yaml:"sweep_window"`
	// TinyJobs circuits of at most TinyMaxQubits qubits and TinyMaxGates
	// gates within TinyWindow: device fingerprinting.
	TinyJobs      int           `yaml:"tiny_jobs"`
	TinyWindow    time.Duration `yaml:"tiny_window"`
	TinyMaxQubits int           `yaml:"tiny_max_qubits"`
	TinyMaxGates  int           `yaml:"tiny_max_gates"`
	// Patterns are regular expressions (case-insensitive) matched against
	// log messages.
	Patterns []string `yaml:"patterns"`
}

// Alerts configures alert delivery. Secrets (webhook URLs, the signing
// secret, the SMTP password) belong in the environment: write ${VAR}.
type Alerts struct {
	// MinSeverity is the lowest event severity that is alerted.
	MinSeverity string `yaml:"min_severity"`
	// QueueSize bounds each channel's queue; events beyond it are dropped
	// and counted (qguard_alerts_total{result="dropped"}).
	QueueSize int `yaml:"queue_size"`
	// GroupWait collects events of one type and severity into one message.
	GroupWait time.Duration `yaml:"group_wait"`
	// RatePerHour limits messages per channel; Burst is the bucket size.
	RatePerHour int `yaml:"rate_per_hour"`
	Burst       int `yaml:"burst"`
	// Retries after a failed delivery, with exponential back-off from
	// Backoff, and the timeout of one attempt.
	Retries int           `yaml:"retries"`
	Backoff time.Duration `yaml:"backoff"`
	Timeout time.Duration `yaml:"timeout"`

	Slack   SlackAlerts   `yaml:"slack"`
	Webhook WebhookAlerts `yaml:"webhook"`
	Email   EmailAlerts   `yaml:"email"`
}

// SlackAlerts posts to a Slack incoming webhook.
type SlackAlerts struct {
	WebhookURL Secret `yaml:"webhook_url"`
}

// WebhookAlerts posts JSON signed with HMAC-SHA256 (see docs/monitor.md).
type WebhookAlerts struct {
	URL    Secret `yaml:"url"`
	Secret Secret `yaml:"secret"`
}

// EmailAlerts sends mail through an SMTP relay with STARTTLS.
type EmailAlerts struct {
	Host     string   `yaml:"host"`
	Port     int      `yaml:"port"`
	Username string   `yaml:"username"`
	Password Secret   `yaml:"password"`
	From     string   `yaml:"from"`
	To       []string `yaml:"to"`
	// TLS is "starttls" (required; the default), "tls" (implicit TLS, port
	// 465) or "none" (only for a relay on loopback).
	TLS string `yaml:"tls"`
	// CAFile is a PEM bundle to trust instead of the system roots.
	CAFile string `yaml:"ca_file"`
}

// Secret is a configuration string that is never marshalled back out.
type Secret string

// MarshalYAML hides the value.
func (s Secret) MarshalYAML() (any, error) {
	if s == "" {
		return "", nil
	}
	return "(set)", nil
}

func defaultMonitor() Monitor {
	return Monitor{
		DedupWindow:  15 * time.Minute,
		MaxTracked:   100000,
		AuthFailures: AuthFailureDetector{Threshold: 5, Window: 5 * time.Minute},
		UnusualUsage: UnusualUsageDetector{Factor: 3, Window: time.Hour, Baseline: 7 * 24 * time.Hour, MinJobs: 10},
		Cost:         CostDetector{DailyLimitUSD: 1000},
		SuspiciousCircuit: SuspiciousCircuitDetector{
			SweepJobs: 20, SweepWindow: 10 * time.Minute,
			TinyJobs: 30, TinyWindow: 5 * time.Minute, TinyMaxQubits: 2, TinyMaxGates: 4,
			Patterns: []string{
				`circuit.*parameter.*extraction`, `reverse.*engineer.*(quantum|circuit)`,
				`parameter.*dump`, `circuit.*analysis.*unauthori[sz]ed`,
			},
		},
		Alerts: Alerts{
			MinSeverity: "high", QueueSize: 1024, GroupWait: 10 * time.Second,
			RatePerHour: 60, Burst: 10, Retries: 4, Backoff: time.Second, Timeout: 10 * time.Second,
			Email: EmailAlerts{Port: 587, TLS: "starttls"},
		},
	}
}

func (c *Monitor) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("monitor: "+format, args...)) }
	if c.DedupWindow < 0 {
		bad("dedup_window must not be negative")
	}
	if c.MaxTracked < 1 {
		bad("max_tracked must be at least 1")
	}
	if c.AuthFailures.Threshold < 1 || c.AuthFailures.Window <= 0 {
		bad("auth_failures needs threshold >= 1 and a positive window")
	}
	u := c.UnusualUsage
	if u.Factor <= 1 || u.Window <= 0 || u.Baseline < u.Window || u.MinJobs < 1 {
		bad("unusual_usage needs factor > 1, a positive window, baseline >= window and min_jobs >= 1")
	}
	if c.Cost.DailyLimitUSD < 0 || c.Cost.UserDailyLimitUSD < 0 {
		bad("cost limits must not be negative (0 disables)")
	}
	s := c.SuspiciousCircuit
	if s.SweepJobs < 2 || s.SweepWindow <= 0 || s.TinyJobs < 2 || s.TinyWindow <= 0 {
		bad("suspicious_circuit needs sweep_jobs and tiny_jobs >= 2 and positive windows")
	}
	for _, p := range s.Patterns {
		if _, err := regexp.Compile("(?i)" + p); err != nil {
			bad("suspicious_circuit pattern %q: %v", p, err)
		}
	}
	a := c.Alerts
	switch a.MinSeverity {
	case "low", "medium", "high", "critical":
	default:
		bad("alerts.min_severity must be low, medium, high or critical, not %q", a.MinSeverity)
	}
	if a.QueueSize < 1 || a.RatePerHour < 1 || a.Burst < 1 || a.Retries < 0 || a.Backoff <= 0 || a.Timeout <= 0 || a.GroupWait < 0 {
		bad("alerts needs queue_size, rate_per_hour and burst >= 1, retries >= 0, positive backoff and timeout")
	}
	for name, v := range map[string]Secret{"alerts.slack.webhook_url": a.Slack.WebhookURL, "alerts.webhook.url": a.Webhook.URL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(string(v)); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("%s is not an http(s) URL", name) // the value may be secret: not echoed
		}
	}
	if a.Webhook.URL != "" && len(a.Webhook.Secret) < 16 {
		bad("alerts.webhook.secret must be set (at least 16 characters) to sign webhook alerts")
	}
	e := a.Email
	if e.Host != "" {
		if e.From == "" || len(e.To) == 0 {
			bad("alerts.email needs from and to")
		}
		if e.Port < 1 || e.Port > 65535 {
			bad("alerts.email.port %d is out of range", e.Port)
		}
		switch e.TLS {
		case "starttls", "tls", "none":
		default:
			bad("alerts.email.tls must be starttls, tls or none, not %q", e.TLS)
		}
		if e.Username != "" && e.Password == "" {
			bad("alerts.email.password is empty: set it with ${VAR}")
		}
	}
	return errors.Join(errs...)
}
