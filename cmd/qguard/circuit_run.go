package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/sim"
	"github.com/spf13/cobra"
)

func init() {
	register(newCircuitCmd)
	registerUnder("circuit", newCircuitRunCmd)
}

// newCircuitCmd is `qguard circuit`; its subcommands (inspect, emit, run,
// obfuscate) attach with registerUnder("circuit", …) from their files.
func newCircuitCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "circuit",
		Short: "Inspect, translate, obfuscate and run quantum circuits",
		Args:  cobra.NoArgs,
	}
}

// circuitRunOutput is what `qguard circuit run --json` prints.
type circuitRunOutput struct {
	qguard.Result
	Qubits int    `json:"qubits"`
	Seed   uint64 `json:"seed"`
}

func newCircuitRunCmd(a *app) *cobra.Command {
	var (
		shots  int
		seed   uint64
		probs  bool
		inputs []string
	)
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run a circuit on the embedded state-vector simulator",
		Long: `Run simulates an OpenQASM 2 or 3 circuit (FILE, or - for standard input) on the local
state-vector simulator and prints the counts of each measured bitstring, classical bit
n-1 first. A circuit without measurements is measured on every qubit. It exits 1 when
the circuit does not parse, 2 when it cannot run (over the qubit cap, not enough memory).

The seed makes runs reproducible; without --seed a random one is drawn and printed.
--probabilities adds the exact probability of every outcome.
The qubit and shot caps come from simulator.max_qubits and simulator.max_shots.`,
		Example: `  qguard circuit run bell.qasm --shots 1000 --seed 7
  qguard circuit run bell.qasm --probabilities --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("shots") {
				shots = min(shots, cfg.Simulator.MaxShots)
			}
			if shots < 0 || shots > cfg.Simulator.MaxShots {
				return fmt.Errorf("--shots must be between 0 and %d (simulator.max_shots), got %d", cfg.Simulator.MaxShots, shots)
			}
			c, err := loadCircuit(cmd, args[0], inputs)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("seed") {
				var b [8]byte
				if _, err := rand.Read(b[:]); err != nil {
					return fmt.Errorf("draw seed: %w", err)
				}
				seed = binary.LittleEndian.Uint64(b[:])
			}
			res, err := sim.Run(cmd.Context(), c, sim.Options{
				Shots: shots, Seed: seed, MaxQubits: cfg.Simulator.MaxQubits, Probabilities: probs,
			})
			if err != nil {
				return err
			}
			out := circuitRunOutput{Result: *res, Qubits: c.Qubits, Seed: seed}
			if a.json {
				return a.printJSON(cmd, out)
			}
			return printRun(cmd.OutOrStdout(), &out, probs)
		},
	}
	f := cmd.Flags()
	f.IntVar(&shots, "shots", 1024, "number of samples, at most simulator.max_shots (0: none, with --probabilities)")
	f.Uint64Var(&seed, "seed", 0, "random seed, for reproducible counts (default: random)")
	f.BoolVar(&probs, "probabilities", false, "also print the exact probability of every outcome")
	f.StringArrayVar(&inputs, "input", nil, "bind an OpenQASM 3 input parameter, name=value (repeatable)")
	return cmd
}

// readCircuitFile reads path, or standard input for "-".
func readCircuitFile(cmd *cobra.Command, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read circuit: %w", err)
	}
	return src, nil
}

// printRun prints one line per outcome, in bitstring order.
func printRun(w io.Writer, out *circuitRunOutput, probs bool) error {
	fmt.Fprintf(w, "qubits %d, shots %d, seed %d\n", out.Qubits, out.Shots, out.Seed)
	keys := make([]string, 0, len(out.Counts))
	for k := range out.Counts {
		keys = append(keys, k)
	}
	for k := range out.Probabilities {
		if _, ok := out.Counts[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if probs {
		fmt.Fprintln(tw, "outcome\tcount\tprobability")
	} else {
		fmt.Fprintln(tw, "outcome\tcount")
	}
	for _, k := range keys {
		if probs {
			fmt.Fprintf(tw, "%s\t%d\t%.6f\n", k, out.Counts[k], out.Probabilities[k])
		} else {
			fmt.Fprintf(tw, "%s\t%d\n", k, out.Counts[k])
		}
	}
	return tw.Flush()
}
