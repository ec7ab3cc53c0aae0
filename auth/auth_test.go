package auth_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/auth"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/sqlite"
)

// clock is a settable clock for the service under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	svc   *auth.Service
	db    *sqlite.DB
	clock *clock
	dir   string
}

func setup(t *testing.T) *fixture { return setupTB(t) }

func setupB(b *testing.B) *fixture { return setupTB(b) }

func setupTB(tb testing.TB) *fixture {
	tb.Helper()
	dir := tb.TempDir()
	db, err := sqlite.Open(tb.Context(), filepath.Join(dir, "qguard.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	c := &clock{t: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	return &fixture{svc: auth.New(db, config.Default().Auth, c.now), db: db, clock: c, dir: dir}
}

func (f *fixture) user(t *testing.T, name string) (*qguard.User, string) {
	t.Helper()
	u, key, err := f.svc.CreateUser(t.Context(), name, qguard.RoleResearcher, "qml")
	if err != nil {
		t.Fatal(err)
	}
	return u, key
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := qguard.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func TestKeyFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		k, err := auth.NewAPIKey()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(k, "qg_") || len(k) != 3+43 || strings.ContainsAny(k[3:], "+/=") {
			t.Fatalf("key %q is not qg_ + 43 base64url characters", k)
		}
		if seen[k] {
			t.Fatal("duplicate key")
		}
		seen[k] = true
	}
}

func TestAPIKey(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	alice, key := f.user(t, "alice")
	u, sess, err := f.svc.Authenticate(ctx, key, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != alice.ID || sess != nil {
		t.Fatalf("Authenticate = %+v, %+v", u, sess)
	}
	keys, err := f.db.APIKeys(ctx, alice.ID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys = %d, %v", len(keys), err)
	}
	if keys[0].Hint != key[:9] || keys[0].LastUsed == nil || !keys[0].LastUsed.Equal(f.clock.now()) {
		t.Errorf("stored key = %+v", keys[0])
	}
	if !bytes.Equal(keys[0].Hash, auth.Hash(key)) {
		t.Error("stored hash is not SHA-256 of the key")
	}

	// A key with one character changed is refused.
	bad := key[:len(key)-1] + string("AB"[strings.IndexByte("AB", key[len(key)-1])+1&1])
	_, _, err = f.svc.Authenticate(ctx, bad, "10.0.0.1")
	wantCode(t, err, qguard.EUNAUTHENTICATED)
	for i, b := range []string{"", "Bearer x", "qg", "qgs_", "qg_", key + " "} {
		_, _, err = f.svc.Authenticate(ctx, b, fmt.Sprintf("10.0.0.%d", 100+i))
		wantCode(t, err, qguard.EUNAUTHENTICATED)
	}

	t.Run("Disabled", func(t *testing.T) {
		alice.Disabled = true
		if err := f.db.UpdateUser(ctx, alice); err != nil {
			t.Fatal(err)
		}
		_, _, err := f.svc.Authenticate(ctx, key, "10.0.0.2")
		wantCode(t, err, qguard.EUNAUTHENTICATED)
		alice.Disabled = false
		if err := f.db.UpdateUser(ctx, alice); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Authenticate(ctx, key, "10.0.0.2"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCreateUserInvalid(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	for _, c := range [][3]string{{"", "admin", ""}, {"al ice", "admin", ""}, {"-x", "admin", ""}, {"bob", "", ""}, {"bob", "admin", "p q"}, {strings.Repeat("a", 65), "admin", ""}} {
		_, _, err := f.svc.CreateUser(ctx, c[0], c[1], c[2])
		wantCode(t, err, qguard.EINVALID)
	}
	f.user(t, "alice")
	_, _, err := f.svc.CreateUser(ctx, "alice", "admin", "")
	wantCode(t, err, qguard.ECONFLICT)
	if _, _, err := f.svc.IssueKey(ctx, "nobody", 0); qguard.ErrorCode(err) != qguard.ENOTFOUND {
		t.Errorf("IssueKey for a missing user: %v", err)
	}
	_, _, err = f.svc.IssueKey(ctx, "alice", -time.Hour)
	wantCode(t, err, qguard.EINVALID)
}

func TestKeyExpiryAndRevocation(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.user(t, "alice")
	key, k, err := f.svc.IssueKey(ctx, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if k.ExpiresAt == nil || !k.ExpiresAt.Equal(f.clock.now().Add(time.Hour)) {
		t.Fatalf("ExpiresAt = %v", k.ExpiresAt)
	}
	if _, _, err := f.svc.Authenticate(ctx, key, "a"); err != nil {
		t.Fatal(err)
	}
	// A session from an expiring key does not outlive the key.
	_, sess, err := f.svc.Login(ctx, key, "a")
	if err != nil {
		t.Fatal(err)
	}
	if !sess.ExpiresAt.Equal(*k.ExpiresAt) {
		t.Errorf("session expires %v, key %v", sess.ExpiresAt, k.ExpiresAt)
	}
	f.clock.advance(time.Hour - time.Nanosecond)
	if _, _, err := f.svc.Authenticate(ctx, key, "a"); err != nil {
		t.Fatalf("a nanosecond before expiry: %v", err)
	}
	f.clock.advance(time.Nanosecond)
	_, _, err = f.svc.Authenticate(ctx, key, "a")
	wantCode(t, err, qguard.EUNAUTHENTICATED)
	if !strings.Contains(qguard.ErrorMessage(err), "expired") {
		t.Errorf("message %q does not say the key expired", qguard.ErrorMessage(err))
	}

	key2, k2, err := f.svc.IssueKey(ctx, "alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := f.svc.Login(ctx, key2, "a")
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.RevokeKey(ctx, "alice", 99999), qguard.ENOTFOUND)
	wantCode(t, f.svc.RevokeKey(ctx, "nobody", k2.ID), qguard.ENOTFOUND)
	f.user(t, "bob")
	wantCode(t, f.svc.RevokeKey(ctx, "bob", k2.ID), qguard.ENOTFOUND) // not bob's key
	if err := f.svc.RevokeKey(ctx, "alice", k2.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.Authenticate(ctx, key2, "b")
	wantCode(t, err, qguard.EUNAUTHENTICATED)
	if !strings.Contains(qguard.ErrorMessage(err), "revoked") {
		t.Errorf("message %q does not say the key was revoked", qguard.ErrorMessage(err))
	}
	_, _, err = f.svc.Authenticate(ctx, token, "b")
	wantCode(t, err, qguard.EUNAUTHENTICATED) // its session went with it
	_, _, err = f.svc.Login(ctx, key2, "b")
	wantCode(t, err, qguard.EUNAUTHENTICATED)
}

func TestSessions(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	alice, key := f.user(t, "alice")
	token, sess, err := f.svc.Login(ctx, key, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "qgs_") || len(token) != 4+43 {
		t.Fatalf("token %q is not qgs_ + 43 characters", token)
	}
	if want := f.clock.now().Add(8 * time.Hour); !sess.ExpiresAt.Equal(want) {
		t.Errorf("default session expires %v, want %v (8h)", sess.ExpiresAt, want)
	}
	u, got, err := f.svc.Authenticate(ctx, token, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != alice.ID || got.ID != sess.ID {
		t.Fatalf("Authenticate(session) = %+v, %+v", u, got)
	}
	_, _, err = f.svc.Login(ctx, token, "10.0.0.1")
	wantCode(t, err, qguard.EUNAUTHENTICATED) // a session cannot log in

	f.clock.advance(8*time.Hour - time.Second)
	if _, _, err := f.svc.Authenticate(ctx, token, "10.0.0.1"); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	f.clock.advance(time.Second)
	_, _, err = f.svc.Authenticate(ctx, token, "10.0.0.1")
	wantCode(t, err, qguard.ESESSIONEXPIRED)

	t.Run("TTL", func(t *testing.T) {
		_, s, err := f.svc.LoginTTL(ctx, key, "x", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if d := s.ExpiresAt.Sub(s.CreatedAt); d != time.Hour {
			t.Errorf("ttl 1h gave %v", d)
		}
		_, s, err = f.svc.LoginTTL(ctx, key, "x", 1000*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if d := s.ExpiresAt.Sub(s.CreatedAt); d != 24*time.Hour {
			t.Errorf("ttl 1000h gave %v, want the 24h maximum", d)
		}
		_, _, err = f.svc.LoginTTL(ctx, key, "x", -time.Hour)
		wantCode(t, err, qguard.EINVALID)
	})
	t.Run("Logout", func(t *testing.T) {
		token, _, err := f.svc.Login(ctx, key, "x")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Logout(ctx, token); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.svc.Authenticate(ctx, token, "x")
		wantCode(t, err, qguard.EUNAUTHENTICATED)
		wantCode(t, f.svc.Logout(ctx, "qgs_unknown"), qguard.EUNAUTHENTICATED)
	})
	t.Run("DeletedUser", func(t *testing.T) {
		_, key := f.user(t, "carol")
		token, _, err := f.svc.Login(ctx, key, "x")
		if err != nil {
			t.Fatal(err)
		}
		carol, _ := f.db.UserByName(ctx, "carol")
		if err := f.db.DeleteUser(ctx, carol.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.svc.Authenticate(ctx, token, "x")
		wantCode(t, err, qguard.EUNAUTHENTICATED)
		_, _, err = f.svc.Authenticate(ctx, key, "x")
		wantCode(t, err, qguard.EUNAUTHENTICATED)
	})
}

// TestClockSkew: a session issued by a replica whose clock is ahead is
// refused by one whose clock is behind by more than the tolerance.
func TestClockSkew(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	_, key := f.user(t, "alice")
	token, _, err := f.svc.Login(ctx, key, "x")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default().Auth
	for _, c := range []struct {
		behind time.Duration
		ok     bool
	}{{0, true}, {cfg.ClockSkew, true}, {cfg.ClockSkew + time.Second, false}, {time.Hour, false}} {
		replica := auth.New(f.db, cfg, func() time.Time { return f.clock.now().Add(-c.behind) })
		_, _, err := replica.Authenticate(ctx, token, "x")
		if (err == nil) != c.ok {
			t.Errorf("replica %v behind: err = %v, want ok=%v", c.behind, err, c.ok)
		}
	}
}

func TestLockoutByAddress(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	_, key := f.user(t, "alice")
	wrong, _ := auth.NewAPIKey()
	for i := range 5 {
		_, _, err := f.svc.Authenticate(ctx, wrong, "10.6.6.6")
		wantCode(t, err, qguard.EUNAUTHENTICATED)
		f.clock.advance(time.Second)
		_ = i
	}
	// Locked out: even the right key fails from this address.
	_, _, err := f.svc.Authenticate(ctx, key, "10.6.6.6")
	wantCode(t, err, qguard.ERATELIMITED)
	if d := auth.RetryAfter(err); d != 10*time.Minute {
		t.Errorf("RetryAfter = %v, want 10m", d)
	}
	_, _, err = f.svc.Login(ctx, key, "10.6.6.6")
	wantCode(t, err, qguard.ERATELIMITED)
	// Another address is not affected.
	if _, _, err := f.svc.Authenticate(ctx, key, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	// After the window, the address may try again.
	f.clock.advance(10 * time.Minute)
	if _, _, err := f.svc.Authenticate(ctx, key, "10.6.6.6"); err != nil {
		t.Fatalf("after 10m: %v", err)
	}
}

// TestBackoff: each failure right after a lockout ends locks for twice as
// long as the one before (10m, 10m, 20m, 40m counted from the first
// failure); probes during a lockout do not count.
func TestBackoff(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	_, key := f.user(t, "alice")
	wrong, _ := auth.NewAPIKey()
	addr := "10.6.6.6"
	start := f.clock.now()
	at := func(d time.Duration) { f.clock.mu.Lock(); f.clock.t = start.Add(d); f.clock.mu.Unlock() }
	fail := func() {
		t.Helper()
		_, _, err := f.svc.Authenticate(ctx, wrong, addr)
		wantCode(t, err, qguard.EUNAUTHENTICATED)
	}
	locked := func() bool {
		t.Helper()
		_, _, err := f.svc.Authenticate(ctx, key, addr)
		if err == nil {
			return false
		}
		wantCode(t, err, qguard.ERATELIMITED)
		return true
	}
	for range 5 {
		fail()
	}
	for _, step := range []struct {
		at     time.Duration
		fail   bool // a failure right after the check
		locked bool
	}{
		{time.Minute, false, true},
		{9 * time.Minute, false, true},
		{10*time.Minute + time.Second, true, false}, // first lockout over; 6th failure
		{11 * time.Minute, false, true},             // 6 in 20m
		{19 * time.Minute, false, true},
		{20*time.Minute + time.Second, true, false}, // 7th failure
		{30 * time.Minute, false, true},             // 7 in 40m: longer than the 20m level
		{39 * time.Minute, false, true},
		{40*time.Minute + time.Second, true, false}, // 8th failure
		{70 * time.Minute, false, true},             // 8 in 80m
		{80*time.Minute + time.Second, false, false},
	} {
		at(step.at)
		if got := locked(); got != step.locked {
			t.Fatalf("at +%v: locked = %v, want %v", step.at, got, step.locked)
		}
		if step.fail {
			fail()
		}
	}
}

func TestLockoutByUser(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.user(t, "alice")
	old, k, err := f.svc.IssueKey(ctx, "alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	good, _, err := f.svc.IssueKey(ctx, "alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokeKey(ctx, "alice", k.ID); err != nil {
		t.Fatal(err)
	}
	// A revoked key tried from five addresses locks the user.
	for i := range 5 {
		_, _, err := f.svc.Authenticate(ctx, old, "10.0.0."+string(rune('1'+i)))
		wantCode(t, err, qguard.EUNAUTHENTICATED)
	}
	_, _, err = f.svc.Authenticate(ctx, good, "10.9.9.9")
	wantCode(t, err, qguard.ERATELIMITED)
	_, _, err = f.svc.Authenticate(ctx, old, "10.9.9.8")
	wantCode(t, err, qguard.ERATELIMITED) // the key is locked too
	// Another user is not affected.
	_, bobKey := f.user(t, "bob")
	if _, _, err := f.svc.Authenticate(ctx, bobKey, "10.9.9.9"); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(10*time.Minute + time.Second)
	if _, _, err := f.svc.Authenticate(ctx, good, "10.9.9.7"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestSuccessClearsUserFailures: four failures, a success, four more: no
// lockout, since a success forgets the user's failures.
func TestSuccessClearsUserFailures(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.user(t, "alice")
	old, k, _ := f.svc.IssueKey(ctx, "alice", 0)
	good, _, _ := f.svc.IssueKey(ctx, "alice", 0)
	f.svc.RevokeKey(ctx, "alice", k.ID)
	for round := range 2 {
		for i := range 4 {
			f.svc.Authenticate(ctx, old, "10.1."+string(rune('0'+round))+"."+string(rune('0'+i)))
		}
		if _, _, err := f.svc.Authenticate(ctx, good, "10.2.0.1"); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// TestNoSecretsInDatabase reads every file of the database and finds
// neither API keys nor session tokens, only their hashes.
func TestNoSecretsInDatabase(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	var secrets []string
	for _, name := range []string{"alice", "bob"} {
		_, key := f.user(t, name)
		token, _, err := f.svc.Login(ctx, key, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		extra, _, err := f.svc.IssueKey(ctx, name, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, key, token, extra)
	}
	var raw []byte
	read := func() {
		raw = nil
		entries, err := os.ReadDir(f.dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(f.dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			raw = append(raw, b...)
		}
	}
	check := func() {
		t.Helper()
		for _, s := range secrets {
			body := s[strings.IndexByte(s, '_')+1:]
			if bytes.Contains(raw, []byte(body)) || bytes.Contains(raw, []byte(body[:20])) {
				t.Errorf("the database files hold a secret starting %s in clear", s[:6])
			}
			if !bytes.Contains(raw, auth.Hash(s)) {
				t.Errorf("the hash of %s… is not in the files: the scan read the wrong data", s[:6])
			}
		}
	}
	read()
	check()
	// Also after a checkpoint has moved the WAL into the main file.
	f.db.Close()
	read()
	check()
}

// FuzzAuthenticate: no bearer string other than the issued key and token
// authenticates, and every refusal is EUNAUTHENTICATED or ERATELIMITED.
func FuzzAuthenticate(f *testing.F) {
	fx := setupTB(f)
	_, key, err := fx.svc.CreateUser(f.Context(), "alice", qguard.RoleResearcher, "")
	if err != nil {
		f.Fatal(err)
	}
	token, _, err := fx.svc.Login(f.Context(), key, "seed")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{key, token, key[:len(key)-1], token + "x", "qg_", "qgs_", "", "Bearer " + key, strings.ToUpper(key), "qg_\x00", key + "\n"} {
		f.Add(s)
	}
	var n int
	f.Fuzz(func(t *testing.T, bearer string) {
		n++
		u, _, err := fx.svc.Authenticate(t.Context(), bearer, fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255))
		if bearer == key || bearer == token {
			if err != nil && qguard.ErrorCode(err) != qguard.ERATELIMITED {
				t.Fatalf("the issued credential failed: %v", err)
			}
			return
		}
		if err == nil {
			t.Fatalf("%q authenticated as %s", bearer, u.Name)
		}
		if c := qguard.ErrorCode(err); c != qguard.EUNAUTHENTICATED && c != qguard.ERATELIMITED {
			t.Fatalf("%q: error code %s (%v)", bearer, c, err)
		}
	})
}
