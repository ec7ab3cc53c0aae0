package main

// Helpers the CLI's commands share for printing what they did.

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/qguard/qguard/gateway/client"
	"github.com/spf13/cobra"
)

// printOutcome reports a finished change: v under --json, else one line
// of text made from format and args.
func printOutcome(a *app, cmd *cobra.Command, v any, format string, args ...any) error {
	if a.json {
		return a.printJSON(cmd, v)
	}
	fmt.Fprintf(cmd.OutOrStdout(), format, args...)
	return nil
}

// newTable returns the writer the CLI's tables are aligned with; Flush it.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// showFromGateway makes one gateway call and prints its answer: as JSON
// under --json, else with text. A refusal by the gateway exits 1 (apiErr).
// call takes the client first so that a method expression such as
// (*client.Client).Devices fits.
func showFromGateway[T any](a *app, cmd *cobra.Command, call func(*client.Client, context.Context) (T, error), text func(io.Writer, T) error) error {
	c, err := a.gatewayClient()
	if err != nil {
		return err
	}
	v, err := call(c, cmd.Context())
	if err != nil {
		return apiErr(err)
	}
	if a.json {
		return a.printJSON(cmd, v)
	}
	return text(cmd.OutOrStdout(), v)
}
