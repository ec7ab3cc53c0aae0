package vault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/vault/keysource"
	"github.com/qguard/qguard/vault/securefile"
)

// InitOptions configure Init.
type InitOptions struct {
	// KeySource is keyring, passphrase or file; "" picks keyring when the OS
	// keyring answers, else file (with a warning through Warn).
	KeySource string
	// Force moves an existing vault and its identity aside into
	// backup-<time>/ in the home and creates a new vault. Nothing is deleted.
	Force bool
	// KeyringTimeout bounds every keyring call (default 3s).
	KeyringTimeout time.Duration
	// Keyring replaces the OS keyring (tests); nil is the real one.
	Keyring keysource.Backend
	// Passphrase asks for a new passphrase when QGUARD_PASSPHRASE is unset.
	Passphrase keysource.PassphraseFunc
	// Warn receives messages the user should see (fallbacks, backups).
	Warn func(msg string)
}

// Init creates home (0700) with a new vault identity kept by the chosen key
// source, an empty vault.age, and vault.key_source set in config.yaml. It
// refuses when a vault exists, unless Force.
func Init(home string, opts InitOptions) error {
	ctx := context.Background()
	warn := opts.Warn
	if warn == nil {
		warn = func(string) {}
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("create home: %w", err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		return err
	}
	lock, err := securefile.LockFile(filepath.Join(home, LockName), true)
	if err != nil {
		return err
	}
	defer lock.Unlock()

	cfgPath := filepath.Join(home, config.FileName)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	vcfg := cfg.Vault
	if opts.KeyringTimeout > 0 {
		vcfg.KeyringTimeout = opts.KeyringTimeout
	}
	vcfg.KeySource = opts.KeySource
	if vcfg.KeySource == "" {
		vcfg.KeySource = keysource.NameKeyring
		if err := keysource.ProbeKeyring(ctx, opts.Keyring, vcfg.KeyringTimeout); err != nil {
			vcfg.KeySource = keysource.NameFile
			warn(fmt.Sprintf("%v\nwarning: falling back to key source file: the vault identity is kept unencrypted in %s (0600); anyone who can read it can read the vault. Use --key-source passphrase on shared machines.",
				err, filepath.Join(home, keysource.IdentityFile)))
		}
	} else if vcfg.KeySource == keysource.NameFile {
		warn(fmt.Sprintf("warning: key source file keeps the vault identity unencrypted in %s (0600): for development only", filepath.Join(home, keysource.IdentityFile)))
	}
	src, err := keysource.New(home, vcfg, keysource.Options{Passphrase: opts.Passphrase, Keyring: opts.Keyring})
	if err != nil {
		return qguard.Errorf(qguard.EINVALID, "%v", err)
	}

	if Exists(home) {
		if !opts.Force {
			return qguard.Errorf(qguard.ECONFLICT, "a vault already exists in %s; qguard init --force moves it aside (nothing is deleted) and creates a new one", home)
		}
		dir, err := backup(home)
		if err != nil {
			return err
		}
		warn(fmt.Sprintf("moved the existing vault and its identity to %s", dir))
	}

	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return err
	}
	if err := src.Store(ctx, id); err != nil {
		return fmt.Errorf("store vault identity: %w", err)
	}
	v := &Vault{home: home, src: src, id: id, now: time.Now}
	if err := v.write(&Document{Format: Format}, id); err != nil {
		return err
	}
	return config.SetVaultKeySource(cfgPath, vcfg.KeySource)
}

// backup moves vault.age and every key source's files into a new
// backup-<time> directory.
func backup(home string) (string, error) {
	dir := filepath.Join(home, "backup-"+time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("back up vault: %w", err)
	}
	for _, name := range []string{FileName, keysource.IdentityFile, keysource.PassphraseFile, keysource.KeyringPointerFile} {
		err := os.Rename(filepath.Join(home, name), filepath.Join(dir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("back up vault: %w", err)
		}
	}
	if err := securefile.SyncDir(home); err != nil {
		return "", err
	}
	return dir, nil
}
