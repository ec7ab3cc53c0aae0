package main

// monitor: run the security monitor over a log file, optionally following
// it as it grows (surviving rotation), storing events and sending alerts.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/monitor"
	"github.com/qguard/qguard/monitor/tail"
	"github.com/spf13/cobra"
)

func init() { register(newMonitorCmd) }

func newMonitorCmd(a *app) *cobra.Command {
	var follow, fromStart, noStore bool
	var poll time.Duration
	cmd := &cobra.Command{
		Use:   "monitor [--follow] FILE|-",
		Short: "Detect security events in a log (leaked credentials, auth-failure bursts, usage, cost)",
		Long: `Monitor runs qguard's security monitor over a log of JSON lines or plain text: the same
processor as the gateway's POST /v1/security/logs. Events are stored in the qguard store
(de-duplicated), printed, and alerted through the channels configured under monitor.alerts.

With --follow it keeps reading as the file grows, like tail -F: it waits for a missing
file, and survives rotation (rename + new file) and truncation. Without --follow it reads
the file (or standard input) to the end and exits.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var store qguard.EventStore
			if !noStore {
				st, err := a.openStore(ctx)
				if err != nil {
					return fmt.Errorf("%w\nhint: run qguard init, or pass --no-store to keep events in memory", err)
				}
				defer st.Close()
				store = st
			}
			mon, disp, err := monitor.Setup(cfg.Monitor, store, nil, a.log, nil)
			if err != nil {
				return errors.Join(err, errors.New("hint: fix the monitor section of config.yaml"))
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), cfg.Monitor.Alerts.Timeout*time.Duration(cfg.Monitor.Alerts.Retries+1))
				defer cancel()
				disp.Close(ctx)
			}()
			source := args[0]
			out := cmd.OutOrStdout()
			handle := func(line []byte) error {
				evs, err := mon.ProcessLine(ctx, source, line)
				if err != nil {
					return err
				}
				for _, ev := range evs {
					if a.json {
						if err := json.NewEncoder(out).Encode(ev); err != nil {
							return err
						}
						continue
					}
					if _, err := fmt.Fprintf(out, "%s %-8s %-19s %s\n", ev.Time.UTC().Format(time.RFC3339), ev.Severity, ev.Type, ev.Message); err != nil {
						return err
					}
				}
				return nil
			}
			if follow {
				if source == "-" {
					return errors.New("--follow needs a file, not standard input")
				}
				err := tail.Follow(ctx, source, tail.Options{Poll: poll, FromStart: fromStart}, handle)
				if errors.Is(err, context.Canceled) {
					return nil // interrupted: a normal way to stop following
				}
				return err
			}
			var r io.Reader = cmd.InOrStdin()
			if source != "-" {
				f, err := os.Open(source)
				if err != nil {
					return fmt.Errorf("monitor: %w", err)
				}
				defer f.Close()
				r = f
			}
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64<<10), 4<<20)
			for sc.Scan() {
				if err := handle(sc.Bytes()); err != nil {
					return err
				}
			}
			if err := sc.Err(); err != nil {
				return fmt.Errorf("monitor: read %s: %w", source, err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep reading as the file grows (survives rotation)")
	cmd.Flags().BoolVar(&fromStart, "from-start", false, "with --follow: read the existing content first")
	cmd.Flags().BoolVar(&noStore, "no-store", false, "keep events in memory instead of the qguard store")
	cmd.Flags().DurationVar(&poll, "poll", 250*time.Millisecond, "with --follow: how often to check for new lines")
	return cmd
}
