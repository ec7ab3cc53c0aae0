package vault

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/qguard/qguard/vault/keysource"
)

func benchVault(b *testing.B, n int) *Vault {
	v, _ := newVault(b)
	for i := range n {
		mustPut(b, v, "ionq", fmt.Sprintf("p%d", i), map[string]string{"api_key": ionqKey})
	}
	return v
}

// BenchmarkCredential is what a provider adapter pays per call: read and
// decrypt vault.age (10 credentials).
func BenchmarkCredential(b *testing.B) {
	v := benchVault(b, 10)
	ctx := context.Background()
	v.Credential(ctx, "ionq", "p1") // last-used already recorded
	for b.Loop() {
		if _, err := v.Credential(ctx, "ionq", "p1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPut is one `creds store`: lock, decrypt, encrypt, fsync, rename.
func BenchmarkPut(b *testing.B) {
	v := benchVault(b, 10)
	ctx := context.Background()
	for b.Loop() {
		if _, err := v.Put(ctx, newIonQ("p1")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenPassphrase unlocks identity.age at the production scrypt
// cost (work factor 18).
func BenchmarkOpenPassphrase(b *testing.B) {
	old := keysource.ScryptWorkFactor
	keysource.ScryptWorkFactor = 18
	defer func() { keysource.ScryptWorkFactor = old }()
	b.Setenv("QGUARD_PASSPHRASE", "correct horse")
	home := filepath.Join(b.TempDir(), "home")
	if err := Init(home, InitOptions{KeySource: keysource.NamePassphrase}); err != nil {
		b.Fatal(err)
	}
	cfg := fileConfig()
	cfg.KeySource = keysource.NamePassphrase
	for b.Loop() {
		if _, err := Open(context.Background(), home, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
