package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func init() { register(newJobsCmd); register(newDevicesCmd) }

func newJobsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "jobs", Short: "List, show and cancel jobs on the gateway"}
	var all bool
	var status string
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List your jobs (admins and auditors: --all for everyone's)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.gatewayClient()
			if err != nil {
				return err
			}
			jobs, err := c.Jobs(cmd.Context(), all, status, limit)
			if err != nil {
				return apiErr(err)
			}
			if a.json {
				return a.printJSON(cmd, jobs)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tUSER\tDEVICE\tSHOTS\tQUBITS\tCOST USD\tCREATED")
			for _, j := range jobs {
				cost := j.EstimatedCost
				if j.ActualCost != nil {
					cost = *j.ActualCost
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%.4f\t%s\n", j.ID, j.Status, j.User, j.Device, j.Shots, j.Qubits, cost, j.CreatedAt.Format("2006-01-02 15:04:05"))
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&all, "all", false, "everyone's jobs (admin, auditor)")
	list.Flags().StringVar(&status, "status", "", "only jobs in this state")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many jobs")
	get := &cobra.Command{
		Use: "get ID", Short: "Show a job and its result", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.gatewayClient()
			if err != nil {
				return err
			}
			j, err := c.Job(cmd.Context(), args[0])
			if err != nil {
				return apiErr(err)
			}
			if a.json {
				return a.printJSON(cmd, j)
			}
			printJob(cmd.OutOrStdout(), j)
			return nil
		},
	}
	cancel := &cobra.Command{
		Use: "cancel ID", Short: "Cancel a job", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.gatewayClient()
			if err != nil {
				return err
			}
			j, err := c.Cancel(cmd.Context(), args[0])
			if err != nil {
				return apiErr(err)
			}
			if a.json {
				return a.printJSON(cmd, j)
			}
			printJob(cmd.OutOrStdout(), j)
			return nil
		},
	}
	cmd.AddCommand(list, get, cancel)
	return cmd
}

func newDevicesCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "devices", Short: "Devices the gateway offers"}
	cmd.AddCommand(&cobra.Command{
		Use: "list", Short: "List devices with class, status and price", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.gatewayClient()
			if err != nil {
				return err
			}
			devs, err := c.Devices(cmd.Context())
			if err != nil {
				return apiErr(err)
			}
			if a.json {
				return a.printJSON(cmd, devs)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCLASS\tQUBITS\tSTATUS\tPRICE")
			for _, d := range devs {
				price := "free"
				if p := d.Price; p != nil {
					price = fmt.Sprintf("$%g/task + $%g/shot", p.PerTask, p.PerShot)
					if p.PerSecond > 0 {
						price = fmt.Sprintf("$%g/s", p.PerSecond)
					} else if p.PerMinute > 0 {
						price = fmt.Sprintf("$%g/min", p.PerMinute)
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", d.ID, d.Class, d.Qubits, d.Status, price)
			}
			return tw.Flush()
		},
	})
	return cmd
}
