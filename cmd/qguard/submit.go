package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/gateway"
	"github.com/spf13/cobra"
)

func init() { register(newSubmitCmd) }

func newSubmitCmd(a *app) *cobra.Command {
	var req gateway.SubmitRequest
	var wait bool
	cmd := &cobra.Command{
		Use:   "submit FILE.qasm|-",
		Short: "Submit a circuit to the gateway (QGUARD_URL, QGUARD_TOKEN)",
		Long: `Submit sends an OpenQASM 2 or 3 circuit to the gateway, which checks it against policy and
budgets, records the decision in the audit log and runs it on the device. With --wait it prints the counts.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := readFileOrStdin(cmd, args[0])
			if err != nil {
				return err
			}
			req.QASM = string(src)
			c, err := a.gatewayClient()
			if err != nil {
				return err
			}
			job, err := c.Submit(cmd.Context(), req)
			if err != nil {
				return apiErr(err)
			}
			if wait && !qguard.JobDone(job.Status) {
				if job, err = c.Wait(cmd.Context(), job.ID); err != nil {
					return apiErr(err)
				}
			}
			if a.json {
				return a.printJSON(cmd, job)
			}
			printJob(cmd.OutOrStdout(), job)
			if job.Status == qguard.JobFailed {
				return fmt.Errorf("job %s failed: %s", job.ID, job.Error)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Device, "device", "local:statevector", "device id (see `qguard devices list`)")
	f.IntVar(&req.Shots, "shots", 1024, "number of shots")
	f.StringVar(&req.Classification, "classification", "internal", "data classification: public, internal, confidential, restricted")
	f.StringVar(&req.Project, "project", "", "project to bill (default: the user's project)")
	f.BoolVar(&req.Obfuscate, "obfuscate", false, "obfuscate the circuit before the provider sees it")
	f.BoolVar(&wait, "wait", false, "wait for the job to finish and print its counts")
	return cmd
}

func readFileOrStdin(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	return os.ReadFile(name)
}

// printJob prints a job and, when it has one, its result as a histogram of
// the most frequent outcomes.
func printJob(w io.Writer, j *gateway.JobResponse) {
	fmt.Fprintf(w, "job %s  %s  device %s  shots %d  qubits %d  est. $%.4f\n", j.ID, j.Status, j.Device, j.Shots, j.Qubits, j.EstimatedCost)
	if j.Error != "" {
		fmt.Fprintf(w, "error: %s\n", j.Error)
	}
	if j.Result == nil {
		return
	}
	keys := make([]string, 0, len(j.Result.Counts))
	for k := range j.Result.Counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		ca, cb := j.Result.Counts[keys[a]], j.Result.Counts[keys[b]]
		return ca > cb || ca == cb && keys[a] < keys[b]
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, k := range keys {
		if i == 32 {
			fmt.Fprintf(tw, "… %d more outcomes\n", len(keys)-i)
			break
		}
		n := j.Result.Counts[k]
		bar := strings.Repeat("█", max(1, n*40/max(1, j.Result.Shots)))
		fmt.Fprintf(tw, "%s\t%d\t%s\n", k, n, bar)
	}
	tw.Flush()
}
