package keysource

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/zalando/go-keyring"
)

// hangingKeyring never answers, like a Secret Service waiting for an unlock
// prompt nobody sees.
type hangingKeyring struct{ release chan struct{} }

func (h hangingKeyring) Get(string, string) (string, error) { <-h.release; return "", nil }
func (h hangingKeyring) Set(string, string, string) error   { <-h.release; return nil }
func (h hangingKeyring) Delete(string, string) error        { <-h.release; return nil }

func newHanging(t *testing.T) hangingKeyring {
	h := hangingKeyring{release: make(chan struct{})}
	t.Cleanup(func() { close(h.release) })
	return h
}

func TestKeyringStoreLoadWithMock(t *testing.T) {
	keyring.MockInit()
	ctx := context.Background()
	home := t.TempDir()
	k := &Keyring{Home: home, Timeout: time.Second}
	id, _ := age.GenerateHybridIdentity()
	if err := k.Store(ctx, id); err != nil {
		t.Fatal(err)
	}
	got, err := k.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != id.String() {
		t.Error("loaded a different identity")
	}
	// The pointer file names the entry but holds no secret.
	ptr, _ := os.ReadFile(filepath.Join(home, KeyringPointerFile))
	if strings.Contains(string(ptr), "AGE-SECRET-KEY") || !strings.HasPrefix(string(ptr), "vault:") {
		t.Errorf("pointer file %q", ptr)
	}
	// A new identity gets a new entry and the old one is deleted after the switch.
	oldAccount := strings.TrimSpace(string(ptr))
	id2, _ := age.GenerateHybridIdentity()
	if err := k.Store(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if got, _ := k.Load(ctx); got.String() != id2.String() {
		t.Error("second identity not loaded")
	}
	if _, err := keyring.Get(KeyringService, oldAccount); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("old entry still present: %v", err)
	}
	// A missing entry is reported as such.
	keyring.Delete(KeyringService, keyringAccount(home, id2))
	if _, err := k.Load(ctx); !errors.Is(err, ErrNoIdentity) {
		t.Errorf("missing entry: %v", err)
	}
}

func TestKeyringTimeout(t *testing.T) {
	ctx := context.Background()
	k := &Keyring{Home: t.TempDir(), Timeout: 50 * time.Millisecond, Backend: newHanging(t)}
	id, _ := age.GenerateHybridIdentity()
	start := time.Now()
	err := k.Store(ctx, id)
	if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "no answer within 50ms") || !strings.Contains(err.Error(), "--key-source file or passphrase") {
		t.Errorf("hanging keyring: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("the timeout did not bound the call")
	}
	if err := ProbeKeyring(ctx, k.Backend, 50*time.Millisecond); !errors.Is(err, ErrKeyringUnavailable) {
		t.Errorf("probe: %v", err)
	}
}

func TestKeyringErrorIsUnavailable(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided by any .service files"))
	defer keyring.MockInit()
	err := ProbeKeyring(context.Background(), nil, time.Second)
	if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "org.freedesktop.secrets") {
		t.Errorf("probe: %v", err)
	}
}

func TestFileSource(t *testing.T) {
	ctx := context.Background()
	f := &File{Path: filepath.Join(t.TempDir(), IdentityFile)}
	if _, err := f.Load(ctx); !errors.Is(err, ErrNoIdentity) || !strings.Contains(err.Error(), "qguard init") {
		t.Errorf("missing: %v", err)
	}
	id, _ := age.GenerateHybridIdentity()
	if err := f.Store(ctx, id); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(f.Path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	got, err := f.Load(ctx)
	if err != nil || got.String() != id.String() {
		t.Fatalf("load: %v", err)
	}
	os.WriteFile(f.Path, []byte("AGE-SECRET-KEY-1QQQ\n"), 0o600)
	if _, err := f.Load(ctx); err == nil {
		t.Error("garbage identity accepted")
	}
	x, _ := age.GenerateX25519Identity()
	os.WriteFile(f.Path, []byte(x.String()+"\n"), 0o600)
	if _, err := f.Load(ctx); err == nil || !strings.Contains(err.Error(), "post-quantum") {
		t.Errorf("classical identity: %v", err)
	}
}
