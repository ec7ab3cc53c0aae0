package main

// scan: find leaked credentials in log files. Secrets are never printed:
// findings show a masked value and a fingerprint.

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/qguard/qguard/monitor"
	"github.com/qguard/qguard/monitor/rules"
	"github.com/spf13/cobra"
)

func init() { register(newScanCmd) }

type scanResult struct {
	Findings []rules.Finding `json:"findings"`
	Files    int             `json:"files"`
	Lines    int64           `json:"lines"`
	Bytes    int64           `json:"bytes"`
	Failing  int             `json:"failing"` // findings at or above --fail-on
}

func newScanCmd(a *app) *cobra.Command {
	var rulesFile, failOn string
	cmd := &cobra.Command{
		Use:   "scan [--rules FILE] [--fail-on SEVERITY] [FILE...|-]",
		Short: "Find leaked credentials in logs (JSON lines or plain text)",
		Long: `Scan reads log files (or standard input, with - or no argument) and reports every
credential that qguard's rules find: cloud and quantum-provider keys, tokens, webhooks,
private keys and high-entropy password assignments. Secrets are shown masked.

--rules reads a gitleaks-format TOML file; it replaces the built-in rules unless it says
[extend] useDefault = true. Without --rules, monitor.rules from config.yaml applies.

Exit status: 0 when nothing at or above --fail-on was found, 1 when something was,
2 on errors.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			threshold := rules.SeverityRank(failOn)
			if threshold < 0 && failOn != "none" {
				return fmt.Errorf("--fail-on must be low, medium, high, critical or none, not %q", failOn)
			}
			set, err := a.scanRules(rulesFile)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				args = []string{"-"}
			}
			res := scanResult{Findings: []rules.Finding{}}
			out := cmd.OutOrStdout()
			for _, name := range args {
				var r io.Reader = cmd.InOrStdin()
				source := "stdin"
				if name != "-" {
					f, err := os.Open(name)
					if err != nil {
						return fmt.Errorf("scan: %w", err)
					}
					defer f.Close()
					r, source = f, name
					if fi, err := f.Stat(); err == nil {
						add, finish := progress(cmd, fi.Size(), "scanning "+name)
						defer finish()
						if add != nil {
							r = &progressReader{r: f, add: add}
						}
					}
				}
				st, err := set.Scan(cmd.Context(), r, source, func(f rules.Finding) error {
					if threshold >= 0 && rules.SeverityRank(f.Severity) >= threshold {
						res.Failing++
					}
					if a.json {
						res.Findings = append(res.Findings, f)
						return nil
					}
					field := ""
					if f.Field != "" {
						field = " field=" + f.Field
					}
					_, err := fmt.Fprintf(out, "%s:%d:%d: %s %s%s secret=%s fingerprint=%s\n",
						f.Source, f.Line, f.Column, f.Severity, f.Rule, field, f.Secret, f.Fingerprint)
					return err
				})
				if err != nil {
					return err
				}
				res.Files++
				res.Lines += st.Lines
				res.Bytes += st.Bytes
			}
			if a.json {
				if err := a.printJSON(cmd, res); err != nil {
					return err
				}
			}
			if res.Failing > 0 {
				return denied(fmt.Errorf("%d finding(s) at or above %s severity; rotate the exposed credentials and remove them from the logs", res.Failing, failOn))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rulesFile, "rules", "", "gitleaks-format TOML rules file")
	cmd.Flags().StringVar(&failOn, "fail-on", "low", "exit 1 on findings at or above this severity: low, medium, high, critical, none")
	return cmd
}

// scanRules loads --rules, else the configured rules, else the built-ins.
func (a *app) scanRules(file string) (*rules.Set, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	mc := cfg.Monitor
	if file != "" {
		mc.Rules = file
	}
	set, err := monitor.LoadRules(mc)
	if file != "" && err != nil {
		return nil, err
	}
	if err != nil {
		return nil, errors.Join(err, errors.New("hint: fix monitor.rules in config.yaml or pass --rules"))
	}
	return set, nil
}

// progressReader advances a progress bar as it is read.
type progressReader struct {
	r   io.Reader
	add func(int)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.add(n)
	return n, err
}
