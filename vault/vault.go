// Package vault keeps quantum-cloud provider credentials encrypted at rest
// in one age file, vault.age, in the qguard home.
//
// # File layout
//
// vault.age is an age v1 file encrypted to the vault identity's
// post-quantum hybrid recipient (age1pq…, ML-KEM-768 + X25519) and to any
// extra recipients (for example an offline break-glass key). Its plaintext
// is the JSON document [Document]: every credential with its metadata, the
// extra recipients and the internal keys. The identity is kept by a key
// source (package keysource): the OS keyring, identity.age (age scrypt) or
// identity (plain, 0600). Writers hold an exclusive flock on vault.lock and
// replace vault.age atomically; a vault that fails to decrypt is never
// rewritten.
package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/vault/keysource"
	"github.com/qguard/qguard/vault/securefile"
)

// File names in the qguard home.
const (
	FileName = "vault.age"
	LockName = "vault.lock"
)

// Format is the value of Document.Format.
const Format = "qguard-vault/1"

// maxVaultSize bounds what Open reads, so a corrupted length cannot exhaust
// memory.
const maxVaultSize = 64 << 20

// touchInterval throttles the last-used update that Credential writes.
const touchInterval = time.Minute

// Document is the plaintext of vault.age.
type Document struct {
	Format      string               `json:"format"`
	Recipients  []string             `json:"recipients,omitempty"` // extra recipients besides the identity's
	Credentials []*qguard.Credential `json:"credentials"`
	Internal    map[string][]byte    `json:"internal,omitempty"` // internal keys, base64 in JSON
}

// ErrDamaged is wrapped by the error for a vault that does not decrypt or
// decode.
var ErrDamaged = errors.New("vault is damaged")

// Vault is an opened vault. Every call reads vault.age afresh, so several
// processes may share one home.
type Vault struct {
	home string
	src  keysource.Source
	id   *age.HybridIdentity
	now  func() time.Time
}

// Exists reports whether home holds a vault.
func Exists(home string) bool {
	_, err := os.Stat(filepath.Join(home, FileName))
	return err == nil
}

// Open unlocks the vault in home with the key source named in cfg (a
// passphrase comes from QGUARD_PASSPHRASE) and checks that it decrypts.
func Open(ctx context.Context, home string, cfg config.Vault) (*Vault, error) {
	src, err := keysource.New(home, cfg, keysource.Options{})
	if err != nil {
		return nil, err
	}
	return OpenSource(ctx, home, src)
}

// OpenSource is Open with an explicit key source (the CLI passes one that
// can prompt).
func OpenSource(ctx context.Context, home string, src keysource.Source) (*Vault, error) {
	if !Exists(home) {
		return nil, qguard.Errorf(qguard.ENOTFOUND, "no vault in %s: run qguard init", home)
	}
	id, err := src.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("unlock vault: %w", err)
	}
	v := &Vault{home: home, src: src, id: id, now: time.Now}
	if _, err := v.read(); err != nil {
		return nil, err
	}
	return v, nil
}

// Recipient returns the vault identity's public key (age1pq…).
func (v *Vault) Recipient() string { return v.id.Recipient().String() }

// KeySource returns the name of the key source that unlocked the vault.
func (v *Vault) KeySource() string { return v.src.Name() }

func (v *Vault) path() string { return filepath.Join(v.home, FileName) }

// read decrypts vault.age. Writers replace the file atomically, so no lock
// is needed.
func (v *Vault) read() (*Document, error) {
	data, err := securefile.ReadFile(v.path())
	if err != nil {
		return nil, fmt.Errorf("read vault: %w", err)
	}
	return Decode(data, v.id)
}

// Decode decrypts and parses a vault file.
func Decode(data []byte, ids ...age.Identity) (*Document, error) {
	r, err := age.Decrypt(bytes.NewReader(data), ids...)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, fmt.Errorf("%w: %s is not encrypted to this identity, or its header was altered; it was left unchanged: restore it from a backup or use the right key source", ErrDamaged, FileName)
	}
	if err != nil {
		return nil, damaged(err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxVaultSize+1))
	if err != nil {
		return nil, damaged(err)
	}
	if len(plain) > maxVaultSize {
		return nil, damaged(errors.New("too large"))
	}
	var doc Document
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, damaged(fmt.Errorf("decode: %w", err))
	}
	if doc.Format != Format {
		return nil, damaged(fmt.Errorf("unknown format %q", doc.Format))
	}
	for _, c := range doc.Credentials {
		if c == nil || c.Provider == "" || c.Profile == "" {
			return nil, damaged(errors.New("credential without provider or profile"))
		}
	}
	return &doc, nil
}

func damaged(err error) error {
	return fmt.Errorf("%w: %s failed to decrypt or decode (%v): it is truncated or was tampered with; it was left unchanged: restore it from a backup", ErrDamaged, FileName, err)
}

// encode encrypts doc to the identity's recipient and doc.Recipients. The
// identity's own recipient is dropped from doc.Recipients (it is left there
// by a rotation interrupted after the key source switched).
func encode(doc *Document, id *age.HybridIdentity) ([]byte, error) {
	own := id.Recipient().String()
	doc.Recipients = slices.DeleteFunc(doc.Recipients, func(r string) bool { return r == own })
	rcps := []age.Recipient{id.Recipient()}
	for _, s := range doc.Recipients {
		r, err := parseRecipient(s)
		if err != nil {
			return nil, err
		}
		rcps = append(rcps, r)
	}
	plain, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcps...)
	if err != nil {
		return nil, fmt.Errorf("encrypt vault: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func parseRecipient(s string) (*age.HybridRecipient, error) {
	r, err := age.ParseHybridRecipient(s)
	if err != nil {
		return nil, qguard.Errorf(qguard.EINVALID, "recipient %q is not a post-quantum age recipient (age1pq…; create one with age-keygen -pq): %v", s, err)
	}
	return r, nil
}

// update runs fn on the current document under the exclusive lock and
// writes the result. A document that fails to decrypt is never replaced.
func (v *Vault) update(fn func(*Document) error) error {
	lock, err := securefile.LockFile(filepath.Join(v.home, LockName), true)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	doc, err := v.read()
	if err != nil {
		return err
	}
	if err := fn(doc); err != nil {
		return err
	}
	removeStaleTemps(v.home)
	return v.write(doc, v.id)
}

// removeStaleTemps deletes temp files left by writers that were killed
// before their rename. Only lock holders write vault temps, so under the
// lock every one of them is stale. They are encrypted; this is tidiness.
func removeStaleTemps(home string) {
	stale, _ := filepath.Glob(filepath.Join(home, "."+FileName+".tmp-*"))
	for _, f := range stale {
		os.Remove(f)
	}
}

func (v *Vault) write(doc *Document, id *age.HybridIdentity) error {
	data, err := encode(doc, id)
	if err != nil {
		return err
	}
	if err := securefile.WriteFile(v.path(), data); err != nil {
		return fmt.Errorf("write vault: %w", err)
	}
	return nil
}

func (d *Document) find(provider, profile string) (int, *qguard.Credential) {
	for i, c := range d.Credentials {
		if c.Provider == provider && c.Profile == profile {
			return i, c
		}
	}
	return -1, nil
}

func notFound(provider, profile string) error {
	return qguard.Errorf(qguard.ENOTFOUND, "no credential for %s profile %s: store one with qguard creds store %s --profile %s", provider, profile, provider, profile)
}

// Credential returns the credential of provider and profile, with secrets,
// and records its use. It returns ENOTFOUND when there is none. It
// implements qguard.CredentialSource.
func (v *Vault) Credential(ctx context.Context, provider, profile string) (*qguard.Credential, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	doc, err := v.read()
	if err != nil {
		return nil, err
	}
	_, c := doc.find(provider, profile)
	if c == nil {
		return nil, notFound(provider, profile)
	}
	now := v.now().UTC()
	if c.LastUsed == nil || now.Sub(*c.LastUsed) >= touchInterval {
		// Best effort: a read must not fail because the use was not recorded.
		_ = v.update(func(d *Document) error {
			if _, c := d.find(provider, profile); c != nil {
				c.LastUsed = &now
			}
			return nil
		})
		c.LastUsed = &now
	}
	return clone(c, true), nil
}

var _ qguard.CredentialSource = (*Vault)(nil)

// List returns every credential's metadata and non-secret fields (secret
// fields are left out), sorted by provider and profile.
func (v *Vault) List(ctx context.Context) ([]*qguard.Credential, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	doc, err := v.read()
	if err != nil {
		return nil, err
	}
	out := make([]*qguard.Credential, 0, len(doc.Credentials))
	for _, c := range doc.Credentials {
		out = append(out, clone(c, false))
	}
	slices.SortFunc(out, func(a, b *qguard.Credential) int {
		return strings.Compare(a.Provider+"\x00"+a.Profile, b.Provider+"\x00"+b.Profile)
	})
	return out, nil
}

func clone(c *qguard.Credential, secrets bool) *qguard.Credential {
	out := *c
	out.Fields = map[string]string{}
	s, _ := SchemaFor(c.Provider)
	for k, val := range c.Fields {
		if secrets || (s != nil && !s.IsSecret(k)) {
			out.Fields[k] = val
		}
	}
	if c.LastUsed != nil {
		t := *c.LastUsed
		out.LastUsed = &t
	}
	return &out
}

// Put validates c.Fields against the provider's schema and stores them as
// the profile's new fields (replacing the old ones). It keeps CreatedAt,
// increments Version, and sets LastRotated when a secret field changed. It
// returns the stored credential without secrets.
func (v *Vault) Put(ctx context.Context, c *qguard.Credential) (*qguard.Credential, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, err := SchemaFor(c.Provider)
	if err != nil {
		return nil, err
	}
	if err := checkProfile(c.Profile); err != nil {
		return nil, err
	}
	fields, err := s.Validate(c.Fields)
	if err != nil {
		return nil, err
	}
	var stored *qguard.Credential
	err = v.update(func(d *Document) error {
		now := v.now().UTC()
		_, old := d.find(c.Provider, c.Profile)
		if old == nil {
			old = &qguard.Credential{Provider: c.Provider, Profile: c.Profile, CreatedAt: now, LastRotated: now}
			d.Credentials = append(d.Credentials, old)
		} else if secretsChanged(s, old.Fields, fields) {
			old.LastRotated = now
		}
		old.Fields = fields
		old.Version++
		old.UpdatedAt = now
		stored = clone(old, false)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}

func secretsChanged(s *Schema, old, new map[string]string) bool {
	for _, f := range s.Fields {
		if f.Secret && old[f.Name] != new[f.Name] {
			return true
		}
	}
	return false
}

// Delete removes a credential; ENOTFOUND when there is none.
func (v *Vault) Delete(ctx context.Context, provider, profile string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return v.update(func(d *Document) error {
		i, _ := d.find(provider, profile)
		if i < 0 {
			return notFound(provider, profile)
		}
		d.Credentials = slices.Delete(d.Credentials, i, i+1)
		return nil
	})
}

var internalName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// InternalKey returns the 32-byte random key stored under name, creating it
// on first use. Internal keys never appear in List or Credential.
func (v *Vault) InternalKey(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !internalName.MatchString(name) {
		return nil, qguard.Errorf(qguard.EINVALID, "invalid internal key name %q", name)
	}
	doc, err := v.read()
	if err != nil {
		return nil, err
	}
	if k, ok := doc.Internal[name]; ok && len(k) == 32 {
		return bytes.Clone(k), nil
	}
	var key []byte
	err = v.update(func(d *Document) error {
		if k, ok := d.Internal[name]; ok && len(k) == 32 { // created meanwhile by another process
			key = bytes.Clone(k)
			return nil
		}
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		if d.Internal == nil {
			d.Internal = map[string][]byte{}
		}
		d.Internal[name] = bytes.Clone(key)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return key, nil
}

// Recipients returns the extra recipients (not the identity's own).
func (v *Vault) Recipients(ctx context.Context) ([]string, error) {
	doc, err := v.read()
	if err != nil {
		return nil, err
	}
	return slices.Clone(doc.Recipients), nil
}

// AddRecipient adds an extra post-quantum recipient (age1pq…): whoever holds
// its identity can decrypt vault.age with age alone.
func (v *Vault) AddRecipient(ctx context.Context, recipient string) error {
	recipient = strings.TrimSpace(recipient)
	if _, err := parseRecipient(recipient); err != nil {
		return err
	}
	if recipient == v.Recipient() {
		return qguard.Errorf(qguard.ECONFLICT, "%s is the vault's own recipient", recipient)
	}
	return v.update(func(d *Document) error {
		if slices.Contains(d.Recipients, recipient) {
			return qguard.Errorf(qguard.ECONFLICT, "recipient is already present")
		}
		d.Recipients = append(d.Recipients, recipient)
		return nil
	})
}

// RemoveRecipient removes an extra recipient. Copies of vault.age made
// before stay decryptable by it: rotate the credentials if its key leaked.
func (v *Vault) RemoveRecipient(ctx context.Context, recipient string) error {
	recipient = strings.TrimSpace(recipient)
	return v.update(func(d *Document) error {
		i := slices.Index(d.Recipients, recipient)
		if i < 0 {
			return qguard.Errorf(qguard.ENOTFOUND, "recipient %s is not in the vault", recipient)
		}
		d.Recipients = slices.Delete(d.Recipients, i, i+1)
		return nil
	})
}

// RotateKey creates a new identity, re-encrypts the vault to it and stores
// it in the key source; the old identity is removed only after that
// succeeded. A crash at any step leaves a vault that one of the two
// identities opens. It returns the new recipient.
func (v *Vault) RotateKey(ctx context.Context) (string, error) {
	newID, err := age.GenerateHybridIdentity()
	if err != nil {
		return "", err
	}
	lock, err := securefile.LockFile(filepath.Join(v.home, LockName), true)
	if err != nil {
		return "", err
	}
	defer lock.Unlock()
	doc, err := v.read()
	if err != nil {
		return "", err
	}
	// 1. Encrypt to both identities, so the key source may switch at any time.
	both := *doc
	both.Recipients = append(slices.Clone(doc.Recipients), newID.Recipient().String())
	if err := v.write(&both, v.id); err != nil {
		return "", err
	}
	// 2. Switch the key source (atomic; the keyring drops the old entry).
	if err := v.src.Store(ctx, newID); err != nil {
		if werr := v.write(doc, v.id); werr != nil { // drop the unused new recipient
			return "", fmt.Errorf("store new identity: %w (and restore the vault: %v)", err, werr)
		}
		return "", fmt.Errorf("store new identity: %w; the vault still opens with the old identity", err)
	}
	// 3. Encrypt to the new identity only.
	v.id = newID
	if err := v.write(doc, newID); err != nil {
		return "", err
	}
	return newID.Recipient().String(), nil
}
