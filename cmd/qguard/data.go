package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
	"github.com/qguard/qguard/protect"
	"github.com/qguard/qguard/vault"
	"github.com/qguard/qguard/vault/keysource"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func init() { register(newDataCmd) }

func newDataCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Encrypt and decrypt data files (datasets, model parameters) with post-quantum age",
	}
	cmd.AddCommand(newDataEncryptCmd(a), newDataDecryptCmd(a))
	return cmd
}

// dataResult is what `data encrypt|decrypt --json` prints.
type dataResult struct {
	Input  string `json:"input"`
	Output string `json:"output"`
	Bytes  int64  `json:"bytes"` // plaintext bytes
}

func newDataEncryptCmd(a *app) *cobra.Command {
	var (
		recipients []string
		out        string
	)
	cmd := &cobra.Command{
		Use:   "encrypt [-r RECIPIENT]... [-o OUT] FILE|-",
		Short: "Encrypt a file to post-quantum age recipients",
		Long: `Encrypt streams FILE (or - for standard input) through age to post-quantum
recipients (age1pq…, ML-KEM-768 + X25519), in constant memory. Without -r it encrypts to
the vault's own recipient, so that this home's vault identity decrypts it. -r takes a
recipient or a recipients file (one per line) and can be repeated; classical age1…
recipients are refused. The output (default FILE.age; standard output for -) is written
0600 through a temporary file renamed into place.`,
		Example: `  qguard data encrypt train.csv
  qguard data encrypt -r age1pq1… -r team-recipients.txt -o weights.npz.age weights.npz`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := args[0]
			var rs []age.Recipient
			var err error
			if len(recipients) > 0 {
				rs, err = protect.ParseRecipients(recipients)
			} else {
				var id *age.HybridIdentity
				if id, err = a.vaultIdentity(cmd); err == nil {
					rs = []age.Recipient{id.Recipient()}
				}
			}
			if err != nil {
				return err
			}
			if out == "" && in != "-" {
				out = in + ".age"
			}
			n, err := a.transform(cmd, in, out, "encrypting", func(w io.Writer, r io.Reader) (int64, error) {
				return protect.Encrypt(w, r, rs...)
			})
			if err != nil {
				return err
			}
			return a.reportData(cmd, dataResult{Input: in, Output: out, Bytes: n}, "encrypted")
		},
	}
	cmd.Flags().StringArrayVarP(&recipients, "recipient", "r", nil, "age1pq… recipient or recipients file (repeatable; default: the vault's recipient)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "output file (default FILE.age; - for standard output)")
	return cmd
}

func newDataDecryptCmd(a *app) *cobra.Command {
	var (
		identities []string
		out        string
	)
	cmd := &cobra.Command{
		Use:   "decrypt [-i IDENTITY]... [-o OUT] FILE|-",
		Short: "Decrypt an age file with the vault identity or an identity file",
		Long: `Decrypt streams an age file (FILE, or - for standard input) back to plaintext with
the vault's identity, or with the identity files given by -i (age-keygen output; the file
must not be readable by group or others). The output (default FILE without .age;
standard output for -) is written 0600 through a temporary file that is renamed into
place only when the whole file has authenticated: a wrong key, a truncated or modified
file leaves no plaintext behind. Plaintext written to standard output cannot be taken
back: prefer -o for files you did not create.`,
		Example: `  qguard data decrypt train.csv.age
  qguard data decrypt -i ~/.config/age/key.txt -o weights.npz weights.npz.age`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := args[0]
			if out == "" && in != "-" {
				trimmed, ok := strings.CutSuffix(in, ".age")
				if !ok || trimmed == "" {
					return fmt.Errorf("%s does not end in .age: name the output with -o", in)
				}
				out = trimmed
			}
			var ids []age.Identity
			if len(identities) > 0 {
				for _, p := range identities {
					got, err := protect.ReadIdentities(p)
					if err != nil {
						return err
					}
					ids = append(ids, got...)
				}
			} else {
				id, err := a.vaultIdentity(cmd)
				if err != nil {
					return err
				}
				ids = []age.Identity{id}
			}
			n, err := a.transform(cmd, in, out, "decrypting", func(w io.Writer, r io.Reader) (int64, error) {
				return protect.Decrypt(w, r, ids...)
			})
			if errors.Is(err, protect.ErrNoIdentity) {
				return denied(fmt.Errorf("%s: %w", in, err))
			}
			if err != nil {
				return err
			}
			return a.reportData(cmd, dataResult{Input: in, Output: out, Bytes: n}, "decrypted")
		},
	}
	cmd.Flags().StringArrayVarP(&identities, "identity", "i", nil, "age identity file (repeatable; default: the vault's identity)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "output file (default FILE without .age; - for standard output)")
	return cmd
}

// vaultIdentity unlocks the vault's age identity with the configured key
// source.
func (a *app) vaultIdentity(cmd *cobra.Command) (*age.HybridIdentity, error) {
	if !vault.Exists(a.home) {
		return nil, fmt.Errorf("no vault in %s: run qguard init, or pass -r / -i", a.home)
	}
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	src, err := keysource.New(a.home, cfg.Vault, keysource.Options{Passphrase: promptPassphrase})
	if err != nil {
		return nil, err
	}
	id, err := src.Load(cmd.Context())
	if err != nil {
		return nil, fmt.Errorf("unlock vault: %w", err)
	}
	return id, nil
}

// transform runs fn from in to out ("-" or "" meaning the standard
// streams), drawing a progress bar on a terminal for large inputs. A file
// output is written atomically and never overwrites an existing file.
func (a *app) transform(cmd *cobra.Command, in, out, verb string, fn func(io.Writer, io.Reader) (int64, error)) (int64, error) {
	src, size := cmd.InOrStdin(), int64(-1)
	if in != "-" {
		f, err := os.Open(in)
		if err != nil {
			return 0, fmt.Errorf("open input: %w", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
		src = f
	}
	stderr := cmd.ErrOrStderr()
	f, ok := stderr.(*os.File)
	r, finish := protect.WithProgress(src, size, stderr, ok && term.IsTerminal(int(f.Fd())), verb)
	defer finish()
	if out == "" || out == "-" {
		stdout := cmd.OutOrStdout()
		if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) && verb == "encrypting" {
			return 0, fmt.Errorf("refusing to write ciphertext to a terminal: use -o FILE or redirect standard output")
		}
		return fn(stdout, r)
	}
	if _, err := os.Lstat(out); err == nil {
		return 0, fmt.Errorf("%s already exists: remove it or choose another name with -o", out)
	}
	var n int64
	err := protect.WriteAtomic(out, func(w io.Writer) error {
		var err error
		n, err = fn(w, r)
		return err
	})
	return n, err
}

func (a *app) reportData(cmd *cobra.Command, res dataResult, verb string) error {
	if res.Output == "" || res.Output == "-" {
		return nil // the data went to standard output
	}
	if a.json {
		return a.printJSON(cmd, res)
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s → %s (%d bytes)\n", verb, res.Input, res.Output, res.Bytes)
	return err
}
