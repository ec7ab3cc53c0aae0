package main

import (
	"context"
	"fmt"
	"io"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/gateway"
	"github.com/qguard/qguard/gateway/client"
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
			return showFromGateway(a, cmd, func(c *client.Client, ctx context.Context) ([]*qguard.Job, error) {
				return c.Jobs(ctx, all, status, limit)
			}, printJobList)
		},
	}
	list.Flags().BoolVar(&all, "all", false, "everyone's jobs (admin, auditor)")
	list.Flags().StringVar(&status, "status", "", "only jobs in this state")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many jobs")
	cmd.AddCommand(list,
		newJobCmd(a, "get ID", "Show a job and its result", (*client.Client).Job),
		newJobCmd(a, "cancel ID", "Cancel a job", (*client.Client).Cancel))
	return cmd
}

// newJobCmd is a command that calls the gateway about one job and prints
// the job as the gateway answered.
func newJobCmd(a *app, use, short string, call func(*client.Client, context.Context, string) (*gateway.JobResponse, error)) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return showFromGateway(a, cmd, func(c *client.Client, ctx context.Context) (*gateway.JobResponse, error) {
				return call(c, ctx, args[0])
			}, func(w io.Writer, j *gateway.JobResponse) error {
				printJob(w, j)
				return nil
			})
		},
	}
}

func printJobList(w io.Writer, jobs []*qguard.Job) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tSTATUS\tUSER\tDEVICE\tSHOTS\tQUBITS\tCOST USD\tCREATED")
	for _, j := range jobs {
		cost := j.EstimatedCost
		if j.ActualCost != nil {
			cost = *j.ActualCost
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%.4f\t%s\n", j.ID, j.Status, j.User, j.Device, j.Shots, j.Qubits, cost, j.CreatedAt.Format("2006-01-02 15:04:05"))
	}
	return tw.Flush()
}

func newDevicesCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "devices", Short: "Devices the gateway offers"}
	cmd.AddCommand(&cobra.Command{
		Use: "list", Short: "List devices with class, status and price", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return showFromGateway(a, cmd, (*client.Client).Devices, printDevices)
		},
	})
	return cmd
}

func printDevices(w io.Writer, devs []qguard.Device) error {
	tw := newTable(w)
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
}
