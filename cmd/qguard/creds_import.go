package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/vault"
	"github.com/qguard/qguard/vault/fernet"
	"github.com/spf13/cobra"
)

// importJSON reports one imported credential.
type importJSON struct {
	File     string     `json:"file"`
	Provider string     `json:"provider"`
	Profile  string     `json:"profile"`
	SignedAt *time.Time `json:"signed_at,omitempty"`
	Version  int        `json:"version,omitempty"`
	Dropped  []string   `json:"dropped_fields,omitempty"`
	Error    string     `json:"error,omitempty"`
}

// storeImported stores items from file and reports each; it returns how
// many failed.
func storeImported(a *app, cmd *cobra.Command, v *vault.Vault, file string, items []vault.Imported, report *[]importJSON) int {
	failed := 0
	for _, it := range items {
		r := importJSON{File: file, Provider: it.Provider, Profile: it.Profile, Dropped: it.Dropped}
		if !it.SignedAt.IsZero() {
			t := it.SignedAt
			r.SignedAt = &t
		}
		c, err := v.Put(cmd.Context(), &qguard.Credential{Provider: it.Provider, Profile: it.Profile, Fields: it.Fields})
		if err != nil {
			failed++
			r.Error = err.Error()
			fmt.Fprintf(cmd.ErrOrStderr(), "qguard: %s: %s/%s not imported: %v\n", file, it.Provider, it.Profile, err)
		} else {
			r.Version = c.Version
		}
		*report = append(*report, r)
		if a.json || err != nil {
			continue
		}
		line := fmt.Sprintf("imported %s/%s from %s", it.Provider, it.Profile, file)
		if r.SignedAt != nil {
			line += fmt.Sprintf(" (token signed %s)", r.SignedAt.Format(time.RFC3339))
		}
		if len(it.Dropped) > 0 {
			line += fmt.Sprintf("; ignored fields: %s", strings.Join(it.Dropped, ", "))
		}
		fmt.Fprintln(cmd.OutOrStdout(), line)
	}
	return failed
}

func newCredsImportFernetCmd(a *app) *cobra.Command {
	var keyFile, provider, profile string
	cmd := &cobra.Command{
		Use:   "import-fernet [FILE...]",
		Short: "Import credentials from the Fernet-encrypted files of the Python tool qguard replaces",
		Long: `Import credentials kept by the Python tool qguard replaces:
  ~/.qiskit/encrypted_credentials.json              key ~/.qiskit/credential_key.key
  ~/.quantum-mlops/credentials/<provider>_<user>.enc   key key.key beside them
Without FILE both places are read. Tokens are accepted at any age; each one's timestamp is
reported. The old files are left in place: delete them and the key once you have checked the import.`,
		RunE: func(cmd *cobra.Command, files []string) error {
			if provider != "" {
				if _, err := vault.SchemaFor(provider); err != nil {
					return err
				}
			}
			if len(files) == 0 {
				files = defaultFernetFiles()
				if len(files) == 0 {
					return qguard.Errorf(qguard.ENOTFOUND, "nothing to import: no %s and no %s; name the files to import",
						homePath(".qiskit", "encrypted_credentials.json"), homePath(".quantum-mlops", "credentials", "*.enc"))
				}
			}
			v, err := a.openVault(cmd)
			if err != nil {
				return err
			}
			var report []importJSON
			failed := 0
			for _, f := range files {
				items, err := readFernetFile(f, keyFile)
				if err != nil {
					failed++
					fmt.Fprintf(cmd.ErrOrStderr(), "qguard: %v\n", err)
					report = append(report, importJSON{File: f, Error: err.Error()})
					continue
				}
				for i := range items {
					if provider != "" {
						items[i].Provider = provider
					}
					if profile != "" {
						items[i].Profile = profile
					}
				}
				failed += storeImported(a, cmd, v, f, items, &report)
			}
			if a.json {
				if err := a.printJSON(cmd, report); err != nil {
					return err
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of the credentials were not imported (see above)", failed)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "Fernet key file (default: credential_key.key or key.key beside each file)")
	cmd.Flags().StringVar(&provider, "provider", "", "provider of the imported credentials, when the files do not say")
	cmd.Flags().StringVar(&profile, "profile", "", "profile to store them as (default: from the file)")
	return cmd
}

func defaultFernetFiles() []string {
	var files []string
	if f := homePath(".qiskit", "encrypted_credentials.json"); fileExists(f) {
		files = append(files, f)
	}
	enc, _ := filepath.Glob(homePath(".quantum-mlops", "credentials", "*.enc"))
	return append(files, enc...)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func readFernetFile(file, keyFile string) ([]vault.Imported, error) {
	if keyFile == "" {
		for _, name := range []string{"credential_key.key", "key.key"} {
			if k := filepath.Join(filepath.Dir(file), name); fileExists(k) {
				keyFile = k
				break
			}
		}
		if keyFile == "" {
			return nil, fmt.Errorf("%s: no credential_key.key or key.key beside it: give the key with --key", file)
		}
	}
	keyText, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	key, err := fernet.DecodeKey(string(keyText))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return vault.ParseFernetFile(file, data, key)
}

func newCredsImportQiskitCmd(a *app) *cobra.Command {
	var file string
	var del bool
	cmd := &cobra.Command{
		Use:   "import-qiskit",
		Short: "Import the plain-text IBM accounts of ~/.qiskit/qiskit-ibm.json and offer to delete the file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				file = homePath(".qiskit", "qiskit-ibm.json")
			}
			data, err := os.ReadFile(file)
			if errors.Is(err, os.ErrNotExist) {
				return qguard.Errorf(qguard.ENOTFOUND, "%s does not exist: nothing to import", file)
			}
			if err != nil {
				return err
			}
			items, skipped, err := vault.ParseQiskitAccounts(data)
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			for _, s := range skipped {
				fmt.Fprintf(cmd.ErrOrStderr(), "qguard: skipped account %s\n", s)
			}
			v, err := a.openVault(cmd)
			if err != nil {
				return err
			}
			var report []importJSON
			failed := storeImported(a, cmd, v, file, items, &report)
			if a.json {
				if err := a.printJSON(cmd, report); err != nil {
					return err
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of the accounts were not imported (see above); %s was kept", failed, file)
			}
			if !del && isTerminal(cmd.InOrStdin()) {
				fmt.Fprintf(cmd.ErrOrStderr(), "delete the plain-text file %s now? [y/N] ", file)
				answer, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				del = strings.HasPrefix(strings.ToLower(strings.TrimSpace(answer)), "y")
			}
			if !del {
				fmt.Fprintf(cmd.ErrOrStderr(), "qguard: %s still holds the tokens in plain text: delete it (rm %s) or rerun with --delete\n", file, file)
				return nil
			}
			if err := os.Remove(file); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "qguard: deleted %s\n", file)
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "accounts file (default ~/.qiskit/qiskit-ibm.json)")
	cmd.Flags().BoolVar(&del, "delete", false, "delete the plain-text file after a successful import")
	return cmd
}
