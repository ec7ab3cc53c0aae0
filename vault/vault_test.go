package vault

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/vault/keysource"
)

func init() { keysource.ScryptWorkFactor = 10 } // fast passphrase tests

// Realistic-looking test secrets (not real keys).
const (
	ibmToken      = "Ab3_dEf-GhIjKlMnOpQrStUvWxYz0123456789_-aBcD" // 44 chars
	testAWSKeyID  = "AKIAIOSFODNN7EXAMPLE"
	testAWSSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	ionqKey       = "ionq-test-key-0123456789abcdef"
)

func fileConfig() config.Vault {
	return config.Vault{KeySource: keysource.NameFile, RotationDays: 90, KeyringTimeout: time.Second}
}

func newVault(t testing.TB) (*Vault, string) {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	if err := Init(home, InitOptions{KeySource: keysource.NameFile}); err != nil {
		t.Fatal(err)
	}
	v, err := Open(context.Background(), home, fileConfig())
	if err != nil {
		t.Fatal(err)
	}
	return v, home
}

func mustPut(t testing.TB, v *Vault, provider, profile string, fields map[string]string) *qguard.Credential {
	t.Helper()
	c, err := v.Put(context.Background(), &qguard.Credential{Provider: provider, Profile: profile, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPutCredentialListDelete(t *testing.T) {
	ctx := context.Background()
	v, _ := newVault(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v.now = func() time.Time { return now }

	c := mustPut(t, v, qguard.ProviderIBMQuantum, "default", map[string]string{"token": " " + ibmToken + "\n", "channel": "ibm_cloud", "instance": "crn:v1:bluemix:public:quantum-computing:us-east:a/abc:def::"})
	if c.Version != 1 || !c.CreatedAt.Equal(now) || !c.LastRotated.Equal(now) {
		t.Errorf("first put: %+v", c)
	}
	if _, ok := c.Fields["token"]; ok {
		t.Error("Put returned the secret")
	}

	got, err := v.Credential(ctx, qguard.ProviderIBMQuantum, "default")
	if err != nil {
		t.Fatal(err)
	}
	if got.Fields["token"] != ibmToken {
		t.Errorf("token = %q (not trimmed?)", got.Fields["token"])
	}
	if got.LastUsed == nil || !got.LastUsed.Equal(now) {
		t.Errorf("LastUsed = %v, want %v", got.LastUsed, now)
	}

	// Changing a non-secret field keeps LastRotated; changing the token sets it.
	later := now.Add(time.Hour)
	v.now = func() time.Time { return later }
	c = mustPut(t, v, qguard.ProviderIBMQuantum, "default", map[string]string{"token": ibmToken, "channel": "ibm_quantum_platform"})
	if c.Version != 2 || !c.LastRotated.Equal(now) || !c.CreatedAt.Equal(now) || !c.UpdatedAt.Equal(later) {
		t.Errorf("second put: %+v", c)
	}
	newToken := strings.Repeat("z", 44)
	c = mustPut(t, v, qguard.ProviderIBMQuantum, "default", map[string]string{"token": newToken})
	if c.Version != 3 || !c.LastRotated.Equal(later) {
		t.Errorf("third put: %+v", c)
	}

	mustPut(t, v, qguard.ProviderIonQ, "prod", map[string]string{"api_key": ionqKey})
	mustPut(t, v, qguard.ProviderIonQ, "dev", map[string]string{"api_key": ionqKey + "2"})
	list, err := v.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range list {
		names = append(names, c.Provider+"/"+c.Profile)
		for k := range c.Fields {
			if k == "token" || k == "api_key" {
				t.Errorf("List shows secret field %s of %s/%s", k, c.Provider, c.Profile)
			}
		}
	}
	if want := "ibm_quantum/default ionq/dev ionq/prod"; strings.Join(names, " ") != want {
		t.Errorf("List = %v, want %s", names, want)
	}

	if err := v.Delete(ctx, qguard.ProviderIonQ, "dev"); err != nil {
		t.Fatal(err)
	}
	_, err = v.Credential(ctx, qguard.ProviderIonQ, "dev")
	if qguard.ErrorCode(err) != qguard.ENOTFOUND {
		t.Errorf("deleted credential: %v, want not_found", err)
	}
	if err := v.Delete(ctx, qguard.ProviderIonQ, "dev"); qguard.ErrorCode(err) != qguard.ENOTFOUND {
		t.Errorf("second delete: %v", err)
	}
}

func TestSchemaErrors(t *testing.T) {
	v, _ := newVault(t)
	cases := []struct {
		provider string
		fields   map[string]string
		want     string
	}{
		{"dwave", map[string]string{"token": "x"}, `unknown provider "dwave"`},
		{"ibm_quantum", map[string]string{"channel": "ibm_cloud"}, "required field token is missing"},
		{"ibm_quantum", map[string]string{"token": "too-short"}, "is not an IBM Quantum API key"},
		{"ibm_quantum", map[string]string{"token": ibmToken, "channel": "ibm_quantum"}, "sunset"},
		{"ibm_quantum", map[string]string{"token": ibmToken, "hub": "x"}, `has no field "hub"`},
		{"ibm_quantum", map[string]string{"token": ibmToken, "url": "http://evil.example"}, "https"},
		{"aws_braket", map[string]string{"access_key_id": testAWSKeyID}, "secret_access_key is missing"},
		{"aws_braket", map[string]string{"access_key_id": "akia", "secret_access_key": testAWSSecret}, "is not an AWS access key ID"},
		{"aws_braket", map[string]string{"access_key_id": "ASIAIOSFODNN7EXAMPLE", "secret_access_key": testAWSSecret}, "session_token is required"},
		{"aws_braket", map[string]string{"access_key_id": testAWSKeyID, "secret_access_key": testAWSSecret, "role_arn": "arn:aws:iam::12:role/x"}, "IAM role ARN"},
		{"azure_quantum", map[string]string{"location": "eastus"}, "give connection_string"},
		{"azure_quantum", map[string]string{"connection_string": "SubscriptionId=1;WorkspaceName=w"}, "lacks ResourceGroupName"},
		{"rigetti", map[string]string{"client_id": "abc12"}, "refresh_token is missing"},
	}
	for _, c := range cases {
		_, err := v.Put(context.Background(), &qguard.Credential{Provider: c.provider, Profile: "p", Fields: c.fields})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %v, want %q", c.provider, c.fields, err, c.want)
			continue
		}
		if qguard.ErrorCode(err) != qguard.EINVALID {
			t.Errorf("%s: code %s", c.provider, qguard.ErrorCode(err))
		}
		s, _ := SchemaFor(c.provider)
		for name, val := range c.fields {
			if s != nil && s.IsSecret(name) && strings.Contains(err.Error(), val) {
				t.Errorf("error %q repeats the value %q", err, val)
			}
		}
	}
	for _, p := range []string{"", "../x", "a b", strings.Repeat("a", 65)} {
		if _, err := v.Put(context.Background(), &qguard.Credential{Provider: "ionq", Profile: p, Fields: map[string]string{"api_key": ionqKey}}); err == nil {
			t.Errorf("profile %q accepted", p)
		}
	}
	// Every provider accepts a valid credential.
	valid := map[string]map[string]string{
		"ibm_quantum":   {"token": strings.Repeat("ab", 64)}, // legacy 128-hex
		"aws_braket":    {"access_key_id": testAWSKeyID, "secret_access_key": testAWSSecret, "region": "us-east-1", "s3_bucket": "amazon-braket-results", "role_arn": "arn:aws:iam::123456789012:role/braket"},
		"ionq":          {"api_key": ionqKey, "base_url": "https://api.ionq.co/v0.3"},
		"rigetti":       {"refresh_token": "rt-0123456789abcdefghij", "client_id": "0oa3ykoirzDKpkfzk357", "issuer": "https://auth.qcs.rigetti.com/oauth2/aus8jcovzG0gW2TUG355"},
		"azure_quantum": {"resource_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Quantum/Workspaces/ws", "location": "eastus", "key": "azure-key-0123456789abcdef"},
	}
	for p, f := range valid {
		mustPut(t, v, p, "ok", f)
	}
}

func secretForms(s string) []string {
	b := []byte(s)
	return []string{s, base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b))}
}

func TestVaultFileHoldsNoSecret(t *testing.T) {
	v, home := newVault(t)
	mustPut(t, v, qguard.ProviderIBMQuantum, "default", map[string]string{"token": ibmToken})
	mustPut(t, v, qguard.ProviderAWSBraket, "default", map[string]string{"access_key_id": testAWSKeyID, "secret_access_key": testAWSSecret})
	mustPut(t, v, qguard.ProviderIonQ, "default", map[string]string{"api_key": ionqKey})
	key, err := v.InternalKey(context.Background(), "audit-hmac")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(home, FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{ibmToken, testAWSKeyID, testAWSSecret, ionqKey, string(key)} {
		for _, form := range secretForms(s) {
			if bytes.Contains(data, []byte(form)) {
				t.Errorf("vault.age contains a secret (form %q)", form[:6])
			}
		}
	}
	if !bytes.HasPrefix(data, []byte("age-encryption.org/v1\n-> mlkem768x25519 ")) {
		t.Errorf("vault.age is not an age file to a post-quantum recipient: %q", data[:40])
	}
	fi, _ := os.Stat(filepath.Join(home, FileName))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("vault.age mode %v", fi.Mode())
	}
}

func TestBreakGlassRecipientDecryptsAlone(t *testing.T) {
	ctx := context.Background()
	v, home := newVault(t)
	mustPut(t, v, qguard.ProviderIonQ, "default", map[string]string{"api_key": ionqKey})
	bg, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.AddRecipient(ctx, bg.Recipient().String()); err != nil {
		t.Fatal(err)
	}
	if err := v.AddRecipient(ctx, bg.Recipient().String()); qguard.ErrorCode(err) != qguard.ECONFLICT {
		t.Errorf("second add: %v", err)
	}
	x, _ := age.GenerateX25519Identity()
	if err := v.AddRecipient(ctx, x.Recipient().String()); err == nil || !strings.Contains(err.Error(), "post-quantum") {
		t.Errorf("classical recipient: %v", err)
	}
	f, err := os.Open(filepath.Join(home, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := age.Decrypt(f, bg) // the age library and the break-glass key only
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(r)
	if !bytes.Contains(plain, []byte(ionqKey)) {
		t.Error("break-glass plaintext lacks the credential")
	}
	// Removing it re-encrypts without it.
	if err := v.RemoveRecipient(ctx, bg.Recipient().String()); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(home, FileName))
	if _, err := age.Decrypt(bytes.NewReader(data), bg); err == nil {
		t.Error("removed recipient still decrypts")
	}
	if err := v.RemoveRecipient(ctx, bg.Recipient().String()); qguard.ErrorCode(err) != qguard.ENOTFOUND {
		t.Errorf("second remove: %v", err)
	}
}

// smallVault returns the bytes of a vault with one credential and the
// identity that opens it.
func smallVault(t testing.TB) ([]byte, *Vault, string) {
	v, home := newVault(t)
	mustPut(t, v, qguard.ProviderIonQ, "default", map[string]string{"api_key": ionqKey})
	data, err := os.ReadFile(filepath.Join(home, FileName))
	if err != nil {
		t.Fatal(err)
	}
	return data, v, home
}

func TestEveryFlippedByteFailsClearly(t *testing.T) {
	data, v, home := smallVault(t)
	if _, err := Decode(data, v.id); err != nil {
		t.Fatal(err)
	}
	idx := make([]int, len(data))
	for i := range idx {
		idx[i] = i
	}
	if testing.Short() { // 500 random positions
		rand.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:500]
	}
	for _, i := range idx {
		bad := bytes.Clone(data)
		bad[i] ^= 1 << (i % 8)
		_, err := Decode(bad, v.id)
		if err == nil {
			t.Fatalf("flipped byte %d of %d: vault opened", i, len(data))
		}
		if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "left unchanged") {
			t.Fatalf("flipped byte %d: unclear error %q", i, err)
		}
	}
	t.Logf("flipped %d of %d bytes", len(idx), len(data))
	for _, n := range []int{0, 1, len(data) / 2, len(data) - 17, len(data) - 1} {
		if _, err := Decode(data[:n], v.id); !errors.Is(err, ErrDamaged) {
			t.Errorf("truncated to %d: %v", n, err)
		}
	}

	// A tampered vault is never overwritten by a later write.
	bad := bytes.Clone(data)
	bad[len(bad)-5] ^= 0xff
	path := filepath.Join(home, FileName)
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Put(context.Background(), &qguard.Credential{Provider: "ionq", Profile: "x", Fields: map[string]string{"api_key": ionqKey}}); !errors.Is(err, ErrDamaged) {
		t.Errorf("put on a tampered vault: %v", err)
	}
	if _, err := v.InternalKey(context.Background(), "audit-hmac"); !errors.Is(err, ErrDamaged) {
		t.Errorf("internal key on a tampered vault: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, bad) {
		t.Error("tampered vault was rewritten")
	}
	if _, err := Open(context.Background(), home, fileConfig()); !errors.Is(err, ErrDamaged) {
		t.Errorf("Open of a tampered vault: %v", err)
	}
}

func TestWrongIdentity(t *testing.T) {
	data, _, _ := smallVault(t)
	other, _ := age.GenerateHybridIdentity()
	_, err := Decode(data, other)
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "not encrypted to this identity") {
		t.Errorf("wrong identity: %v", err)
	}
}

func TestInsecurePermissionsRefused(t *testing.T) {
	_, home := newVault(t)
	for _, name := range []string{FileName, keysource.IdentityFile} {
		p := filepath.Join(home, name)
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open(context.Background(), home, fileConfig())
		if err == nil || !strings.Contains(err.Error(), "chmod 600 "+p) {
			t.Errorf("%s 0644: %v", name, err)
		}
		os.Chmod(p, 0o600)
	}
	if _, err := Open(context.Background(), home, fileConfig()); err != nil {
		t.Fatal(err)
	}
}

func TestInternalKey(t *testing.T) {
	ctx := context.Background()
	v, home := newVault(t)
	a, err := v.InternalKey(ctx, "audit-signing")
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32 || bytes.Equal(a, make([]byte, 32)) {
		t.Fatalf("key %x", a)
	}
	v2, err := Open(ctx, home, fileConfig())
	if err != nil {
		t.Fatal(err)
	}
	again, _ := v2.InternalKey(ctx, "audit-signing")
	other, _ := v2.InternalKey(ctx, "store-seal")
	if !bytes.Equal(a, again) || bytes.Equal(a, other) {
		t.Error("internal keys are not stable and distinct")
	}
	list, _ := v2.List(ctx)
	if len(list) != 0 {
		t.Errorf("List shows internal keys: %v", list)
	}
	if _, err := v.InternalKey(ctx, "Bad Name"); err == nil {
		t.Error("bad name accepted")
	}
}

func TestConcurrentPutsKeepEveryUpdate(t *testing.T) {
	_, home := newVault(t)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := Open(context.Background(), home, fileConfig()) // own file descriptors, as another process
			if err == nil {
				_, err = v.Put(context.Background(), &qguard.Credential{Provider: "ionq", Profile: "p" + string(rune('a'+i)), Fields: map[string]string{"api_key": ionqKey}})
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	v, _ := Open(context.Background(), home, fileConfig())
	list, _ := v.List(context.Background())
	if len(list) != n {
		t.Errorf("%d credentials after %d concurrent puts", len(list), n)
	}
}

func TestRotateKey(t *testing.T) {
	ctx := context.Background()
	for _, source := range []string{keysource.NameFile, keysource.NamePassphrase} {
		t.Run(source, func(t *testing.T) {
			t.Setenv("QGUARD_PASSPHRASE", "correct horse")
			home := filepath.Join(t.TempDir(), "home")
			if err := Init(home, InitOptions{KeySource: source}); err != nil {
				t.Fatal(err)
			}
			cfg := fileConfig()
			cfg.KeySource = source
			v, err := Open(ctx, home, cfg)
			if err != nil {
				t.Fatal(err)
			}
			mustPut(t, v, "ionq", "default", map[string]string{"api_key": ionqKey})
			key, _ := v.InternalKey(ctx, "store-seal")
			oldID := v.id
			r, err := v.RotateKey(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(r, "age1pq1") || r == oldID.Recipient().String() {
				t.Errorf("new recipient %q", r)
			}
			data, _ := os.ReadFile(filepath.Join(home, FileName))
			if _, err := Decode(data, oldID); err == nil {
				t.Error("old identity still decrypts after rotation")
			}
			v2, err := Open(ctx, home, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if v2.Recipient() != r {
				t.Errorf("reopened with %s", v2.Recipient())
			}
			c, err := v2.Credential(ctx, "ionq", "default")
			if err != nil || c.Fields["api_key"] != ionqKey {
				t.Errorf("after rotation: %v %v", c, err)
			}
			key2, _ := v2.InternalKey(ctx, "store-seal")
			if !bytes.Equal(key, key2) {
				t.Error("internal key changed with rotation")
			}
		})
	}
}

func TestPassphraseSource(t *testing.T) {
	ctx := context.Background()
	home := filepath.Join(t.TempDir(), "home")
	t.Setenv("QGUARD_PASSPHRASE", "correct horse")
	if err := Init(home, InitOptions{KeySource: keysource.NamePassphrase}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, keysource.IdentityFile)); err == nil {
		t.Error("passphrase init wrote a plain identity file")
	}
	enc, _ := os.ReadFile(filepath.Join(home, keysource.PassphraseFile))
	if !bytes.HasPrefix(enc, []byte("age-encryption.org/v1\n-> scrypt ")) || bytes.Contains(enc, []byte("AGE-SECRET-KEY")) {
		t.Errorf("identity.age is not scrypt-encrypted")
	}
	cfg, err := config.Load(filepath.Join(home, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Vault.KeySource != keysource.NamePassphrase {
		t.Errorf("config key_source = %q", cfg.Vault.KeySource)
	}
	if _, err := Open(ctx, home, cfg.Vault); err != nil {
		t.Fatal(err)
	}
	t.Setenv("QGUARD_PASSPHRASE", "wrong")
	if _, err := Open(ctx, home, cfg.Vault); !errors.Is(err, keysource.ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	os.Unsetenv("QGUARD_PASSPHRASE")
	if _, err := Open(ctx, home, cfg.Vault); err == nil || !strings.Contains(err.Error(), "QGUARD_PASSPHRASE") {
		t.Errorf("no passphrase: %v", err)
	}
	// The config names the wrong source: the error says which one to use.
	if _, err := Open(ctx, home, fileConfig()); err == nil || !strings.Contains(err.Error(), "key_source: passphrase") {
		t.Errorf("wrong key source: %v", err)
	}
}

func TestInitRefusesSecondTimeAndForceKeepsTheOld(t *testing.T) {
	ctx := context.Background()
	v, home := newVault(t)
	mustPut(t, v, "ionq", "default", map[string]string{"api_key": ionqKey})
	before, _ := os.ReadFile(filepath.Join(home, FileName))
	err := Init(home, InitOptions{KeySource: keysource.NameFile})
	if qguard.ErrorCode(err) != qguard.ECONFLICT || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second init: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(home, FileName))
	if !bytes.Equal(before, after) {
		t.Fatal("refused init changed the vault")
	}
	var warned string
	if err := Init(home, InitOptions{KeySource: keysource.NameFile, Force: true, Warn: func(m string) { warned += m }}); err != nil {
		t.Fatal(err)
	}
	backups, _ := filepath.Glob(filepath.Join(home, "backup-*", FileName))
	if len(backups) != 1 || !strings.Contains(warned, "backup-") {
		t.Fatalf("backups %v, warning %q", backups, warned)
	}
	// The old vault opens with the old identity from the backup.
	old := filepath.Dir(backups[0])
	oldV, err := Open(ctx, old, fileConfig())
	if err != nil {
		t.Fatal(err)
	}
	if c, err := oldV.Credential(ctx, "ionq", "default"); err != nil || c.Fields["api_key"] != ionqKey {
		t.Errorf("backup: %v %v", c, err)
	}
	nv, _ := Open(ctx, home, fileConfig())
	if list, _ := nv.List(ctx); len(list) != 0 {
		t.Errorf("new vault not empty: %v", list)
	}
	if fi, _ := os.Stat(home); fi.Mode().Perm() != 0o700 {
		t.Errorf("home mode %v", fi.Mode())
	}
}

func TestOpenMissingVault(t *testing.T) {
	_, err := Open(context.Background(), t.TempDir(), fileConfig())
	if qguard.ErrorCode(err) != qguard.ENOTFOUND || !strings.Contains(err.Error(), "qguard init") {
		t.Errorf("missing vault: %v", err)
	}
	if Exists(t.TempDir()) {
		t.Error("Exists on an empty dir")
	}
}

func newIonQ(profile string) *qguard.Credential {
	return &qguard.Credential{Provider: "ionq", Profile: profile, Fields: map[string]string{"api_key": ionqKey}}
}

// A rotation that fails to store the new identity leaves the vault as it
// was, opened by the old identity and without the new recipient.
func TestRotateKeyFailureKeepsOldIdentity(t *testing.T) {
	ctx := context.Background()
	v, home := newVault(t)
	mustPut(t, v, "ionq", "default", map[string]string{"api_key": ionqKey})
	v.src = failingSource{v.src}
	if _, err := v.RotateKey(ctx); err == nil || !strings.Contains(err.Error(), "still opens with the old identity") {
		t.Fatalf("rotate: %v", err)
	}
	v2, err := Open(ctx, home, fileConfig())
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := v2.Recipients(ctx); len(r) != 0 {
		t.Errorf("recipients after failed rotation: %v", r)
	}
	// A stale temp file from a killed writer is removed by the next write.
	stale := filepath.Join(home, "."+FileName+".tmp-123")
	os.WriteFile(stale, []byte("x"), 0o600)
	mustPut(t, v2, "ionq", "other", map[string]string{"api_key": ionqKey})
	if _, err := os.Stat(stale); err == nil {
		t.Error("stale temp file left")
	}
}

type failingSource struct{ keysource.Source }

func (failingSource) Store(context.Context, *age.HybridIdentity) error {
	return errors.New("keyring locked")
}
