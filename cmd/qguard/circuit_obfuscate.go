package main

import (
	"fmt"
	"io"

	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/circuit/obfuscate"
	"github.com/qguard/qguard/vault/securefile"
	"github.com/spf13/cobra"
)

func init() { registerUnder("circuit", newCircuitObfuscateCmd) }

func newCircuitObfuscateCmd(a *app) *cobra.Command {
	var (
		inputs  []string
		keyOut  string
		dialect string
	)
	cmd := &cobra.Command{
		Use:   "obfuscate FILE [--key-out KEY] [--dialect qasm3|braket]",
		Short: "Rewrite a circuit so that a provider sees random angles, outputs and labels",
		Long: `Obfuscate applies a keyed quantum one-time pad (see docs/protection.md): it lowers the
circuit to U and cx, carries a random Pauli frame and random rotation pairs through every
cx, masks the outputs with random X gates and relabels the qubits and bits at random.
The result computes the same distribution once the key is applied to the counts. The
key (written 0600 to --key-out) is secret: keep it away from the provider. The CX
skeleton, width and depth stay visible. Circuits with mid-circuit measurement, reset or
if are refused (exit 1).`,
		Example: `  qguard circuit obfuscate grover.qasm --key-out grover.key > grover.obf.qasm
  qguard circuit obfuscate grover.qasm --dialect braket --key-out grover.key`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			emit := map[string]func(*circuit.Circuit) string{"qasm3": circuit.EmitQASM3, "braket": circuit.EmitBraket}[dialect]
			if emit == nil {
				return fmt.Errorf("--dialect must be qasm3 or braket, not %q", dialect)
			}
			c, err := loadCircuit(cmd, args[0], inputs)
			if err != nil {
				return err
			}
			ob, key, err := obfuscate.Obfuscate(c, obfuscate.Options{})
			if err != nil {
				return denied(fmt.Errorf("%s: %w", args[0], err))
			}
			if keyOut != "" {
				b, err := key.Marshal()
				if err != nil {
					return err
				}
				if err := securefile.WriteFile(keyOut, append(b, '\n')); err != nil {
					return fmt.Errorf("write key: %w", err)
				}
			} else {
				fmt.Fprintln(cmd.ErrOrStderr(), "qguard: warning: the key was not saved, so results cannot be de-obfuscated\nhint: pass --key-out FILE")
			}
			out := emit(ob)
			if a.json {
				m := ob.Metrics()
				return a.printJSON(cmd, map[string]any{"dialect": dialect, "program": out, "key_file": keyOut, "cx": m.CX, "depth": m.Depth})
			}
			_, err = io.WriteString(cmd.OutOrStdout(), out)
			return err
		},
	}
	cmd.Flags().StringArrayVar(&inputs, "input", nil, "bind an OpenQASM 3 input parameter, name=value (repeatable)")
	cmd.Flags().StringVar(&keyOut, "key-out", "", "write the de-obfuscation key to this file (0600)")
	cmd.Flags().StringVar(&dialect, "dialect", "qasm3", "output dialect: qasm3 or braket")
	return cmd
}
