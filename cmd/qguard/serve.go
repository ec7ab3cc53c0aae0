package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/auth"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/cost"
	"github.com/qguard/qguard/gateway"
	"github.com/qguard/qguard/metrics"
	"github.com/qguard/qguard/monitor"
	"github.com/qguard/qguard/monitor/alert"
	"github.com/qguard/qguard/policy"
	"github.com/qguard/qguard/provider"
	"github.com/qguard/qguard/provider/braket"
	"github.com/qguard/qguard/provider/ibm"
	"github.com/qguard/qguard/provider/ionq"
	"github.com/qguard/qguard/provider/local"
	"github.com/qguard/qguard/seal"
	"github.com/qguard/qguard/vault"
	"github.com/spf13/cobra"
)

func init() { register(newServeCmd) }

func newServeCmd(a *app) *cobra.Command {
	var addr, certFile, keyFile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway",
		Long: `Serve runs the HTTP gateway. On an empty home it first initialises it with the defaults
(vault, config, SQLite store, default policy), creates the user "admin" and prints its API key once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if os.Getenv("GOGC") == "" {
				// The gateway's live heap is small (tens of MB) and its
				// garbage per request large: collecting less often buys
				// about 10 % more submissions per second for little memory.
				debug.SetGCPercent(400)
			}
			g, err := a.openGateway(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer g.Close()
			if addr == "" {
				addr = g.cfg.Server.Addr
			}
			if certFile == "" {
				certFile, keyFile = g.cfg.Server.TLSCert, g.cfg.Server.TLSKey
			}
			var tlsCfg *tls.Config
			if certFile != "" || keyFile != "" {
				cert, err := tls.LoadX509KeyPair(certFile, keyFile)
				if err != nil {
					return fmt.Errorf("load TLS certificate: %w", err)
				}
				tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
			}
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			scheme := "http"
			if tlsCfg != nil {
				scheme = "https"
			} else if !isLoopback(l.Addr()) {
				a.log.Warn("listening beyond loopback without TLS: API keys and session tokens cross the network in clear; use --tls-cert and --tls-key or a TLS-terminating proxy", "addr", l.Addr().String())
			}
			fmt.Fprintf(cmd.OutOrStdout(), "qguard: listening on %s://%s\n", scheme, l.Addr())
			a.log.Info("gateway started", "addr", l.Addr().String(), "home", a.home, "store", g.storeKind)
			return g.server.Serve(ctx, l, tlsCfg)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "listen address (default from config, 127.0.0.1:8080)")
	cmd.Flags().StringVar(&certFile, "tls-cert", "", "TLS certificate file (PEM)")
	cmd.Flags().StringVar(&keyFile, "tls-key", "", "TLS private key file (PEM)")
	return cmd
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// gatewayParts is a gateway with everything it was built from.
type gatewayParts struct {
	cfg       *config.Config
	vault     *vault.Vault
	store     qguard.Store
	storeKind string
	audit     *audit.Log
	server    *gateway.Server
	stopAudit context.CancelFunc
	alerts    *alert.Dispatcher
}

// Close stops background work and closes the store.
func (g *gatewayParts) Close() error {
	g.stopAudit()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := g.audit.Close(ctx)
	g.alerts.Close(ctx)
	return errors.Join(err, g.store.Close())
}

// openGateway builds the gateway from the home, initialising an empty home
// first (and printing the bootstrap admin key to out).
func (a *app) openGateway(ctx context.Context, out, errOut io.Writer) (*gatewayParts, error) {
	fresh := !vault.Exists(a.home)
	if fresh {
		a.log.Info("empty home: initialising", "home", a.home)
		err := vault.Init(a.home, vault.InitOptions{Warn: func(msg string) { fmt.Fprintln(errOut, msg) }})
		if err != nil {
			return nil, fmt.Errorf("initialise %s: %w", a.home, err)
		}
	}
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	if fresh {
		if err := writeDefaultPolicy(cfg.Policy.Path(a.home)); err != nil {
			return nil, err
		}
	}
	v, err := vault.Open(ctx, a.home, cfg.Vault)
	if err != nil {
		return nil, err
	}
	pol, err := policy.Load(cfg.Policy.Path(a.home))
	if err != nil {
		return nil, err
	}
	store, kind, err := a.openStoreKind(ctx)
	if err != nil {
		return nil, err
	}
	if a.hooks.wrapStore != nil {
		store = a.hooks.wrapStore(store)
	}
	g := &gatewayParts{cfg: cfg, vault: v, store: store, storeKind: kind}
	ok := false
	defer func() {
		if !ok {
			store.Close()
		}
	}()

	alog, err := a.openAuditLog(ctx, v, store)
	if err != nil {
		return nil, err
	}
	auditCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	go alog.Run(auditCtx)
	g.audit, g.stopAudit = alog, stop

	sealKey, err := v.InternalKey(ctx, "store-seal")
	if err != nil {
		return nil, err
	}
	sealer, err := seal.New(sealKey)
	if err != nil {
		return nil, err
	}
	authn := auth.New(store, cfg.Auth, a.now)
	m := metrics.New()
	prices := cost.FromConfig(cfg.Costs)
	providers := []qguard.Provider{local.New(cfg.Simulator.MaxQubits, cfg.Simulator.MaxShots, prices.Price(qguard.Device{ID: "local:statevector", Provider: "local"}))}
	providers = append(providers, cloudProviders(cfg.Providers, v, auditCalls(alog, a.log), a.log)...)
	providers = append(providers, a.hooks.providers...)
	registry := provider.NewRegistry(cfg.Providers.DeviceCacheTTL, prices.Price, a.log, providers...)

	mon, alerts, err := monitor.Setup(cfg.Monitor, store, m, a.log, a.now)
	if err != nil {
		return nil, err
	}
	g.alerts = alerts

	srv, err := gateway.New(gateway.Deps{
		Monitor: mon,
		Config:  cfg, Store: store, Auth: authn, Policy: pol, Audit: alog, Devices: registry,
		Sealer: sealer, Metrics: m, Log: a.log, Clock: a.now,
		AuditReport: func(r *http.Request, since time.Time) (any, error) {
			return audit.Summarize(r.Context(), store, store, since, a.now())
		},
		Estimate: func(d qguard.Device, shots int, p *gateway.Program) float64 {
			return prices.Estimate(d, shots, cost.FromCircuit(p.Metrics))
		},
		Actual: func(d qguard.Device, res *qguard.Result) float64 {
			return prices.Actual(d, cost.Metrics{}, res)
		},
	})
	if err != nil {
		return nil, err
	}
	g.server = srv

	if fresh {
		if err := bootstrapAdmin(ctx, authn, alog, out); err != nil {
			return nil, err
		}
	}
	// The policy in force is part of the record: its digest changes with
	// every edit of policy.yaml or policy.d/.
	if _, err := alog.Append(ctx, qguard.AuditRecord{
		Time: a.now(), Actor: "system", Action: "policy.load", Resource: "policy",
		Decision: qguard.DecisionInfo, Details: map[string]string{"digest": pol.Digest()},
	}); err != nil {
		return nil, err
	}
	ok = true
	return g, nil
}

// bootstrapAdmin creates the first admin and prints its key once.
func bootstrapAdmin(ctx context.Context, authn *auth.Service, alog *audit.Log, out io.Writer) error {
	u, key, err := authn.CreateUser(ctx, "admin", qguard.RoleAdmin, "")
	if err != nil {
		return fmt.Errorf("create the admin user: %w", err)
	}
	if _, err := alog.Append(ctx, qguard.AuditRecord{
		Time: time.Now(), Actor: "system", Action: "user.add", Resource: "user:" + u.Name,
		Decision: qguard.DecisionInfo, Reason: "bootstrap admin on first start",
		Details: map[string]string{"role": u.Role},
	}); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nCreated user admin. Its API key is shown once; keep it safe:\n\n    %s\n\n", key)
	fmt.Fprintf(out, "Use it with:  export QGUARD_TOKEN=<the key above>\n\n")
	return nil
}

// writeDefaultPolicy writes the default policy for the operator to edit,
// unless a policy file exists.
func writeDefaultPolicy(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(policy.DefaultYAML()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// openAuditLog opens the audit log with its keys from the vault, and
// keeps audit.pub in the home current so that `audit verify` can run
// without unlocking the vault.
func (a *app) openAuditLog(ctx context.Context, v *vault.Vault, store qguard.AuditStore) (*audit.Log, error) {
	seed, err := v.InternalKey(ctx, "audit-signing")
	if err != nil {
		return nil, err
	}
	hmacKey, err := v.InternalKey(ctx, "audit-hmac")
	if err != nil {
		return nil, err
	}
	signer, verifier, err := audit.KeysFromSeed("qguard-audit", seed)
	if err != nil {
		return nil, err
	}
	vkey, err := audit.VerifierKey("qguard-audit", seed)
	if err != nil {
		return nil, err
	}
	if err := a.saveVerifierKey(vkey); err != nil {
		return nil, err
	}
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	opts := audit.OptionsFromConfig(cfg.Audit)
	opts.Logger = a.log
	return audit.New(store, signer, verifier, hmacKey, opts), nil
}

// cloudProviders builds the adapters that config.yaml enables. They read
// their credentials from the vault at call time.
func cloudProviders(c config.Providers, creds qguard.CredentialSource, observe provider.Observer, log *slog.Logger) []qguard.Provider {
	var out []qguard.Provider
	for _, name := range c.Enabled {
		switch name {
		case ibm.Name:
			out = append(out, ibm.New(ibm.ConfigFrom(c, observe, log), creds, c.IBM.Profile, nil))
		case braket.Name:
			out = append(out, braket.New(braket.ConfigFrom(c, observe, log), creds, c.Braket.Profile, nil))
		case ionq.Name:
			out = append(out, ionq.New(ionq.ConfigFrom(c, observe, log), creds, c.IonQ.Profile, nil))
		}
	}
	return out
}

// auditCalls records every outbound provider call that concerns a job
// (submit, status, results, cancel) in the audit log; device listings and
// token exchanges are only logged.
func auditCalls(alog *audit.Log, log *slog.Logger) provider.Observer {
	return func(ctx context.Context, c provider.CallInfo) {
		if c.ProviderJobID == "" && c.Op != "submit" {
			log.Debug("provider call", "provider", c.Provider, "op", c.Op, "status", c.StatusCode, "attempts", c.Attempts)
			return
		}
		decision := qguard.DecisionInfo
		if c.ErrorCode != "" {
			decision = qguard.DecisionDeny
		}
		_, err := alog.Append(context.WithoutCancel(ctx), qguard.AuditRecord{
			Time: time.Now(), Actor: "system", Action: "provider." + c.Op, Resource: "device:" + c.Provider + ":" + c.Device,
			Decision: decision, Reason: c.ErrorCode,
			Details: map[string]string{
				"provider": c.Provider, "provider_job_id": c.ProviderJobID, "host": c.Host,
				"status": strconv.Itoa(c.StatusCode), "attempts": strconv.Itoa(c.Attempts),
			},
		})
		if err != nil {
			log.Error("audit provider call", "provider", c.Provider, "op", c.Op, "error", err)
		}
	}
}
