package monitor

import (
	"log/slog"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/metrics"
	"github.com/qguard/qguard/monitor/alert"
)

// Setup builds a Monitor with the alert channels cfg.Alerts configures,
// failing (unlike New) when the rules file or an alert channel is
// misconfigured. Call (*alert.Dispatcher).Close on shutdown to deliver what
// is queued. m and log may be nil; clock nil means time.Now.
func Setup(cfg config.Monitor, store qguard.EventStore, m *metrics.Metrics, log *slog.Logger, clock qguard.Clock) (*Monitor, *alert.Dispatcher, error) {
	set, err := LoadRules(cfg)
	if err != nil {
		return nil, nil, err
	}
	disp, err := alert.New(alert.Options{Config: cfg.Alerts, Metrics: m, Redact: set.RedactString, Log: log})
	if err != nil {
		return nil, nil, err
	}
	mon := New(cfg, store, disp, m, clock)
	mon.rules = set // already loaded; New loaded it again only to report errors
	return mon, disp, nil
}
