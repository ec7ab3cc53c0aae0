package vault

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/vault/keysource"
	"github.com/zalando/go-keyring"
)

type hangingKeyring struct{ release chan struct{} }

func (h hangingKeyring) Get(string, string) (string, error) { <-h.release; return "", nil }
func (h hangingKeyring) Set(string, string, string) error   { <-h.release; return nil }
func (h hangingKeyring) Delete(string, string) error        { <-h.release; return nil }

func TestInitPicksKeyringWhenItAnswers(t *testing.T) {
	keyring.MockInit()
	home := filepath.Join(t.TempDir(), "home")
	if err := Init(home, InitOptions{KeyringTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(home, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Vault.KeySource != keysource.NameKeyring {
		t.Fatalf("key source %q", cfg.Vault.KeySource)
	}
	if _, err := os.Stat(filepath.Join(home, keysource.IdentityFile)); err == nil {
		t.Error("keyring init wrote a plain identity")
	}
	v, err := Open(context.Background(), home, cfg.Vault)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, v, "ionq", "default", map[string]string{"api_key": ionqKey})
}

func TestInitFallsBackToFileWhenKeyringHangs(t *testing.T) {
	h := hangingKeyring{release: make(chan struct{})}
	defer close(h.release)
	home := filepath.Join(t.TempDir(), "home")
	var warning string
	err := Init(home, InitOptions{KeyringTimeout: 50 * time.Millisecond, Keyring: h, Warn: func(m string) { warning += m }})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"no answer within 50ms", "falling back to key source file", filepath.Join(home, keysource.IdentityFile)} {
		if !strings.Contains(warning, want) {
			t.Errorf("warning %q lacks %q", warning, want)
		}
	}
	cfg, _ := config.Load(filepath.Join(home, config.FileName))
	if cfg.Vault.KeySource != keysource.NameFile {
		t.Errorf("key source %q", cfg.Vault.KeySource)
	}
	if _, err := Open(context.Background(), home, cfg.Vault); err != nil {
		t.Fatal(err)
	}

	// Asked for explicitly, a hanging keyring is an error, not a fallback.
	home2 := filepath.Join(t.TempDir(), "home")
	err = Init(home2, InitOptions{KeySource: keysource.NameKeyring, KeyringTimeout: 50 * time.Millisecond, Keyring: h})
	if !errors.Is(err, keysource.ErrKeyringUnavailable) {
		t.Errorf("explicit keyring: %v", err)
	}
	if Exists(home2) {
		t.Error("failed init left a vault")
	}
}

func TestInitFallsBackWhenKeyringFails(t *testing.T) {
	keyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))
	defer keyring.MockInit()
	home := filepath.Join(t.TempDir(), "home")
	var warning string
	if err := Init(home, InitOptions{Warn: func(m string) { warning += m }}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warning, "org.freedesktop.secrets") || !strings.Contains(warning, "key source file") {
		t.Errorf("warning %q", warning)
	}
}

func TestInitKeepsOtherConfig(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	os.MkdirAll(home, 0o700)
	orig := "# my settings\nvault:\n  rotation_days: 30 # monthly\n"
	os.WriteFile(filepath.Join(home, config.FileName), []byte(orig), 0o600)
	if err := Init(home, InitOptions{KeySource: keysource.NameFile}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(home, config.FileName))
	if !strings.Contains(string(data), "# monthly") || !strings.Contains(string(data), "key_source: file") {
		t.Errorf("config after init:\n%s", data)
	}
	cfg, err := config.Load(filepath.Join(home, config.FileName))
	if err != nil || cfg.Vault.RotationDays != 30 {
		t.Errorf("config: %v %+v", err, cfg)
	}
}
