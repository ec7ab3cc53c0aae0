package keysource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/qguard/qguard/vault/securefile"
	"github.com/zalando/go-keyring"
)

// KeyringService is the service name of qguard's entries in the OS keyring.
const KeyringService = "qguard"

// DefaultKeyringTimeout bounds a keyring call when the config gives none.
const DefaultKeyringTimeout = 3 * time.Second

// Backend is the OS keyring, as go-keyring exposes it.
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// goKeyring calls go-keyring's package functions, so that its MockInit
// works in tests.
type goKeyring struct{}

func (goKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (goKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (goKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

// ErrKeyringUnavailable is wrapped when the OS keyring fails or does not
// answer in time.
var ErrKeyringUnavailable = errors.New("the OS keyring is not available")

// Keyring keeps the identity in the OS keyring. A small pointer file in the
// home (identity.keyring) names the keyring account, so that a new identity
// (init --force, rotate-key) gets a new entry and the old one is never
// overwritten before the switch.
type Keyring struct {
	Home    string
	Timeout time.Duration
	Backend Backend // nil: the real keyring
}

func (k *Keyring) Name() string    { return NameKeyring }
func (k *Keyring) Files() []string { return []string{k.pointer()} }
func (k *Keyring) pointer() string { return filepath.Join(k.Home, KeyringPointerFile) }

func (k *Keyring) Load(ctx context.Context) (*age.HybridIdentity, error) {
	data, err := os.ReadFile(k.pointer())
	if errors.Is(err, os.ErrNotExist) {
		return nil, missing(k.Home, NameKeyring, k.pointer())
	}
	if err != nil {
		return nil, err
	}
	account := strings.TrimSpace(string(data))
	secret, err := call(ctx, k.Timeout, func(b Backend) (string, error) { return b.Get(KeyringService, account) }, k.Backend)
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, fmt.Errorf("%w: the OS keyring has no entry %q/%q", ErrNoIdentity, KeyringService, account)
	}
	if err != nil {
		return nil, err
	}
	return parseIdentity([]byte(secret))
}

func (k *Keyring) Store(ctx context.Context, id *age.HybridIdentity) error {
	old, _ := os.ReadFile(k.pointer())
	account := keyringAccount(k.Home, id)
	if _, err := call(ctx, k.Timeout, func(b Backend) (string, error) {
		return "", b.Set(KeyringService, account, string(formatIdentity(id)))
	}, k.Backend); err != nil {
		return err
	}
	if err := securefile.WriteFile(k.pointer(), []byte(account+"\n")); err != nil {
		return err
	}
	if prev := strings.TrimSpace(string(old)); prev != "" && prev != account {
		// The switch is done; a failure here only leaves an unused entry.
		call(ctx, k.Timeout, func(b Backend) (string, error) { return "", b.Delete(KeyringService, prev) }, k.Backend)
	}
	return nil
}

// keyringAccount names the entry after the home and the public key.
func keyringAccount(home string, id *age.HybridIdentity) string {
	if abs, err := filepath.Abs(home); err == nil {
		home = abs
	}
	sum := sha256.Sum256([]byte(id.Recipient().String()))
	return "vault:" + home + ":" + hex.EncodeToString(sum[:6])
}

// ProbeKeyring checks that the OS keyring answers within timeout by
// writing, reading and deleting a test entry.
func ProbeKeyring(ctx context.Context, backend Backend, timeout time.Duration) error {
	const user = "qguard-probe"
	_, err := call(ctx, timeout, func(b Backend) (string, error) {
		if err := b.Set(KeyringService, user, "probe"); err != nil {
			return "", err
		}
		if v, err := b.Get(KeyringService, user); err != nil || v != "probe" {
			return "", fmt.Errorf("read back: %v", err)
		}
		return "", b.Delete(KeyringService, user)
	}, backend)
	return err
}

// call runs f against the keyring with a timeout. Keyring calls can block
// forever (a locked or absent Secret Service); such a call is abandoned.
func call(ctx context.Context, timeout time.Duration, f func(Backend) (string, error), b Backend) (string, error) {
	if b == nil {
		b = goKeyring{}
	}
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f(b)
		done <- result{v, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil && !errors.Is(r.err, keyring.ErrNotFound) {
			return "", fmt.Errorf("%w: %v; use --key-source file or passphrase (vault.key_source in config.yaml)", ErrKeyringUnavailable, r.err)
		}
		return r.v, r.err
	case <-timer.C:
		return "", fmt.Errorf("%w: no answer within %s (no Secret Service on a headless machine?); use --key-source file or passphrase, or raise vault.keyring_timeout", ErrKeyringUnavailable, timeout)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
