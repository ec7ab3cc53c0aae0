package main

import (
	"context"
	"fmt"
	"os"

	"github.com/qguard/qguard/vault"
	"github.com/qguard/qguard/vault/keysource"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func init() { register(newInitCmd) }

func newInitCmd(a *app) *cobra.Command {
	var opts vault.InitOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the qguard home, config and an empty credential vault",
		Long: `Create the qguard home (0700), config.yaml and an empty vault.age encrypted to a new
post-quantum age identity (age1pq…). The identity is kept by the key source:
  keyring     the OS keyring (the default when one answers)
  passphrase  identity.age, encrypted with a passphrase (QGUARD_PASSPHRASE or a prompt)
  file        identity, a plain 0600 file (development only; the fallback without a keyring)
A second init refuses; --force moves the existing vault aside into backup-<time>/.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			opts.KeyringTimeout = cfg.Vault.KeyringTimeout
			opts.Passphrase = promptPassphrase
			opts.Warn = func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), "qguard:", msg) }
			if err := vault.Init(a.home, opts); err != nil {
				return err
			}
			a.cfg = nil // init wrote vault.key_source
			cfg, err = a.config()
			if err != nil {
				return err
			}
			out := map[string]string{"home": a.home, "key_source": cfg.Vault.KeySource, "vault": vault.FileName}
			if a.json {
				return a.printJSON(cmd, out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "initialised %s (vault %s, key source %s)\n", a.home, vault.FileName, cfg.Vault.KeySource)
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.KeySource, "key-source", "", "keyring, passphrase or file (default: keyring when it answers, else file)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "move an existing vault aside and create a new one")
	return cmd
}

// promptPassphrase asks on the terminal without echo.
func promptPassphrase(_ context.Context, confirm bool) (string, error) {
	tty, err := openTTY()
	if err != nil {
		return "", fmt.Errorf("the vault key source is passphrase: set QGUARD_PASSPHRASE or run qguard from a terminal")
	}
	defer tty.Close()
	read := func(label string) (string, error) {
		fmt.Fprint(tty, label)
		b, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		return string(b), err
	}
	p, err := read("vault passphrase: ")
	if err != nil || !confirm {
		return p, err
	}
	again, err := read("repeat passphrase: ")
	if err != nil {
		return "", err
	}
	if again != p {
		return "", fmt.Errorf("the passphrases do not match")
	}
	return p, nil
}

// openTTY opens the controlling terminal for prompts that must not come
// from redirected stdin.
func openTTY() (*os.File, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if !term.IsTerminal(int(tty.Fd())) {
		tty.Close()
		return nil, fmt.Errorf("/dev/tty is not a terminal")
	}
	return tty, nil
}

// openVault unlocks the home's vault with the configured key source.
func (a *app) openVault(cmd *cobra.Command) (*vault.Vault, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	src, err := keysource.New(a.home, cfg.Vault, keysource.Options{Passphrase: promptPassphrase})
	if err != nil {
		return nil, err
	}
	return vault.OpenSource(cmd.Context(), a.home, src)
}
