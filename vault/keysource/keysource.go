// Package keysource keeps the vault's age identity: in the OS keyring, in a
// passphrase-encrypted file (identity.age, age scrypt), or in a plain 0600
// file (identity, for development).
package keysource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/vault/securefile"
)

// Names of the key sources, as in config (vault.key_source) and
// `qguard init --key-source`.
const (
	NameKeyring    = "keyring"
	NamePassphrase = "passphrase"
	NameFile       = "file"
)

// File names in the qguard home.
const (
	IdentityFile          = "identity"          // file source
	PassphraseFile        = "identity.age"      // passphrase source
	KeyringPointerFile    = "identity.keyring"  // keyring source: the account that holds the identity
	passphraseEnv         = "QGUARD_PASSPHRASE" // read by PassphraseFromEnv
	maxIdentityFileLength = 64 << 10
)

// Source keeps one age identity.
type Source interface {
	// Name is keyring, passphrase or file.
	Name() string
	// Load returns the stored identity.
	Load(ctx context.Context) (*age.HybridIdentity, error)
	// Store replaces the stored identity atomically: after a crash either
	// the old or the new one is there.
	Store(ctx context.Context, id *age.HybridIdentity) error
	// Files lists the files in the home that belong to this source, so that
	// `init --force` can move them aside instead of destroying them.
	Files() []string
}

// PassphraseFunc returns the passphrase. confirm asks twice (a new
// passphrase).
type PassphraseFunc func(ctx context.Context, confirm bool) (string, error)

// Options are what New needs beyond the home and config.
type Options struct {
	// Passphrase is asked when QGUARD_PASSPHRASE is unset; nil means the
	// environment variable is the only way.
	Passphrase PassphraseFunc
	// Keyring is the OS keyring; nil means the real one (go-keyring).
	Keyring Backend
}

// New returns the key source named by cfg.KeySource for home.
func New(home string, cfg config.Vault, opts Options) (Source, error) {
	switch cfg.KeySource {
	case NameKeyring:
		return &Keyring{Home: home, Timeout: cfg.KeyringTimeout, Backend: opts.Keyring}, nil
	case NamePassphrase:
		return &Passphrase{Path: filepath.Join(home, PassphraseFile), Passphrase: PassphraseFromEnv(opts.Passphrase)}, nil
	case NameFile:
		return &File{Path: filepath.Join(home, IdentityFile)}, nil
	default:
		return nil, fmt.Errorf("unknown vault key source %q: use keyring, passphrase or file", cfg.KeySource)
	}
}

// Detect returns the name of the key source whose files exist in home, or
// "" when there is none. It helps explain a config that names the wrong one.
func Detect(home string) string {
	for _, c := range []struct{ file, name string }{
		{KeyringPointerFile, NameKeyring}, {PassphraseFile, NamePassphrase}, {IdentityFile, NameFile},
	} {
		if _, err := os.Stat(filepath.Join(home, c.file)); err == nil {
			return c.name
		}
	}
	return ""
}

// ErrNoIdentity is wrapped when a source holds no identity.
var ErrNoIdentity = errors.New("no vault identity")

func missing(home, source, file string) error {
	hint := ""
	if other := Detect(home); other != "" && other != source {
		hint = fmt.Sprintf("; this home uses key source %q: set vault.key_source: %s in %s", other, other, filepath.Join(home, config.FileName))
	} else if other == "" {
		hint = "; run qguard init"
	}
	return fmt.Errorf("%w: %s does not exist%s", ErrNoIdentity, file, hint)
}

// parseIdentity reads a hybrid identity from text (comments allowed).
func parseIdentity(text []byte) (*age.HybridIdentity, error) {
	ids, err := age.ParseIdentities(bytes.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("parse vault identity: %w", err)
	}
	if len(ids) != 1 {
		return nil, fmt.Errorf("parse vault identity: want one identity, found %d", len(ids))
	}
	id, ok := ids[0].(*age.HybridIdentity)
	if !ok {
		return nil, errors.New("parse vault identity: not a post-quantum (AGE-SECRET-KEY-PQ-) identity")
	}
	return id, nil
}

func formatIdentity(id *age.HybridIdentity) []byte {
	return []byte("# qguard vault identity; public key: " + id.Recipient().String() + "\n" + id.String() + "\n")
}

// File keeps the identity in a plain 0600 file. Anyone who can read the file
// can read the vault: for development only.
type File struct{ Path string }

func (f *File) Name() string    { return NameFile }
func (f *File) Files() []string { return []string{f.Path} }

func (f *File) Load(context.Context) (*age.HybridIdentity, error) {
	data, err := securefile.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, missing(filepath.Dir(f.Path), NameFile, f.Path)
	}
	if err != nil {
		return nil, err
	}
	return parseIdentity(data)
}

func (f *File) Store(_ context.Context, id *age.HybridIdentity) error {
	return securefile.WriteFile(f.Path, formatIdentity(id))
}

// ScryptWorkFactor is log2 of the scrypt cost for a new identity.age (age's
// default, about a second). Tests lower it.
var ScryptWorkFactor = 18

// ErrWrongPassphrase is returned when identity.age does not open with the
// passphrase.
var ErrWrongPassphrase = errors.New("wrong passphrase: identity.age does not decrypt with it (check QGUARD_PASSPHRASE)")

// Passphrase keeps the identity in an age scrypt-encrypted file.
type Passphrase struct {
	Path       string
	Passphrase PassphraseFunc
}

func (p *Passphrase) Name() string    { return NamePassphrase }
func (p *Passphrase) Files() []string { return []string{p.Path} }

func (p *Passphrase) Load(ctx context.Context) (*age.HybridIdentity, error) {
	data, err := securefile.ReadFile(p.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, missing(filepath.Dir(p.Path), NamePassphrase, p.Path)
	}
	if err != nil {
		return nil, err
	}
	pass, err := p.Passphrase(ctx, false)
	if err != nil {
		return nil, err
	}
	sid, err := age.NewScryptIdentity(pass)
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(data), sid)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, ErrWrongPassphrase
	}
	if err != nil {
		return nil, fmt.Errorf("%s is damaged: %w", p.Path, err)
	}
	text, err := readLimited(r)
	if err != nil {
		return nil, fmt.Errorf("%s is damaged: %w", p.Path, err)
	}
	return parseIdentity(text)
}

func (p *Passphrase) Store(ctx context.Context, id *age.HybridIdentity) error {
	pass, err := p.Passphrase(ctx, true)
	if err != nil {
		return err
	}
	if pass == "" {
		return errors.New("the passphrase is empty")
	}
	rcp, err := age.NewScryptRecipient(pass)
	if err != nil {
		return err
	}
	rcp.SetWorkFactor(ScryptWorkFactor)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcp)
	if err != nil {
		return err
	}
	if _, err := w.Write(formatIdentity(id)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return securefile.WriteFile(p.Path, buf.Bytes())
}

func readLimited(r io.Reader) ([]byte, error) {
	text, err := io.ReadAll(io.LimitReader(r, maxIdentityFileLength+1))
	if err != nil {
		return nil, err
	}
	if len(text) > maxIdentityFileLength {
		return nil, errors.New("identity is too large")
	}
	return text, nil
}

// PassphraseFromEnv returns a PassphraseFunc that reads QGUARD_PASSPHRASE
// and otherwise calls prompt (nil: no prompt available).
func PassphraseFromEnv(prompt PassphraseFunc) PassphraseFunc {
	return func(ctx context.Context, confirm bool) (string, error) {
		if v := os.Getenv(passphraseEnv); v != "" {
			return strings.TrimRight(v, "\r\n"), nil
		}
		if prompt == nil {
			return "", errors.New("the vault is passphrase-protected: set QGUARD_PASSPHRASE or run qguard from a terminal")
		}
		return prompt(ctx, confirm)
	}
}
