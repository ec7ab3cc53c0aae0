package config

import (
	"strings"
	"testing"
	"time"
)

func TestMonitorConfig(t *testing.T) {
	t.Setenv("TEST_SLACK_URL", "https://hooks.slack.com/services/T000/B000/secretpart")
	t.Setenv("TEST_SMTP_PASSWORD", "smtp-secret-value")
	cfg := Default()
	err := Parse([]byte(`
monitor:
  dedup_window: 30m
  auth_failures: {threshold: 3, window: 2m}
  alerts:
    slack: {webhook_url: "${TEST_SLACK_URL}"}
    email: {host: smtp.example.org, username: u, password: "${TEST_SMTP_PASSWORD}", from: a@example.org, to: [b@example.org]}
`), cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Monitor
	if m.DedupWindow != 30*time.Minute || m.AuthFailures.Threshold != 3 || m.AuthFailures.Window != 2*time.Minute || m.UnusualUsage.Factor != 3 {
		t.Errorf("monitor %+v", m)
	}
	if string(m.Alerts.Slack.WebhookURL) != "https://hooks.slack.com/services/T000/B000/secretpart" || m.Alerts.Email.Port != 587 {
		t.Errorf("alerts %+v", m.Alerts)
	}
	out, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "secretpart") || strings.Contains(string(out), "smtp-secret-value") {
		t.Errorf("Marshal reveals secrets:\n%s", out)
	}
}

func TestMonitorConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"monitor: {auth_failures: {threshold: 0}}", "auth_failures"},
		{"monitor: {unusual_usage: {factor: 1}}", "unusual_usage"},
		{"monitor: {suspicious_circuit: {patterns: ['(']}}", "pattern"},
		{"monitor: {alerts: {min_severity: loud}}", "min_severity"},
		{"monitor: {alerts: {webhook: {url: 'https://example.org/hook'}}}", "webhook.secret"},
		{"monitor: {alerts: {slack: {webhook_url: 'not a url'}}}", "slack.webhook_url is not"},
		{"monitor: {alerts: {email: {host: h, from: a@b.c, to: [d@e.f], tls: maybe}}}", "email.tls"},
		{"monitor: {alerts: {email: {host: h, from: a@b.c, to: [d@e.f], username: u}}}", "password is empty"},
		{"monitor: {cost: {daily_limit_usd: -1}}", "cost limits"},
	} {
		err := Parse([]byte(tc.yaml), Default())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
