package alert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/qguard/qguard/config"
	mail "github.com/wneessen/go-mail"
)

// Email sends alerts through an SMTP relay with go-mail.
type Email struct {
	cfg     config.EmailAlerts
	timeout time.Duration
	tls     *tls.Config
}

// NewEmail checks cfg and loads its CA bundle.
func NewEmail(cfg config.EmailAlerts, timeout time.Duration) (*Email, error) {
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("alerts.email.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("alerts.email.ca_file holds no PEM certificate")
		}
		tc.RootCAs = pool
	}
	return &Email{cfg: cfg, timeout: timeout, tls: tc}, nil
}

// Name implements Sender.
func (e *Email) Name() string { return "email" }

// Send implements Sender.
func (e *Email) Send(ctx context.Context, a *Alert) error {
	m := mail.NewMsg()
	if err := m.From(e.cfg.From); err != nil {
		return &Permanent{Err: fmt.Errorf("email from: %w", err)}
	}
	if err := m.To(e.cfg.To...); err != nil {
		return &Permanent{Err: fmt.Errorf("email to: %w", err)}
	}
	m.Subject(a.Title)
	m.SetBodyString(mail.TypeTextPlain, Text(a))

	opts := []mail.Option{mail.WithPort(e.cfg.Port), mail.WithTimeout(e.timeout), mail.WithTLSConfig(e.tls)}
	switch e.cfg.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if e.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(e.cfg.Username), mail.WithPassword(string(e.cfg.Password)))
	}
	c, err := mail.NewClient(e.cfg.Host, opts...)
	if err != nil {
		return &Permanent{Err: fmt.Errorf("email client: %w", err)}
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("email: %w", err)
	}
	return nil
}
