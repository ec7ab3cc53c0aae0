package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/gateway/client"
	"github.com/spf13/cobra"
)

func init() { register(newBudgetCmd) }

func newBudgetCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "budget", Short: "Daily spending limits per user or project (on the gateway)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "set user|project NAME USD",
		Short: "Set a daily limit in US dollars (admins); budgets reset at 00:00 UTC",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] != qguard.ScopeUser && args[0] != qguard.ScopeProject {
				return fmt.Errorf("the first argument must be user or project, not %q", args[0])
			}
			usd, err := strconv.ParseFloat(args[2], 64)
			if err != nil || usd < 0 {
				return fmt.Errorf("the limit must be a non-negative number of dollars, not %q", args[2])
			}
			c, err := a.gatewayClient()
			if err != nil {
				return err
			}
			if err := c.SetBudget(cmd.Context(), args[0], args[1], usd); err != nil {
				return apiErr(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "daily budget of %s %s set to $%.2f\n", args[0], args[1], usd)
			return nil
		},
	}, &cobra.Command{
		Use: "show", Short: "Show daily limits and today's spend", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return showFromGateway(a, cmd, (*client.Client).Budgets, printBudgets)
		},
	})
	return cmd
}

func printBudgets(w io.Writer, bs []client.BudgetView) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "SCOPE\tNAME\tDAILY USD\tSETTLED\tRESERVED\tLEFT")
	for _, b := range bs {
		left := b.Daily - b.Today.Settled - b.Today.Reserved
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.4f\t%.4f\t%.4f\n", b.Scope, b.Name, b.Daily, b.Today.Settled, b.Today.Reserved, left)
	}
	return tw.Flush()
}
