// Command qguard is the qguard CLI and server: `qguard serve` runs the
// gateway; the other commands manage the vault, users, policy and audit log,
// or talk to a running gateway.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/qguard/qguard"
	"github.com/spf13/cobra"
)

// Exit codes, part of the CLI contract.
const (
	exitOK      = 0
	exitDenied  = 1 // denied, findings, verification failed
	exitFailure = 2 // usage or runtime error
)

// exitError carries an exit code other than exitFailure (for example 1 for
// "verification failed") through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// denied returns an error that makes qguard exit 1 with err's message.
func denied(err error) error { return &exitError{code: exitDenied, err: err} }

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(os.Stderr, "qguard:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "qguard:", err)
	return exitFailure
}

// commands lists the subcommand constructors; each lives in its own file.
var commands []func(*app) *cobra.Command

// subcommands lists constructors of subcommands by parent command name.
var subcommands = map[string][]func(*app) *cobra.Command{}

// register adds a subcommand constructor. Files call it from init so that
// parts of the CLI can be added without editing one shared list.
func register(f func(*app) *cobra.Command) { commands = append(commands, f) }

// registerUnder adds a constructor of a subcommand of the top-level
// command named parent (`qguard circuit run`, `qguard report costs`).
func registerUnder(parent string, f func(*app) *cobra.Command) {
	subcommands[parent] = append(subcommands[parent], f)
}

func newRootCmd() *cobra.Command {
	a := &app{}
	root := &cobra.Command{
		Use:           "qguard",
		Short:         "qguard — a security gateway for quantum cloud computing",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setup(cmd)
		},
	}
	a.flags(root)
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := map[string]string{"version": qguard.Version, "commit": qguard.Commit}
			if a.json {
				return a.printJSON(cmd, v)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "qguard", qguard.Version)
			return nil
		},
	})
	for _, f := range commands {
		cmd := f(a)
		for _, sub := range subcommands[cmd.Name()] {
			cmd.AddCommand(sub(a))
		}
		root.AddCommand(cmd)
	}
	return root
}
