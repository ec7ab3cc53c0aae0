// Package storetest is the conformance suite that every [qguard.Store]
// implementation passes (SQLite, PostgreSQL), after Vault's
// physical.ExerciseBackend. A store's test calls [Run] with a function that
// opens a fresh, empty store:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) qguard.Store {
//			db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "qguard.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { db.Close() })
//			return db
//		})
//	}
//
// Times are compared to the microsecond, the precision of PostgreSQL.
package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qguard/qguard"
)

// Opener returns a fresh, empty store and arranges for it to be closed when
// t ends.
type Opener func(t *testing.T) qguard.Store

// Run runs every conformance test against stores made by open; each subtest
// gets its own store.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, qguard.Store)
	}{
		{"Ping", testPing},
		{"Users", testUsers},
		{"DeleteUser", testDeleteUser},
		{"APIKeys", testAPIKeys},
		{"Sessions", testSessions},
		{"Counters", testCounters},
		{"Jobs", testJobs},
		{"JobFilter", testJobFilter},
		{"ClaimJobs", testClaimJobs},
		{"ClaimJobsConcurrent", testClaimJobsConcurrent},
		{"Budgets", testBudgets},
		{"BudgetConcurrent", testBudgetConcurrent},
		{"Settle", testSettle},
		{"ReleaseOrphans", testReleaseOrphans},
		{"BudgetLimits", testBudgetLimits},
		{"CostSince", testCostSince},
		{"Audit", testAudit},
		{"AuditConcurrent", testAuditConcurrent},
		{"Checkpoints", testCheckpoints},
		{"SecurityEvents", testSecurityEvents},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// RunReopen checks that what one store wrote is read back by another one
// opened on the same database: reopen closes s and opens the database
// again (applying migrations, which must be a no-op the second time).
func RunReopen(t *testing.T, open Opener, reopen func(t *testing.T, s qguard.Store) qguard.Store) {
	ctx := t.Context()
	s := open(t)
	u := mustUser(t, s, "alice", qguard.RoleResearcher)
	k := mustKey(t, s, u.ID, "reopen-key")
	mustJob(t, s, "job_reopen", u, base)
	mustOK(t, s.Reserve(ctx, qguard.Reservation{JobID: "job_reopen", User: "alice", Day: "2026-12-04", Amount: 1.5}, nil))
	mustAppend(t, s, "user.add")
	mustOK(t, s.SaveCheckpoint(ctx, 1, []byte("note")))
	_, err := s.AddSecurityEvent(ctx, &qguard.SecurityEvent{Time: base, Type: qguard.EventAuthFailure, Severity: qguard.SeverityLow, Message: "m"}, base)
	mustOK(t, err)
	mustOK(t, s.AddEvent(ctx, "addr:1", base))

	s = reopen(t, s)
	got, err := s.UserByName(ctx, "alice")
	mustOK(t, err)
	if got.ID != u.ID || got.Role != u.Role {
		t.Errorf("user after reopen = %+v, want %+v", got, u)
	}
	gk, err := s.APIKeyByHash(ctx, k.Hash)
	mustOK(t, err)
	if gk.ID != k.ID {
		t.Errorf("key after reopen = %d, want %d", gk.ID, k.ID)
	}
	if _, err := s.JobByID(ctx, "job_reopen"); err != nil {
		t.Errorf("job after reopen: %v", err)
	}
	sp, err := s.Spent(ctx, qguard.ScopeUser, "alice", "2026-12-04")
	mustOK(t, err)
	if sp.Reserved != 1.5 {
		t.Errorf("reserved after reopen = %v, want 1.5", sp.Reserved)
	}
	if n, err := s.AuditSize(ctx); err != nil || n != 1 {
		t.Errorf("audit size after reopen = %d, %v; want 1", n, err)
	}
	if size, _, err := s.LatestCheckpoint(ctx); err != nil || size != 1 {
		t.Errorf("checkpoint after reopen = %d, %v; want 1", size, err)
	}
	if evs, err := s.SecurityEvents(ctx, base); err != nil || len(evs) != 1 {
		t.Errorf("events after reopen = %d, %v; want 1", len(evs), err)
	}
	if n, err := s.CountEvents(ctx, "addr:1", base); err != nil || n != 1 {
		t.Errorf("counter after reopen = %d, %v; want 1", n, err)
	}
	// The store keeps working after a reopen.
	mustUser(t, s, "bob", qguard.RoleDeveloper)
	mustAppend(t, s, "user.add")
}

// base is a fixed time for the tests, in UTC with microsecond precision.
var base = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := qguard.ErrorCode(err); got != code {
		t.Fatalf("got error %v (code %s), want code %s", err, got, code)
	}
}

// sameTime compares times to the microsecond.
func sameTime(a, b time.Time) bool {
	d := a.Sub(b)
	return d <= time.Microsecond && d >= -time.Microsecond
}

func samePtrTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return sameTime(*a, *b)
}

func ptr[T any](v T) *T { return &v }

func mustUser(t *testing.T, s qguard.Store, name, role string) *qguard.User {
	t.Helper()
	u := &qguard.User{Name: name, Role: role, Project: "proj-" + name}
	mustOK(t, s.CreateUser(t.Context(), u))
	return u
}

// hashOf returns a 32-byte stand-in for a SHA-256 hash, distinct per seed.
func hashOf(seed string) []byte {
	h := make([]byte, 32)
	copy(h, seed)
	h[31] = byte(len(seed))
	return h
}

func mustKey(t *testing.T, s qguard.Store, userID int64, seed string) *qguard.APIKey {
	t.Helper()
	k := &qguard.APIKey{UserID: userID, Hash: hashOf(seed), Hint: "qg_" + seed[:2], CreatedAt: base}
	mustOK(t, s.CreateAPIKey(t.Context(), k))
	if k.ID == 0 {
		t.Fatal("CreateAPIKey did not set ID")
	}
	return k
}

func mustJob(t *testing.T, s qguard.Store, id string, u *qguard.User, created time.Time) *qguard.Job {
	t.Helper()
	j := &qguard.Job{
		ID: id, UserID: u.ID, User: u.Name, Project: u.Project, Device: "local:statevector", Provider: "local",
		Status: qguard.JobQueued, Shots: 1000, Qubits: 5, Classification: qguard.ClassificationInternal,
		CircuitSHA256: "abc", EstimatedCost: 0.25, CreatedAt: created, SealedCircuit: []byte("sealed"),
	}
	mustOK(t, s.CreateJob(t.Context(), j))
	return j
}

func jsonEncode(r *qguard.AuditRecord) ([]byte, error) {
	return fmt.Appendf(nil, "%d|%s|%s|%s|%s", r.Index, r.Time.Format(time.RFC3339Nano), r.Actor, r.Action, r.Resource), nil
}

func mustAppend(t *testing.T, s qguard.Store, action string) int64 {
	t.Helper()
	rec := &qguard.AuditRecord{Time: base, Actor: "cli:root", Action: action, Resource: "user:alice", Decision: qguard.DecisionInfo}
	i, err := s.AppendAudit(t.Context(), rec, jsonEncode)
	mustOK(t, err)
	return i
}

func testPing(t *testing.T, s qguard.Store) {
	mustOK(t, s.Ping(t.Context()))
}

func testUsers(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	t.Run("NotFound", func(t *testing.T) {
		_, err := s.UserByName(ctx, "nobody")
		wantCode(t, err, qguard.ENOTFOUND)
		_, err = s.UserByID(ctx, 12345)
		wantCode(t, err, qguard.ENOTFOUND)
	})
	users, err := s.Users(ctx)
	mustOK(t, err)
	if len(users) != 0 {
		t.Fatalf("fresh store has %d users", len(users))
	}
	bob := mustUser(t, s, "bob", qguard.RoleDeveloper)
	alice := mustUser(t, s, "alice", qguard.RoleResearcher)
	if alice.ID == 0 || alice.ID == bob.ID || alice.CreatedAt.IsZero() || alice.UpdatedAt.IsZero() {
		t.Fatalf("CreateUser did not set ID and times: %+v", alice)
	}
	t.Run("Conflict", func(t *testing.T) {
		wantCode(t, s.CreateUser(ctx, &qguard.User{Name: "alice", Role: qguard.RoleAdmin}), qguard.ECONFLICT)
	})
	got, err := s.UserByName(ctx, "alice")
	mustOK(t, err)
	if got.ID != alice.ID || got.Role != qguard.RoleResearcher || got.Project != "proj-alice" || got.Disabled || !sameTime(got.CreatedAt, alice.CreatedAt) {
		t.Errorf("UserByName = %+v, want %+v", got, alice)
	}
	got, err = s.UserByID(ctx, bob.ID)
	mustOK(t, err)
	if got.Name != "bob" {
		t.Errorf("UserByID = %+v, want bob", got)
	}
	users, err = s.Users(ctx)
	mustOK(t, err)
	if len(users) != 2 || users[0].Name != "alice" || users[1].Name != "bob" {
		t.Errorf("Users = %v, want alice, bob in name order", names(users))
	}

	t.Run("Update", func(t *testing.T) {
		u := *alice
		u.Role, u.Project, u.Disabled = qguard.RoleAdmin, "", true
		mustOK(t, s.UpdateUser(ctx, &u))
		got, err := s.UserByID(ctx, alice.ID)
		mustOK(t, err)
		if got.Role != qguard.RoleAdmin || got.Project != "" || !got.Disabled {
			t.Errorf("after UpdateUser: %+v", got)
		}
		if got.UpdatedAt.Before(alice.UpdatedAt) {
			t.Errorf("UpdatedAt went back: %v < %v", got.UpdatedAt, alice.UpdatedAt)
		}
		u.Name = "bob"
		wantCode(t, s.UpdateUser(ctx, &u), qguard.ECONFLICT)
		wantCode(t, s.UpdateUser(ctx, &qguard.User{ID: 98765, Name: "ghost", Role: qguard.RoleAdmin}), qguard.ENOTFOUND)
	})
}

func names(users []*qguard.User) []string {
	var n []string
	for _, u := range users {
		n = append(n, u.Name)
	}
	return n
}

func testDeleteUser(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	alice := mustUser(t, s, "alice", qguard.RoleResearcher)
	k := mustKey(t, s, alice.ID, "alice-key")
	sess := &qguard.Session{Hash: hashOf("alice-session"), UserID: alice.ID, KeyID: k.ID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	mustOK(t, s.CreateSession(ctx, sess))

	mustOK(t, s.DeleteUser(ctx, alice.ID))
	_, err := s.UserByName(ctx, "alice")
	wantCode(t, err, qguard.ENOTFOUND)
	wantCode(t, s.DeleteUser(ctx, alice.ID), qguard.ENOTFOUND)

	gk, err := s.APIKeyByHash(ctx, k.Hash)
	mustOK(t, err)
	if gk.RevokedAt == nil {
		t.Error("DeleteUser left the user's API key unrevoked")
	}
	gs, err := s.SessionByHash(ctx, sess.Hash)
	mustOK(t, err)
	if gs.RevokedAt == nil {
		t.Error("DeleteUser left the user's session unrevoked")
	}
	// A new user of the same name is a new identity: it does not inherit
	// the old id, so old keys cannot point at it.
	again := mustUser(t, s, "alice", qguard.RoleResearcher)
	if again.ID == alice.ID {
		t.Errorf("deleted user's id %d was reused", alice.ID)
	}
}

func testAPIKeys(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	alice := mustUser(t, s, "alice", qguard.RoleResearcher)
	bob := mustUser(t, s, "bob", qguard.RoleResearcher)
	exp := base.Add(720 * time.Hour)
	k1 := &qguard.APIKey{UserID: alice.ID, Hash: hashOf("k1"), Hint: "qg_k1", CreatedAt: base, ExpiresAt: &exp}
	mustOK(t, s.CreateAPIKey(ctx, k1))
	k2 := mustKey(t, s, alice.ID, "k2")
	mustKey(t, s, bob.ID, "k3")

	t.Run("Conflict", func(t *testing.T) {
		wantCode(t, s.CreateAPIKey(ctx, &qguard.APIKey{UserID: bob.ID, Hash: hashOf("k1"), Hint: "x"}), qguard.ECONFLICT)
	})
	t.Run("NotFound", func(t *testing.T) {
		_, err := s.APIKeyByHash(ctx, hashOf("nope"))
		wantCode(t, err, qguard.ENOTFOUND)
		wantCode(t, s.RevokeAPIKey(ctx, 99999, base), qguard.ENOTFOUND)
		wantCode(t, s.TouchAPIKey(ctx, 99999, base), qguard.ENOTFOUND)
	})

	got, err := s.APIKeyByHash(ctx, hashOf("k1"))
	mustOK(t, err)
	if got.ID != k1.ID || got.UserID != alice.ID || got.Hint != "qg_k1" || string(got.Hash) != string(k1.Hash) ||
		!sameTime(got.CreatedAt, base) || !samePtrTime(got.ExpiresAt, &exp) || got.RevokedAt != nil || got.LastUsed != nil {
		t.Errorf("APIKeyByHash = %+v, want %+v", got, k1)
	}
	keys, err := s.APIKeys(ctx, alice.ID)
	mustOK(t, err)
	if len(keys) != 2 || keys[0].ID != k1.ID || keys[1].ID != k2.ID {
		t.Fatalf("APIKeys(alice) = %d keys, want k1, k2 in order", len(keys))
	}
	if keys, _ := s.APIKeys(ctx, 4242); len(keys) != 0 {
		t.Errorf("APIKeys of a missing user = %d keys", len(keys))
	}

	used := base.Add(time.Minute)
	mustOK(t, s.TouchAPIKey(ctx, k2.ID, used))
	got, err = s.APIKeyByHash(ctx, k2.Hash)
	mustOK(t, err)
	if !samePtrTime(got.LastUsed, &used) {
		t.Errorf("LastUsed = %v, want %v", got.LastUsed, used)
	}

	t.Run("Revoke", func(t *testing.T) {
		sess := &qguard.Session{Hash: hashOf("s-of-k2"), UserID: alice.ID, KeyID: k2.ID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
		mustOK(t, s.CreateSession(ctx, sess))
		other := &qguard.Session{Hash: hashOf("s-of-k1"), UserID: alice.ID, KeyID: k1.ID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
		mustOK(t, s.CreateSession(ctx, other))

		at := base.Add(2 * time.Minute)
		mustOK(t, s.RevokeAPIKey(ctx, k2.ID, at))
		mustOK(t, s.RevokeAPIKey(ctx, k2.ID, at.Add(time.Hour))) // again: keeps the first time
		got, err := s.APIKeyByHash(ctx, k2.Hash)
		mustOK(t, err)
		if !samePtrTime(got.RevokedAt, &at) {
			t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, at)
		}
		gs, err := s.SessionByHash(ctx, sess.Hash)
		mustOK(t, err)
		if gs.RevokedAt == nil {
			t.Error("revoking a key left its session valid")
		}
		gs, err = s.SessionByHash(ctx, other.Hash)
		mustOK(t, err)
		if gs.RevokedAt != nil {
			t.Error("revoking a key revoked another key's session")
		}
		if got, _ := s.APIKeyByHash(ctx, k1.Hash); got.RevokedAt != nil {
			t.Error("revoking k2 revoked k1")
		}
	})
}

func testSessions(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	alice := mustUser(t, s, "alice", qguard.RoleResearcher)
	k := mustKey(t, s, alice.ID, "key")
	mk := func(seed string, created, expires time.Time) *qguard.Session {
		t.Helper()
		sess := &qguard.Session{Hash: hashOf(seed), UserID: alice.ID, KeyID: k.ID, CreatedAt: created, ExpiresAt: expires}
		mustOK(t, s.CreateSession(ctx, sess))
		if sess.ID == 0 {
			t.Fatal("CreateSession did not set ID")
		}
		return sess
	}
	s1 := mk("s1", base, base.Add(8*time.Hour))
	s2 := mk("s2", base, base.Add(time.Hour))
	mk("s3", base, base.Add(30*time.Minute))

	wantCode(t, s.CreateSession(ctx, &qguard.Session{Hash: hashOf("s1"), UserID: alice.ID, KeyID: k.ID, CreatedAt: base, ExpiresAt: base}), qguard.ECONFLICT)
	_, err := s.SessionByHash(ctx, hashOf("nope"))
	wantCode(t, err, qguard.ENOTFOUND)
	wantCode(t, s.RevokeSession(ctx, 99999, base), qguard.ENOTFOUND)

	got, err := s.SessionByHash(ctx, s1.Hash)
	mustOK(t, err)
	if got.ID != s1.ID || got.UserID != alice.ID || got.KeyID != k.ID || !sameTime(got.CreatedAt, base) ||
		!sameTime(got.ExpiresAt, s1.ExpiresAt) || got.RevokedAt != nil || string(got.Hash) != string(s1.Hash) {
		t.Errorf("SessionByHash = %+v, want %+v", got, s1)
	}

	count := func(at time.Time) int {
		t.Helper()
		n, err := s.CountActiveSessions(ctx, at)
		mustOK(t, err)
		return n
	}
	if n := count(base); n != 3 {
		t.Errorf("active at start = %d, want 3", n)
	}
	if n := count(base.Add(30 * time.Minute)); n != 2 {
		t.Errorf("active at expiry of s3 = %d, want 2 (a session is expired at its ExpiresAt)", n)
	}
	if n := count(base.Add(2 * time.Hour)); n != 1 {
		t.Errorf("active after 2h = %d, want 1", n)
	}
	at := base.Add(time.Minute)
	mustOK(t, s.RevokeSession(ctx, s1.ID, at))
	mustOK(t, s.RevokeSession(ctx, s1.ID, at.Add(time.Hour)))
	got, err = s.SessionByHash(ctx, s1.Hash)
	mustOK(t, err)
	if !samePtrTime(got.RevokedAt, &at) {
		t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, at)
	}
	if n := count(base); n != 2 {
		t.Errorf("active after revoking s1 = %d, want 2", n)
	}

	// Pruning at base+45m: s3 expired (base+30m) and s1 was revoked
	// (base+1m) before it; s2 (expires base+1h) stays.
	n, err := s.PruneSessions(ctx, base.Add(45*time.Minute))
	mustOK(t, err)
	if n != 2 {
		t.Errorf("PruneSessions removed %d sessions, want 2", n)
	}
	for _, seed := range []string{"s1", "s3"} {
		_, err := s.SessionByHash(ctx, hashOf(seed))
		wantCode(t, err, qguard.ENOTFOUND)
	}
	if got, err := s.SessionByHash(ctx, s2.Hash); err != nil || got.ID != s2.ID {
		t.Errorf("s2 after pruning: %+v, %v", got, err)
	}
	if n, err := s.PruneSessions(ctx, base.Add(45*time.Minute)); err != nil || n != 0 {
		t.Errorf("second prune: %d, %v", n, err)
	}
}

func testCounters(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	count := func(key string, since time.Time) int {
		t.Helper()
		n, err := s.CountEvents(ctx, key, since)
		mustOK(t, err)
		return n
	}
	if n := count("user:alice", base); n != 0 {
		t.Fatalf("fresh counter = %d", n)
	}
	for i := range 5 {
		mustOK(t, s.AddEvent(ctx, "user:alice", base.Add(time.Duration(i)*time.Minute)))
	}
	mustOK(t, s.AddEvent(ctx, "addr:10.0.0.1", base))
	mustOK(t, s.AddEvent(ctx, "user:alice", base)) // two events at the same instant both count

	if n := count("user:alice", base); n != 6 {
		t.Errorf("count since base = %d, want 6", n)
	}
	if n := count("user:alice", base.Add(3*time.Minute)); n != 2 {
		t.Errorf("count since +3m = %d, want 2 (since is inclusive)", n)
	}
	if n := count("user:alice", base.Add(time.Hour)); n != 0 {
		t.Errorf("count since +1h = %d, want 0", n)
	}
	if n := count("user:alic", base); n != 0 {
		t.Errorf("a key prefix counted %d events", n)
	}

	mustOK(t, s.PruneEvents(ctx, base.Add(2*time.Minute)))
	if n := count("user:alice", base.Add(-time.Hour)); n != 3 {
		t.Errorf("after prune = %d, want 3", n)
	}
	if n := count("addr:10.0.0.1", base.Add(-time.Hour)); n != 0 {
		t.Errorf("prune kept %d old addr events", n)
	}
	mustOK(t, s.AddEvent(ctx, "addr:10.0.0.2", base))
	mustOK(t, s.ClearEvents(ctx, "user:alice"))
	if n := count("user:alice", base.Add(-time.Hour)); n != 0 {
		t.Errorf("after clear = %d, want 0", n)
	}
	if n := count("addr:10.0.0.2", base); n != 1 {
		t.Errorf("clear of another key removed this one: %d", n)
	}
	mustOK(t, s.ClearEvents(ctx, "never-seen"))
}

func testJobs(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	alice := mustUser(t, s, "alice", qguard.RoleResearcher)
	j := mustJob(t, s, "job_1", alice, base)

	wantCode(t, s.CreateJob(ctx, &qguard.Job{ID: "job_1", UserID: alice.ID, User: "alice", Device: "d", Provider: "p", Status: qguard.JobQueued}), qguard.ECONFLICT)
	_, err := s.JobByID(ctx, "job_missing")
	wantCode(t, err, qguard.ENOTFOUND)
	wantCode(t, s.UpdateJob(ctx, &qguard.Job{ID: "job_missing", Status: qguard.JobFailed}), qguard.ENOTFOUND)

	got, err := s.JobByID(ctx, "job_1")
	mustOK(t, err)
	if got.UserID != alice.ID || got.User != "alice" || got.Project != "proj-alice" || got.Device != j.Device ||
		got.Provider != "local" || got.Status != qguard.JobQueued || got.Shots != 1000 || got.Qubits != 5 ||
		got.Classification != qguard.ClassificationInternal || got.CircuitSHA256 != "abc" || got.EstimatedCost != 0.25 ||
		got.ActualCost != nil || got.FinishedAt != nil || !sameTime(got.CreatedAt, base) || string(got.SealedCircuit) != "sealed" ||
		got.SealedKey != nil || got.SealedResult != nil || got.Obfuscated {
		t.Errorf("JobByID = %+v", got)
	}

	done := base.Add(time.Minute)
	got.Status, got.ProviderJobID, got.ActualCost, got.FinishedAt = qguard.JobCompleted, "prov-123", ptr(0.3), &done
	got.SealedResult, got.SealedKey, got.Error = []byte("result"), []byte("key"), ""
	mustOK(t, s.UpdateJob(ctx, got))
	again, err := s.JobByID(ctx, "job_1")
	mustOK(t, err)
	if again.Status != qguard.JobCompleted || again.ProviderJobID != "prov-123" || again.ActualCost == nil || *again.ActualCost != 0.3 ||
		!samePtrTime(again.FinishedAt, &done) || string(again.SealedResult) != "result" || string(again.SealedKey) != "key" ||
		string(again.SealedCircuit) != "sealed" || again.UpdatedAt.Before(again.CreatedAt) {
		t.Errorf("after UpdateJob = %+v", again)
	}
	// Immutable fields are not rewritten by UpdateJob.
	again.User, again.Shots = "mallory", 1
	mustOK(t, s.UpdateJob(ctx, again))
	if j, _ := s.JobByID(ctx, "job_1"); j.User != "alice" || j.Shots != 1000 {
		t.Errorf("UpdateJob rewrote owner or shots: %+v", j)
	}
}

func testJobFilter(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	alice := mustUser(t, s, "alice", qguard.RoleResearcher)
	bob := mustUser(t, s, "bob", qguard.RoleResearcher)
	for i := range 6 {
		u := alice
		if i%2 == 1 {
			u = bob
		}
		mustJob(t, s, fmt.Sprintf("job_%d", i), u, base.Add(time.Duration(i)*time.Minute))
	}
	// Two jobs created at the same instant: the later insert is newer.
	mustJob(t, s, "job_6a", alice, base.Add(10*time.Minute))
	mustJob(t, s, "job_6b", alice, base.Add(10*time.Minute))
	j2, err := s.JobByID(ctx, "job_2")
	mustOK(t, err)
	j2.Status = qguard.JobCompleted
	mustOK(t, s.UpdateJob(ctx, j2))

	ids := func(f qguard.JobFilter) string {
		t.Helper()
		jobs, err := s.Jobs(ctx, f)
		mustOK(t, err)
		var out string
		for _, j := range jobs {
			out += j.ID + " "
		}
		return out
	}
	cases := []struct {
		f    qguard.JobFilter
		want string
	}{
		{qguard.JobFilter{}, "job_6b job_6a job_5 job_4 job_3 job_2 job_1 job_0 "},
		{qguard.JobFilter{UserID: bob.ID}, "job_5 job_3 job_1 "},
		{qguard.JobFilter{Status: qguard.JobCompleted}, "job_2 "},
		{qguard.JobFilter{Since: base.Add(4 * time.Minute)}, "job_6b job_6a job_5 job_4 "},
		{qguard.JobFilter{Limit: 2}, "job_6b job_6a "},
		{qguard.JobFilter{UserID: alice.ID, Status: qguard.JobQueued, Limit: 3}, "job_6b job_6a job_4 "},
		{qguard.JobFilter{UserID: 4242}, ""},
	}
	for _, c := range cases {
		if got := ids(c.f); got != c.want {
			t.Errorf("Jobs(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
}

func testClaimJobs(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	alice := mustUser(t, s, "alice", qguard.RoleResearcher)
	for i := range 5 {
		mustJob(t, s, fmt.Sprintf("job_%d", i), alice, base.Add(time.Duration(i)*time.Second))
	}
	j4, err := s.JobByID(ctx, "job_4")
	mustOK(t, err)
	j4.Status = qguard.JobFailed
	mustOK(t, s.UpdateJob(ctx, j4))
	j3, err := s.JobByID(ctx, "job_3")
	mustOK(t, err)
	j3.Status = qguard.JobRunning
	mustOK(t, s.UpdateJob(ctx, j3))

	claim := func(owner string, n int, until time.Time) string {
		t.Helper()
		jobs, err := s.ClaimJobs(ctx, owner, n, until)
		mustOK(t, err)
		var out string
		for _, j := range jobs {
			out += j.ID + " "
		}
		return out
	}
	later := time.Now().Add(time.Hour)
	if got := claim("a", 2, later); got != "job_0 job_1 " {
		t.Errorf("a claims 2 = %q, want the two oldest", got)
	}
	if got := claim("b", 10, later); got != "job_2 job_3 " {
		t.Errorf("b claims = %q, want the unleased unfinished jobs (not the failed one)", got)
	}
	if got := claim("c", 10, later); got != "" {
		t.Errorf("c claims = %q while every job is leased", got)
	}
	if got := claim("a", 10, later); got != "job_0 job_1 " {
		t.Errorf("a renews = %q, want its own leases", got)
	}
	if got := claim("a", 0, later); got != "" {
		t.Errorf("claim of 0 = %q", got)
	}
	// A lease that has run out is free for anyone.
	if got := claim("b", 10, time.Now().Add(-time.Second)); got != "job_2 job_3 " {
		t.Errorf("b renews with an expired lease = %q", got)
	}
	if got := claim("c", 10, later); got != "job_2 job_3 " {
		t.Errorf("c after b's lease expired = %q, want job_2 job_3", got)
	}
	// A finished job is never claimed again.
	j2, err := s.JobByID(ctx, "job_2")
	mustOK(t, err)
	j2.Status = qguard.JobCompleted
	mustOK(t, s.UpdateJob(ctx, j2))
	if got := claim("c", 10, later); got != "job_3 " {
		t.Errorf("c renews after job_2 completed = %q, want job_3", got)
	}
}

func testClaimJobsConcurrent(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	alice := mustUser(t, s, "alice", qguard.RoleResearcher)
	const jobs = 20
	for i := range jobs {
		mustJob(t, s, fmt.Sprintf("job_%02d", i), alice, base.Add(time.Duration(i)*time.Second))
	}
	const owners = 10
	results := make(chan []*qguard.Job, owners)
	errs := make(chan error, owners)
	until := time.Now().Add(time.Hour)
	for i := range owners {
		go func() {
			got, err := s.ClaimJobs(ctx, fmt.Sprintf("replica-%d", i), 3, until)
			errs <- err
			results <- got
		}()
	}
	seen := map[string]bool{}
	total := 0
	for range owners {
		mustOK(t, <-errs)
		for _, j := range <-results {
			if seen[j.ID] {
				t.Errorf("job %s claimed by two replicas", j.ID)
			}
			seen[j.ID] = true
			total++
		}
	}
	if total != jobs {
		t.Errorf("claimed %d jobs, want all %d", total, jobs)
	}
}

func testBudgets(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	day := "2026-12-04"
	userLimit := qguard.BudgetLimit{Scope: qguard.ScopeUser, Name: "alice", Daily: 10}
	projLimit := qguard.BudgetLimit{Scope: qguard.ScopeProject, Name: "qml", Daily: 12}
	res := func(job string, amount float64) qguard.Reservation {
		return qguard.Reservation{JobID: job, User: "alice", Project: "qml", Day: day, Amount: amount}
	}
	mustOK(t, s.Reserve(ctx, res("job_1", 6), []qguard.BudgetLimit{userLimit, projLimit}))
	mustOK(t, s.Reserve(ctx, res("job_2", 4), []qguard.BudgetLimit{userLimit, projLimit})) // exactly at the limit
	t.Run("Exceeded", func(t *testing.T) {
		err := s.Reserve(ctx, res("job_3", 0.01), []qguard.BudgetLimit{userLimit, projLimit})
		wantCode(t, err, qguard.EBUDGETEXCEEDED)
		if msg := qguard.ErrorMessage(err); !contains(msg, "user") || !contains(msg, "alice") {
			t.Errorf("message %q does not name the scope", msg)
		}
		// Nothing was reserved.
		sp, err := s.Spent(ctx, qguard.ScopeUser, "alice", day)
		mustOK(t, err)
		if sp.Reserved != 10 {
			t.Errorf("reserved after a refusal = %v, want 10", sp.Reserved)
		}
	})
	t.Run("ProjectScope", func(t *testing.T) {
		other := qguard.Reservation{JobID: "job_b1", User: "bob", Project: "qml", Day: day, Amount: 2.5}
		err := s.Reserve(ctx, other, []qguard.BudgetLimit{{Scope: qguard.ScopeUser, Name: "bob", Daily: 100}, projLimit})
		wantCode(t, err, qguard.EBUDGETEXCEEDED)
		if msg := qguard.ErrorMessage(err); !contains(msg, "project") || !contains(msg, "qml") {
			t.Errorf("message %q does not name the project", msg)
		}
		other.Amount = 2
		mustOK(t, s.Reserve(ctx, other, []qguard.BudgetLimit{{Scope: qguard.ScopeUser, Name: "bob", Daily: 100}, projLimit}))
	})
	t.Run("Unlimited", func(t *testing.T) {
		mustOK(t, s.Reserve(ctx, res("job_u", 1000), []qguard.BudgetLimit{{Scope: qguard.ScopeUser, Name: "alice", Daily: -1}}))
		mustOK(t, s.Reserve(ctx, res("job_n", 1000), nil))
	})
	t.Run("OtherDay", func(t *testing.T) {
		r := res("job_tomorrow", 10)
		r.Day = "2026-12-05"
		mustOK(t, s.Reserve(ctx, r, []qguard.BudgetLimit{userLimit}))
	})
	t.Run("ZeroLimit", func(t *testing.T) {
		wantCode(t, s.Reserve(ctx, qguard.Reservation{JobID: "job_z", User: "carol", Day: day, Amount: 0.01},
			[]qguard.BudgetLimit{{Scope: qguard.ScopeUser, Name: "carol", Daily: 0}}), qguard.EBUDGETEXCEEDED)
		mustOK(t, s.Reserve(ctx, qguard.Reservation{JobID: "job_z0", User: "carol", Day: day, Amount: 0},
			[]qguard.BudgetLimit{{Scope: qguard.ScopeUser, Name: "carol", Daily: 0}}))
	})
	t.Run("Conflict", func(t *testing.T) {
		wantCode(t, s.Reserve(ctx, res("job_1", 0), nil), qguard.ECONFLICT)
	})
	t.Run("Invalid", func(t *testing.T) {
		wantCode(t, s.Reserve(ctx, res("job_neg", -1), nil), qguard.EINVALID)
		wantCode(t, s.Reserve(ctx, res("job_scope", 1), []qguard.BudgetLimit{{Scope: "galaxy", Name: "x", Daily: 1}}), qguard.EINVALID)
		_, err := s.Spent(ctx, "galaxy", "x", day)
		wantCode(t, err, qguard.EINVALID)
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// testBudgetConcurrent races 100 reservations of $0.10 for a budget of $1:
// exactly 10 may succeed, whatever the interleaving.
func testBudgetConcurrent(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	const tries, fits = 100, 10
	limits := []qguard.BudgetLimit{{Scope: qguard.ScopeUser, Name: "alice", Daily: 1}, {Scope: qguard.ScopeProject, Name: "qml", Daily: 5}}
	errs := make(chan error, tries)
	start := make(chan struct{})
	for i := range tries {
		go func() {
			<-start
			errs <- s.Reserve(ctx, qguard.Reservation{JobID: fmt.Sprintf("job_%03d", i), User: "alice", Project: "qml", Day: "2026-12-04", Amount: 0.1}, limits)
		}()
	}
	close(start)
	ok := 0
	for range tries {
		err := <-errs
		switch {
		case err == nil:
			ok++
		case qguard.ErrorCode(err) == qguard.EBUDGETEXCEEDED:
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != fits {
		t.Errorf("%d reservations succeeded, want exactly %d", ok, fits)
	}
	sp, err := s.Spent(ctx, qguard.ScopeUser, "alice", "2026-12-04")
	mustOK(t, err)
	if sp.Reserved != 1 {
		t.Errorf("reserved = %v, want exactly 1", sp.Reserved)
	}
}

func testSettle(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	day := "2026-12-04"
	limit := []qguard.BudgetLimit{{Scope: qguard.ScopeUser, Name: "alice", Daily: 10}}
	r := func(job string, amount float64) qguard.Reservation {
		return qguard.Reservation{JobID: job, User: "alice", Project: "qml", Day: day, Amount: amount}
	}
	mustOK(t, s.Reserve(ctx, r("job_1", 5), limit))
	mustOK(t, s.Reserve(ctx, r("job_2", 5), limit))
	wantCode(t, s.Reserve(ctx, r("job_3", 1), limit), qguard.EBUDGETEXCEEDED)

	mustOK(t, s.Settle(ctx, "job_1", 2.25)) // cheaper than estimated: frees headroom
	sp, err := s.Spent(ctx, qguard.ScopeUser, "alice", day)
	mustOK(t, err)
	if sp.Reserved != 5 || sp.Settled != 2.25 || sp.Scope != qguard.ScopeUser || sp.Name != "alice" || sp.Day != day {
		t.Errorf("Spent = %+v, want reserved 5, settled 2.25", sp)
	}
	mustOK(t, s.Reserve(ctx, r("job_3", 2.75), limit))

	mustOK(t, s.Release(ctx, "job_2"))
	sp, err = s.Spent(ctx, qguard.ScopeProject, "qml", day)
	mustOK(t, err)
	if sp.Reserved != 2.75 || sp.Settled != 2.25 {
		t.Errorf("project Spent after release = %+v, want reserved 2.75, settled 2.25", sp)
	}
	wantCode(t, s.Release(ctx, "job_2"), qguard.ENOTFOUND)
	wantCode(t, s.Release(ctx, "job_1"), qguard.ECONFLICT) // settled money stays spent
	wantCode(t, s.Settle(ctx, "job_missing", 1), qguard.ENOTFOUND)
	wantCode(t, s.Settle(ctx, "job_3", -1), qguard.EINVALID)

	sp, err = s.Spent(ctx, qguard.ScopeUser, "nobody", day)
	mustOK(t, err)
	if sp.Reserved != 0 || sp.Settled != 0 {
		t.Errorf("Spent of nobody = %+v", sp)
	}
}

func testReleaseOrphans(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	alice := mustUser(t, s, "alice", qguard.RoleResearcher)
	day := qguard.Day(time.Now())
	limit := []qguard.BudgetLimit{{Scope: qguard.ScopeUser, Name: "alice", Daily: 5}}
	r := func(job string) qguard.Reservation {
		return qguard.Reservation{JobID: job, User: "alice", Project: "qml", Day: day, Amount: 1}
	}
	mustOK(t, s.Reserve(ctx, r("job_orphan"), limit))  // the replica died before creating the job
	mustOK(t, s.Reserve(ctx, r("job_created"), limit)) // a job exists and runs: kept
	mustJob(t, s, "job_created", alice, time.Now())
	mustOK(t, s.Reserve(ctx, r("job_settled"), limit)) // settled: kept
	mustOK(t, s.Settle(ctx, "job_settled", 1))
	// Jobs that finished, but the replica died before settling them.
	finished := func(id, status string, actual *float64) {
		mustOK(t, s.Reserve(ctx, r(id), limit))
		j := mustJob(t, s, id, alice, time.Now())
		j.Status, j.ActualCost = status, actual
		mustOK(t, s.UpdateJob(ctx, j))
	}
	half := 0.5
	finished("job_done", qguard.JobCompleted, &half) // settled at its actual cost
	finished("job_failed", qguard.JobFailed, nil)    // released
	wantCode(t, s.Reserve(ctx, r("job_x"), limit), qguard.EBUDGETEXCEEDED)

	n, err := s.ReleaseOrphans(ctx, time.Now().Add(-time.Hour))
	mustOK(t, err)
	if n != 0 {
		t.Errorf("repaired %d reservations younger than the grace period", n)
	}
	n, err = s.ReleaseOrphans(ctx, time.Now().Add(time.Second))
	mustOK(t, err)
	if n != 3 {
		t.Errorf("repaired %d reservations, want 3", n)
	}
	sp, err := s.Spent(ctx, qguard.ScopeUser, "alice", day)
	mustOK(t, err)
	if sp.Reserved != 1 || sp.Settled != 1.5 {
		t.Errorf("Spent after repair = %+v, want reserved 1, settled 1.5", sp)
	}
	wantCode(t, s.Release(ctx, "job_orphan"), qguard.ENOTFOUND)
	wantCode(t, s.Release(ctx, "job_failed"), qguard.ENOTFOUND)
	wantCode(t, s.Release(ctx, "job_done"), qguard.ECONFLICT)
	mustOK(t, s.Reserve(ctx, r("job_x"), limit)) // the headroom is back
	mustJob(t, s, "job_x", alice, time.Now())
	n, err = s.ReleaseOrphans(ctx, time.Now().Add(time.Second))
	mustOK(t, err)
	if n != 0 {
		t.Errorf("a second repair changed %d reservations", n)
	}
}

func testBudgetLimits(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	limits, err := s.BudgetLimits(ctx)
	mustOK(t, err)
	if len(limits) != 0 {
		t.Fatalf("fresh store has %d limits", len(limits))
	}
	mustOK(t, s.SetBudgetLimit(ctx, qguard.BudgetLimit{Scope: qguard.ScopeUser, Name: "bob", Daily: 5}))
	mustOK(t, s.SetBudgetLimit(ctx, qguard.BudgetLimit{Scope: qguard.ScopeUser, Name: "alice", Daily: 10}))
	mustOK(t, s.SetBudgetLimit(ctx, qguard.BudgetLimit{Scope: qguard.ScopeProject, Name: "qml", Daily: -1}))
	mustOK(t, s.SetBudgetLimit(ctx, qguard.BudgetLimit{Scope: qguard.ScopeUser, Name: "alice", Daily: 12.5})) // replaces
	wantCode(t, s.SetBudgetLimit(ctx, qguard.BudgetLimit{Scope: "galaxy", Name: "x", Daily: 1}), qguard.EINVALID)
	limits, err = s.BudgetLimits(ctx)
	mustOK(t, err)
	want := []qguard.BudgetLimit{
		{Scope: qguard.ScopeProject, Name: "qml", Daily: -1},
		{Scope: qguard.ScopeUser, Name: "alice", Daily: 12.5},
		{Scope: qguard.ScopeUser, Name: "bob", Daily: 5},
	}
	if fmt.Sprint(limits) != fmt.Sprint(want) {
		t.Errorf("BudgetLimits = %v, want %v", limits, want)
	}
}

func testCostSince(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	alice := mustUser(t, s, "alice", qguard.RoleResearcher)
	bob := mustUser(t, s, "bob", qguard.RoleResearcher)
	add := func(id string, u *qguard.User, provider string, created time.Time, amount float64) {
		t.Helper()
		j := &qguard.Job{ID: id, UserID: u.ID, User: u.Name, Project: u.Project, Device: provider + ":dev", Provider: provider,
			Status: qguard.JobQueued, Shots: 10, Qubits: 2, CreatedAt: created}
		mustOK(t, s.CreateJob(ctx, j))
		mustOK(t, s.Reserve(ctx, qguard.Reservation{JobID: id, User: u.Name, Project: u.Project, Day: qguard.Day(created), Amount: amount}, nil))
	}
	add("job_old", alice, "local", base.Add(-48*time.Hour), 100)
	add("job_a1", alice, "local", base, 1)
	add("job_a2", alice, "ibm", base.Add(time.Hour), 2)
	add("job_b1", bob, "ibm", base.Add(2*time.Hour), 4)
	mustOK(t, s.Settle(ctx, "job_a1", 0.5))

	cases := []struct {
		by   string
		want map[string]float64
	}{
		{"user", map[string]float64{"alice": 2.5, "bob": 4}},
		{"project", map[string]float64{"proj-alice": 2.5, "proj-bob": 4}},
		{"provider", map[string]float64{"local": 0.5, "ibm": 6}},
	}
	for _, c := range cases {
		got, err := s.CostSince(ctx, base.Add(-time.Hour), c.by)
		mustOK(t, err)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("CostSince by %s = %v, want %v", c.by, got, c.want)
		}
	}
	_, err := s.CostSince(ctx, base, "galaxy")
	wantCode(t, err, qguard.EINVALID)
}

func testAudit(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	if n, err := s.AuditSize(ctx); err != nil || n != 0 {
		t.Fatalf("fresh AuditSize = %d, %v", n, err)
	}
	if e, err := s.AuditEntries(ctx, 0, 10); err != nil || len(e) != 0 {
		t.Fatalf("fresh AuditEntries = %d, %v", len(e), err)
	}
	var seen []int64
	encode := func(r *qguard.AuditRecord) ([]byte, error) {
		seen = append(seen, r.Index)
		return jsonEncode(r)
	}
	for i := range 5 {
		rec := &qguard.AuditRecord{
			Time: base.Add(time.Duration(i) * time.Minute), Actor: "alice", Action: "job.submit",
			Resource: "device:local:statevector", Decision: qguard.DecisionAllow, Reason: "researcher may execute on simulator",
			RequestID: fmt.Sprintf("req-%d", i), Cost: 0.25, Details: map[string]string{"shots": "1000", "n": fmt.Sprint(i)},
		}
		idx, err := s.AppendAudit(ctx, rec, encode)
		mustOK(t, err)
		if idx != int64(i) || rec.Index != int64(i) {
			t.Fatalf("append %d got index %d (record %d)", i, idx, rec.Index)
		}
	}
	if fmt.Sprint(seen) != "[0 1 2 3 4]" {
		t.Errorf("encode saw indexes %v", seen)
	}
	t.Run("EncodeError", func(t *testing.T) {
		_, err := s.AppendAudit(ctx, &qguard.AuditRecord{Time: base, Actor: "x", Action: "y", Resource: "z", Decision: qguard.DecisionInfo},
			func(*qguard.AuditRecord) ([]byte, error) { return nil, errors.New("boom") })
		if err == nil {
			t.Fatal("AppendAudit ignored an encode error")
		}
		if n, _ := s.AuditSize(ctx); n != 5 {
			t.Errorf("size after a failed append = %d, want 5", n)
		}
	})
	if n, err := s.AuditSize(ctx); err != nil || n != 5 {
		t.Fatalf("AuditSize = %d, %v; want 5", n, err)
	}
	entries, err := s.AuditEntries(ctx, 1, 4)
	mustOK(t, err)
	if len(entries) != 3 {
		t.Fatalf("AuditEntries(1, 4) = %d entries, want 3", len(entries))
	}
	for i, e := range entries {
		idx := int64(i + 1)
		rec := e.Record
		want, _ := jsonEncode(&qguard.AuditRecord{Index: idx, Time: base.Add(time.Duration(idx) * time.Minute), Actor: "alice", Action: "job.submit", Resource: "device:local:statevector"})
		if e.Index != idx || rec.Index != idx || string(e.Data) != string(want) || rec.Actor != "alice" || rec.Action != "job.submit" ||
			rec.Resource != "device:local:statevector" || rec.Decision != qguard.DecisionAllow || rec.Reason == "" ||
			rec.RequestID != fmt.Sprintf("req-%d", idx) || rec.Cost != 0.25 || rec.Details["n"] != fmt.Sprint(idx) ||
			!sameTime(rec.Time, base.Add(time.Duration(idx)*time.Minute)) {
			t.Errorf("entry %d = %+v (data %q)", i, e, e.Data)
		}
	}
	if e, err := s.AuditEntries(ctx, 3, 100); err != nil || len(e) != 2 || e[0].Index != 3 || e[1].Index != 4 {
		t.Errorf("AuditEntries past the end = %d, %v", len(e), err)
	}
	if e, err := s.AuditEntries(ctx, 2, 2); err != nil || len(e) != 0 {
		t.Errorf("empty range = %d, %v", len(e), err)
	}
	_, err = s.AuditEntries(ctx, 3, 1)
	wantCode(t, err, qguard.EINVALID)
	_, err = s.AuditEntries(ctx, -1, 1)
	wantCode(t, err, qguard.EINVALID)

	recs, err := s.AuditSince(ctx, base.Add(3*time.Minute))
	mustOK(t, err)
	if len(recs) != 2 || recs[0].Index != 3 || recs[1].Index != 4 || recs[1].Details["shots"] != "1000" {
		t.Errorf("AuditSince = %+v", recs)
	}
	if recs, _ := s.AuditSince(ctx, base.Add(time.Hour)); len(recs) != 0 {
		t.Errorf("AuditSince in the future = %d records", len(recs))
	}
}

// testAuditConcurrent appends from many goroutines: the indexes are exactly
// 0..n-1 and each entry's bytes were encoded with its own index.
func testAuditConcurrent(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	const n = 50
	errs := make(chan error, n)
	for i := range n {
		go func() {
			rec := &qguard.AuditRecord{Time: base, Actor: fmt.Sprintf("user-%d", i), Action: "job.submit", Resource: "r", Decision: qguard.DecisionAllow}
			_, err := s.AppendAudit(ctx, rec, jsonEncode)
			errs <- err
		}()
	}
	for range n {
		mustOK(t, <-errs)
	}
	entries, err := s.AuditEntries(ctx, 0, n+10)
	mustOK(t, err)
	if len(entries) != n {
		t.Fatalf("%d entries, want %d", len(entries), n)
	}
	actors := map[string]bool{}
	for i, e := range entries {
		want, _ := jsonEncode(&e.Record)
		if e.Index != int64(i) || string(e.Data) != string(want) {
			t.Errorf("entry %d: index %d, data %q, want %q", i, e.Index, e.Data, want)
		}
		actors[e.Record.Actor] = true
	}
	if len(actors) != n {
		t.Errorf("%d distinct actors, want %d", len(actors), n)
	}
}

func testCheckpoints(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	_, _, err := s.LatestCheckpoint(ctx)
	wantCode(t, err, qguard.ENOTFOUND)
	mustOK(t, s.SaveCheckpoint(ctx, 10, []byte("note-10")))
	mustOK(t, s.SaveCheckpoint(ctx, 30, []byte("note-30")))
	mustOK(t, s.SaveCheckpoint(ctx, 20, []byte("note-20")))
	mustOK(t, s.SaveCheckpoint(ctx, 30, []byte("note-30-again"))) // the first one for a size is kept
	size, note, err := s.LatestCheckpoint(ctx)
	mustOK(t, err)
	if size != 30 || string(note) != "note-30" {
		t.Errorf("LatestCheckpoint = %d %q, want 30 note-30", size, note)
	}
}

func testSecurityEvents(t *testing.T, s qguard.Store) {
	ctx := t.Context()
	add := func(e qguard.SecurityEvent, dedupSince time.Time) (*qguard.SecurityEvent, bool) {
		t.Helper()
		added, err := s.AddSecurityEvent(ctx, &e, dedupSince)
		mustOK(t, err)
		return &e, added
	}
	ev := qguard.SecurityEvent{
		Time: base, Type: qguard.EventAuthFailure, Severity: qguard.SeverityHigh, Source: "gateway", User: "alice",
		Address: "10.0.0.1", Rule: "auth-burst", Message: "5 failed logins", Details: map[string]string{"count": "5"}, DedupKey: "auth-burst:10.0.0.1",
	}
	first, added := add(ev, base.Add(-time.Hour))
	if !added || first.ID == 0 {
		t.Fatalf("first event: added %v, id %d", added, first.ID)
	}
	ev.Time = base.Add(time.Minute)
	if _, added := add(ev, base.Add(-time.Hour)); added {
		t.Error("a duplicate inside the dedup window was added")
	}
	ev.Time = base.Add(20 * time.Minute)
	if _, added := add(ev, base.Add(time.Second)); !added {
		t.Error("an event after the dedup window was not added")
	}
	other := ev
	other.DedupKey = ""
	other.Type, other.Severity, other.Message = qguard.EventCostThreshold, qguard.SeverityMedium, "over 80%"
	other.Time = base.Add(5 * time.Minute)
	add(other, base.Add(-time.Hour))
	if _, added := add(other, base.Add(-time.Hour)); !added {
		t.Error("an event without a dedup key was deduplicated")
	}

	events, err := s.SecurityEvents(ctx, base)
	mustOK(t, err)
	if len(events) != 4 {
		t.Fatalf("SecurityEvents = %d events, want 4", len(events))
	}
	got := events[0]
	if got.ID != first.ID || !sameTime(got.Time, base) || got.Type != qguard.EventAuthFailure || got.Severity != qguard.SeverityHigh ||
		got.Source != "gateway" || got.User != "alice" || got.Address != "10.0.0.1" || got.Rule != "auth-burst" ||
		got.Message != "5 failed logins" || got.Details["count"] != "5" || got.DedupKey != ev.DedupKey {
		t.Errorf("first event = %+v", got)
	}
	for i := 1; i < len(events); i++ {
		if events[i].Time.Before(events[i-1].Time) {
			t.Errorf("events out of time order at %d", i)
		}
	}
	if events, _ := s.SecurityEvents(ctx, base.Add(10*time.Minute)); len(events) != 1 {
		t.Errorf("SecurityEvents since +10m = %d, want 1", len(events))
	}
}
