package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/vault"
	"github.com/qguard/qguard/vault/securefile"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Rule for this file: a secret never reaches argv, stdout (unless --reveal)
// or an error message.

func init() { register(newCredsCmd) }

func newCredsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "creds",
		Short: "Manage provider credentials in the encrypted vault",
		Long: "Manage quantum-cloud provider credentials in vault.age. Providers: " + strings.Join(vault.Providers(), ", ") + `.
Secrets are read from stdin (JSON or KEY=VALUE lines), a no-echo prompt, a file or the
providers' environment variables, never from the command line.`,
	}
	cmd.AddCommand(newCredsStoreCmd(a), newCredsListCmd(a), newCredsGetCmd(a), newCredsDeleteCmd(a),
		newCredsRotateKeyCmd(a), newCredsAddRecipientCmd(a), newCredsRemoveRecipientCmd(a), newCredsRecipientsCmd(a),
		newCredsImportFernetCmd(a), newCredsImportQiskitCmd(a))
	return cmd
}

func newCredsStoreCmd(a *app) *cobra.Command {
	var profile, fromFile, envFile string
	var fromEnv bool
	cmd := &cobra.Command{
		Use:   "store PROVIDER",
		Short: "Store a provider credential (secrets from stdin, a prompt, a file or the environment)",
		Long: `Store the fields of a provider credential as profile --profile, replacing its previous fields.
Fields come from --from-file (a file, or - for stdin), --from-env (the providers' own variables
such as QISKIT_IBM_TOKEN, AWS_ACCESS_KEY_ID, IONQ_API_KEY, and a .env file), or else stdin
(JSON or KEY=VALUE lines) or, on a terminal, a prompt that does not echo secrets.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			schema, err := vault.SchemaFor(args[0])
			if err != nil {
				return err
			}
			fields := map[string]string{}
			if fromEnv {
				dotenv, err := readDotEnv(envFile)
				if err != nil {
					return err
				}
				fields = vault.FieldsFromEnv(schema, os.LookupEnv, dotenv)
			}
			switch {
			case fromFile != "":
				data, err := readInput(cmd, fromFile)
				if err != nil {
					return err
				}
				parsed, err := vault.ParseFields(data)
				if err != nil {
					return fmt.Errorf("%s: %w", fromFile, err)
				}
				for k, v := range parsed {
					fields[k] = v
				}
			case fromEnv:
			case isTerminal(cmd.InOrStdin()):
				if fields, err = promptFields(schema); err != nil {
					return err
				}
			default:
				data, err := readStdin(cmd)
				if err != nil {
					return fmt.Errorf("read stdin: %w", err)
				}
				if fields, err = vault.ParseFields(data); err != nil {
					return fmt.Errorf("stdin: %w", err)
				}
			}
			if len(fields) == 0 {
				return qguard.Errorf(qguard.EINVALID, "no fields given for %s: pipe JSON or KEY=VALUE lines to stdin, or use --from-file or --from-env", schema.Provider)
			}
			v, err := a.openVault(cmd)
			if err != nil {
				return err
			}
			c, err := v.Put(cmd.Context(), &qguard.Credential{Provider: schema.Provider, Profile: profile, Fields: fields})
			if err != nil {
				return err
			}
			return printOutcome(a, cmd, credentialView(c, nil, 0), "stored %s/%s (version %d)\n", c.Provider, c.Profile, c.Version)
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "default", "profile name")
	cmd.Flags().StringVar(&fromFile, "from-file", "", "read fields from this file (JSON or KEY=VALUE lines); - is stdin")
	cmd.Flags().BoolVar(&fromEnv, "from-env", false, "read fields from the providers' environment variables and a .env file")
	cmd.Flags().StringVar(&envFile, "env-file", ".env", "the .env file read by --from-env (lower priority than the environment)")
	return cmd
}

// readStdin reads at most 1 MiB and a byte, so that the parser sees an
// oversized input as such instead of a silently cut one.
func readStdin(cmd *cobra.Command) ([]byte, error) {
	return io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20+1))
}

func readInput(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return readStdin(cmd)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if err := securefile.CheckMode(name); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "qguard: warning: %s holds secrets and others can read it: delete it once stored\n", name)
	}
	return data, nil
}

func readDotEnv(name string) (map[string]string, error) {
	data, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := vault.ParseFields(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// promptFields asks for each field on the terminal; secrets without echo.
func promptFields(s *vault.Schema) (map[string]string, error) {
	tty, err := openTTY()
	if err != nil {
		return nil, err
	}
	defer tty.Close()
	in := bufio.NewReader(tty)
	out := map[string]string{}
	for _, f := range s.Fields {
		label := f.Name
		if !f.Required {
			label += " (optional)"
		}
		fmt.Fprintf(tty, "%s — %s: ", label, f.Help)
		var v string
		if f.Secret {
			b, err := term.ReadPassword(int(tty.Fd()))
			fmt.Fprintln(tty)
			if err != nil {
				return nil, err
			}
			v = string(b)
		} else {
			line, err := in.ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			v = line
		}
		if v = strings.TrimSpace(v); v != "" {
			out[f.Name] = v
		}
	}
	return out, nil
}

// credentialJSON is what list, get and store print with --json.
type credentialJSON struct {
	Provider    string            `json:"provider"`
	Profile     string            `json:"profile"`
	Version     int               `json:"version"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	LastRotated time.Time         `json:"last_rotated"`
	LastUsed    *time.Time        `json:"last_used,omitempty"`
	AgeDays     int               `json:"age_days"`
	RotationDue bool              `json:"rotation_due"`
	Fields      map[string]string `json:"fields"`
}

// credentialView shows c; secret fields are masked unless reveal, and
// dropped when c came from List (they are absent). rotationDays 0: no check.
func credentialView(c *qguard.Credential, shown map[string]string, rotationDays int) credentialJSON {
	if shown == nil {
		shown = c.Fields
	}
	age := int(time.Since(c.LastRotated).Hours() / 24)
	return credentialJSON{
		Provider: c.Provider, Profile: c.Profile, Version: c.Version,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, LastRotated: c.LastRotated, LastUsed: c.LastUsed,
		AgeDays: age, RotationDue: rotationDays > 0 && age >= rotationDays, Fields: shown,
	}
}

// openVaultFor checks the provider name, then opens the vault (which may
// prompt for its passphrase: a typo should not cost one).
func (a *app) openVaultFor(cmd *cobra.Command, provider string) (*vault.Schema, *vault.Vault, error) {
	schema, err := vault.SchemaFor(provider)
	if err != nil {
		return nil, nil, err
	}
	v, err := a.openVault(cmd)
	return schema, v, err
}

func newCredsListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List stored credentials (no secrets) with their age",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := a.openVault(cmd)
			if err != nil {
				return err
			}
			creds, err := v.List(cmd.Context())
			if err != nil {
				return err
			}
			days := a.cfg.Vault.RotationDays
			views := make([]credentialJSON, 0, len(creds))
			for _, c := range creds {
				cv := credentialView(c, nil, days)
				views = append(views, cv)
				if cv.RotationDue {
					fmt.Fprintf(cmd.ErrOrStderr(), "qguard: warning: %s/%s was last rotated %d days ago (rotation period %d days): create a new key at the provider and run qguard creds store %s --profile %s\n",
						c.Provider, c.Profile, cv.AgeDays, days, c.Provider, c.Profile)
				}
			}
			if a.json {
				return a.printJSON(cmd, views)
			}
			if len(views) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no credentials stored")
				return nil
			}
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "PROVIDER\tPROFILE\tVERSION\tAGE\tLAST USED")
			for _, cv := range views {
				used := "never"
				if cv.LastUsed != nil {
					used = cv.LastUsed.Format(time.DateTime)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%dd\t%s\n", cv.Provider, cv.Profile, cv.Version, cv.AgeDays, used)
			}
			return tw.Flush()
		},
	}
}

// mask shows the first 4 characters and the length; short values show
// only the length.
func mask(v string) string {
	r := []rune(v)
	if len(r) < 12 {
		return fmt.Sprintf("**** (%d chars)", len(r))
	}
	return fmt.Sprintf("%s… (%d chars)", string(r[:4]), len(r))
}

func newCredsGetCmd(a *app) *cobra.Command {
	var profile string
	var reveal bool
	cmd := &cobra.Command{
		Use:   "get PROVIDER",
		Short: "Show a credential, secrets masked unless --reveal",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			schema, v, err := a.openVaultFor(cmd, args[0])
			if err != nil {
				return err
			}
			c, err := v.Credential(cmd.Context(), schema.Provider, profile)
			if err != nil {
				return err
			}
			shown := map[string]string{}
			for k, val := range c.Fields {
				if schema.IsSecret(k) && !reveal {
					val = mask(val)
				}
				shown[k] = val
			}
			view := credentialView(c, shown, a.cfg.Vault.RotationDays)
			if a.json {
				return a.printJSON(cmd, view)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s/%s version %d, last rotated %s (%d days ago)\n", c.Provider, c.Profile, c.Version, c.LastRotated.Format(time.DateTime), view.AgeDays)
			names := make([]string, 0, len(shown))
			for k := range shown {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				fmt.Fprintf(w, "  %s: %s\n", k, shown[k])
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "default", "profile name")
	cmd.Flags().BoolVar(&reveal, "reveal", false, "print secret fields in clear")
	return cmd
}

func newCredsDeleteCmd(a *app) *cobra.Command {
	var profile string
	cmd := &cobra.Command{
		Use:   "delete PROVIDER",
		Short: "Delete a credential",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			schema, v, err := a.openVaultFor(cmd, args[0])
			if err != nil {
				return err
			}
			if err := v.Delete(cmd.Context(), schema.Provider, profile); err != nil {
				return err
			}
			return printOutcome(a, cmd, map[string]string{"deleted": schema.Provider + "/" + profile}, "deleted %s/%s\n", schema.Provider, profile)
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "default", "profile name")
	return cmd
}

func newCredsRotateKeyCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-key",
		Short: "Create a new vault identity and re-encrypt the vault to it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := a.openVault(cmd)
			if err != nil {
				return err
			}
			r, err := v.RotateKey(cmd.Context())
			if err != nil {
				return err
			}
			return printOutcome(a, cmd, map[string]string{"recipient": r, "key_source": v.KeySource()},
				"rotated the vault identity (key source %s); new recipient %s\n", v.KeySource(), r)
		},
	}
}

func newCredsAddRecipientCmd(a *app) *cobra.Command {
	return newCredsRecipientChangeCmd(a, "add-recipient", "Also encrypt the vault to another age post-quantum recipient (e.g. an offline break-glass key)",
		(*vault.Vault).AddRecipient, "", "added recipient")
}

func newCredsRemoveRecipientCmd(a *app) *cobra.Command {
	return newCredsRecipientChangeCmd(a, "remove-recipient", "Stop encrypting the vault to an extra recipient",
		(*vault.Vault).RemoveRecipient,
		"qguard: note: copies of vault.age made before stay readable with that key; rotate the credentials if it leaked",
		"removed recipient")
}

// newCredsRecipientChangeCmd changes the vault's extra recipients, prints
// note (if any) on stderr, then the recipients now in use.
func newCredsRecipientChangeCmd(a *app, verb, short string, change func(*vault.Vault, context.Context, string) error, note, what string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " AGE1PQ-RECIPIENT",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := a.openVault(cmd)
			if err != nil {
				return err
			}
			if err := change(v, cmd.Context(), args[0]); err != nil {
				return err
			}
			if note != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), note)
			}
			return printRecipients(a, cmd, v, what)
		},
	}
}

func newCredsRecipientsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "recipients",
		Short: "List the vault's age recipients",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := a.openVault(cmd)
			if err != nil {
				return err
			}
			return printRecipients(a, cmd, v, "")
		},
	}
}

func printRecipients(a *app, cmd *cobra.Command, v *vault.Vault, what string) error {
	extra, err := v.Recipients(cmd.Context())
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(cmd, map[string]any{"identity": v.Recipient(), "extra": extra})
	}
	w := cmd.OutOrStdout()
	if what != "" {
		fmt.Fprintln(w, what)
	}
	fmt.Fprintf(w, "identity (%s): %s\n", v.KeySource(), v.Recipient())
	for _, r := range extra {
		fmt.Fprintf(w, "extra: %s\n", r)
	}
	return nil
}

// userHome is $HOME, where other tools keep their files.
func userHome() string {
	h, _ := os.UserHomeDir()
	return h
}

func homePath(parts ...string) string {
	return filepath.Join(append([]string{userHome()}, parts...)...)
}
