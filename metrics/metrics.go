// Package metrics defines qguard's Prometheus metrics. The names are a
// contract: deploy/prometheus rules and the Grafana dashboard use them, and
// a test checks that every metric they query is defined here.
package metrics

import "github.com/prometheus/client_golang/prometheus"

// Metrics holds every collector the gateway exports.
type Metrics struct {
	Registry *prometheus.Registry

	HTTPRequests    *prometheus.CounterVec   // route, code
	HTTPDuration    *prometheus.HistogramVec // route
	AuthAttempts    *prometheus.CounterVec   // result: success, failure, locked, expired
	PolicyDecisions *prometheus.CounterVec   // result: allow, deny; resource
	Jobs            *prometheus.CounterVec   // provider, device, outcome
	JobDuration     *prometheus.HistogramVec // provider
	CostUSD         *prometheus.CounterVec   // provider
	BudgetRemaining *prometheus.GaugeVec     // project
	AuditAppend     prometheus.Histogram
	AuditSize       prometheus.Gauge
	SecurityEvents  *prometheus.CounterVec // type, severity
	Alerts          *prometheus.CounterVec // channel, result: sent, failed, dropped
	ProviderCalls   *prometheus.CounterVec // provider, result: ok, error, retry
}

// New registers every collector on a fresh registry, with the Go and
// process collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qguard_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "qguard_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"route"}),
		AuthAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qguard_auth_attempts_total", Help: "Authentication attempts by result (success, failure, locked, expired).",
		}, []string{"result"}),
		PolicyDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qguard_policy_decisions_total", Help: "Policy decisions by result (allow, deny) and resource class.",
		}, []string{"result", "resource"}),
		Jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qguard_jobs_total", Help: "Jobs by provider, device and outcome (submitted, completed, failed, cancelled, denied).",
		}, []string{"provider", "device", "outcome"}),
		JobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "qguard_job_duration_seconds", Help: "Time from submission to a final state, by provider.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12),
		}, []string{"provider"}),
		CostUSD: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qguard_cost_usd_total", Help: "Settled job cost in US dollars by provider.",
		}, []string{"provider"}),
		BudgetRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "qguard_budget_remaining_usd", Help: "Daily budget left today by project, in US dollars.",
		}, []string{"project"}),
		AuditAppend: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "qguard_audit_append_seconds", Help: "Latency of appending one audit record.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 4, 10),
		}),
		AuditSize: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "qguard_audit_records", Help: "Records in the audit log.",
		}),
		SecurityEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qguard_security_events_total", Help: "Security events by type and severity.",
		}, []string{"type", "severity"}),
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qguard_alerts_total", Help: "Alert deliveries by channel and result (sent, failed, dropped).",
		}, []string{"channel", "result"}),
		ProviderCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qguard_provider_calls_total", Help: "Outbound provider API calls by provider and result (ok, error, retry).",
		}, []string{"provider", "result"}),
	}
	r.MustRegister(m.HTTPRequests, m.HTTPDuration, m.AuthAttempts, m.PolicyDecisions, m.Jobs, m.JobDuration,
		m.CostUSD, m.BudgetRemaining, m.AuditAppend, m.AuditSize, m.SecurityEvents, m.Alerts, m.ProviderCalls,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}
