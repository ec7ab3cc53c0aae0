package main

// report security: the security-event summary of the last N hours, from the
// store. This file also creates the `report` parent command that other
// report kinds attach to with registerUnder("report", …).

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/qguard/qguard/monitor"
	"github.com/spf13/cobra"
)

func init() {
	register(newReportCmd)
	registerUnder("report", newReportSecurityCmd)
}

// newReportCmd is `qguard report`; report kinds (security, costs) attach
// with registerUnder("report", …).
func newReportCmd(*app) *cobra.Command {
	return &cobra.Command{
		Use:   "report",
		Short: "Reports over the store (security events, costs)",
		Args:  cobra.NoArgs,
	}
}

func newReportSecurityCmd(a *app) *cobra.Command {
	var hours int
	cmd := &cobra.Command{
		Use:   "security [--hours N]",
		Short: "Summarise security events of the last N hours",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if hours < 1 || hours > 24*366 {
				return fmt.Errorf("--hours must be between 1 and %d", 24*366)
			}
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			now := time.Now().UTC()
			r, err := monitor.Report(ctx, st, now.Add(-time.Duration(hours)*time.Hour), now)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(cmd, r)
			}
			return printSecurityReport(cmd.OutOrStdout(), r)
		},
	}
	cmd.Flags().IntVar(&hours, "hours", 24, "length of the period, ending now")
	return cmd
}

func printSecurityReport(w io.Writer, r *monitor.SecurityReport) error {
	fmt.Fprintf(w, "Security events, %s to %s (%.0f h)\n", r.Since.Format(time.RFC3339), r.Until.Format(time.RFC3339), r.PeriodHours)
	fmt.Fprintf(w, "total: %d   unique users: %d   unique providers: %d\n", r.TotalEvents, r.UniqueUsers, r.UniqueProviders)
	for _, part := range []struct {
		title string
		m     map[string]int
	}{{"by type", r.ByType}, {"by severity", r.BySeverity}} {
		if len(part.m) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s:\n", part.title)
		keys := make([]string, 0, len(part.m))
		for k := range part.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %-20s %d\n", k, part.m[k])
		}
	}
	if len(r.RecentCritical) > 0 {
		fmt.Fprintln(w, "recent critical events:")
		for _, e := range r.RecentCritical {
			fmt.Fprintf(w, "  %s %s %s\n", e.Time.UTC().Format(time.RFC3339), e.Type, e.Message)
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}
