package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/qguard/qguard/circuit"
	"github.com/spf13/cobra"
)

// The `circuit` parent command lives in circuit_run.go (newCircuitCmd);
// subcommands attach with registerUnder("circuit", …) from their files.
func init() {
	registerUnder("circuit", newCircuitInspectCmd)
	registerUnder("circuit", newCircuitEmitCmd)
}

// parseInputs turns repeated --input name=value flags into bound OpenQASM 3
// input parameters.
func parseInputs(flags []string) (map[string]float64, error) {
	inputs := map[string]float64{}
	for _, f := range flags {
		name, value, ok := strings.Cut(f, "=")
		v, err := strconv.ParseFloat(value, 64)
		if !ok || name == "" || err != nil {
			return nil, fmt.Errorf("--input %q: want name=number, for example --input theta=0.5", f)
		}
		inputs[name] = v
	}
	return inputs, nil
}

// loadCircuit reads and parses FILE (or - for standard input). A circuit
// that does not parse is reported as denied (exit 1), naming file:line:col.
func loadCircuit(cmd *cobra.Command, path string, inputFlags []string) (*circuit.Circuit, error) {
	inputs, err := parseInputs(inputFlags)
	if err != nil {
		return nil, err
	}
	src, err := readCircuitBounded(cmd, path, circuit.DefaultLimits.MaxBytes)
	if err != nil {
		return nil, err
	}
	c, err := circuit.ParseWithOptions(src, circuit.ParseOptions{Inputs: inputs})
	if err != nil {
		return nil, denied(fmt.Errorf("%s:%w", path, err))
	}
	return c, nil
}

// readCircuitBounded reads FILE (or - for standard input) but never more
// than limit+1 bytes, so that an oversized input fails in the parser's size
// check without being loaded whole.
func readCircuitBounded(cmd *cobra.Command, path string, limit int) ([]byte, error) {
	r := cmd.InOrStdin()
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read circuit: %w", err)
		}
		defer f.Close()
		r = f
	}
	src, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("read circuit: %w", err)
	}
	return src, nil
}

func newCircuitInspectCmd(a *app) *cobra.Command {
	var inputs []string
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Parse a circuit and print its metrics",
		Long: `Inspect parses an OpenQASM 2 or 3 circuit (FILE, or - for standard input) with the
gateway's parser and limits, and prints what the gateway enforces on: qubits declared
and used, classical bits, gates by name, two-qubit gates, CX count, depth, measurements,
resets and conditional operations. It exits 1 when the circuit does not parse, with
the file, line and column of the cause.`,
		Example: `  qguard circuit inspect adder.qasm
  qguard circuit inspect ansatz.qasm --input theta=0.25 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadCircuit(cmd, args[0], inputs)
			if err != nil {
				return err
			}
			m := c.Metrics()
			if a.json {
				return a.printJSON(cmd, m)
			}
			return printMetrics(cmd.OutOrStdout(), &m)
		},
	}
	cmd.Flags().StringArrayVar(&inputs, "input", nil, "bind an OpenQASM 3 input parameter, name=value (repeatable)")
	return cmd
}

func printMetrics(w io.Writer, m *circuit.Metrics) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	names := make([]string, 0, len(m.GateCounts))
	for n := range m.GateCounts {
		names = append(names, n)
	}
	sort.Strings(names)
	counts := make([]string, len(names))
	for k, n := range names {
		counts[k] = fmt.Sprintf("%s %d", n, m.GateCounts[n])
	}
	fmt.Fprintf(tw, "version\tOpenQASM %g\n", m.Version)
	fmt.Fprintf(tw, "qubits\t%d declared, %d used\n", m.Qubits, m.QubitsUsed)
	fmt.Fprintf(tw, "clbits\t%d\n", m.Clbits)
	fmt.Fprintf(tw, "gates\t%d\n", m.Gates)
	fmt.Fprintf(tw, "by name\t%s\n", strings.Join(counts, ", "))
	fmt.Fprintf(tw, "two-qubit gates\t%d\n", m.TwoQubitGates)
	fmt.Fprintf(tw, "cx\t%d\n", m.CX)
	fmt.Fprintf(tw, "depth\t%d\n", m.Depth)
	fmt.Fprintf(tw, "measurements\t%d\n", m.Measurements)
	fmt.Fprintf(tw, "resets\t%d\n", m.Resets)
	fmt.Fprintf(tw, "conditional\t%d\n", m.Conditional)
	fmt.Fprintf(tw, "mid-circuit\t%t\n", m.MidCircuit)
	return tw.Flush()
}

func newCircuitEmitCmd(a *app) *cobra.Command {
	var (
		inputs []string
		to     string
	)
	cmd := &cobra.Command{
		Use:   "emit FILE --to qasm3|braket|ionq",
		Short: "Translate a circuit into a provider's dialect",
		Long: `Emit parses a circuit and writes it in the dialect a provider accepts: qasm3 (IBM,
OpenQASM 3 with stdgates.inc), braket (Amazon Braket's OpenQASM 3 gate names, no include)
or ionq (the input object of an ionq.circuit.v1 job, gateset qis). Gates a dialect lacks
are rewritten exactly; see docs/circuits.md.`,
		Example: `  qguard circuit emit adder.qasm --to braket`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadCircuit(cmd, args[0], inputs)
			if err != nil {
				return err
			}
			var out string
			switch to {
			case "qasm3":
				out = circuit.EmitQASM3(c)
			case "braket":
				out = circuit.EmitBraket(c)
			case "ionq":
				b, err := circuit.EmitIonQ(c)
				if err != nil {
					return denied(fmt.Errorf("%s: %w", args[0], err))
				}
				out = string(b) + "\n"
			default:
				return fmt.Errorf("--to must be qasm3, braket or ionq, not %q", to)
			}
			if a.json {
				return a.printJSON(cmd, map[string]string{"dialect": to, "program": out})
			}
			_, err = io.WriteString(cmd.OutOrStdout(), out)
			return err
		},
	}
	cmd.Flags().StringArrayVar(&inputs, "input", nil, "bind an OpenQASM 3 input parameter, name=value (repeatable)")
	cmd.Flags().StringVar(&to, "to", "qasm3", "target dialect: qasm3, braket or ionq")
	return cmd
}
