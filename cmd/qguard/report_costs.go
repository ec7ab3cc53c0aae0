package main

import (
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func init() { registerUnder("report", newReportCostsCmd) }

// costReport is what `report costs` prints.
type costReport struct {
	Days     int                `json:"days"`
	By       string             `json:"by"`
	Costs    map[string]float64 `json:"costs"`
	TotalUSD float64            `json:"total_usd"`
}

func newReportCostsCmd(a *app) *cobra.Command {
	var days int
	var by string
	cmd := &cobra.Command{
		Use:   "costs",
		Short: "Cost of jobs over the last N days, by user, project or provider",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if by != "user" && by != "project" && by != "provider" {
				return fmt.Errorf("--by must be user, project or provider, not %q", by)
			}
			if days < 1 {
				return fmt.Errorf("--days must be at least 1")
			}
			store, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer store.Close()
			totals, err := store.CostSince(cmd.Context(), a.now().Add(-time.Duration(days)*24*time.Hour), by)
			if err != nil {
				return err
			}
			rep := costReport{Days: days, By: by, Costs: totals}
			for _, v := range totals {
				rep.TotalUSD += v
			}
			if a.json {
				return a.printJSON(cmd, rep)
			}
			keys := make([]string, 0, len(totals))
			for k := range totals {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool { return totals[keys[i]] > totals[keys[j]] })
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "%s\tUSD\n", by)
			for _, k := range keys {
				name := k
				if name == "" {
					name = "(none)"
				}
				fmt.Fprintf(tw, "%s\t%.4f\n", name, totals[k])
			}
			fmt.Fprintf(tw, "total (%d days)\t%.4f\n", days, rep.TotalUSD)
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&days, "days", 30, "how many days back")
	cmd.Flags().StringVar(&by, "by", "user", "group by user, project or provider")
	return cmd
}
