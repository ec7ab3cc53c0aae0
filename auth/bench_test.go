package auth_test

import (
	"testing"
)

// BenchmarkAuthenticate is the per-request cost of an API key: lock checks,
// the key and user lookups (LastUsed is written at most once a minute).
func BenchmarkAuthenticate(b *testing.B) {
	f := setupB(b)
	_, key, err := f.svc.CreateUser(b.Context(), "alice", "researcher", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := f.svc.Authenticate(b.Context(), key, "10.0.0.1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAuthenticateSession is the same for a session token.
func BenchmarkAuthenticateSession(b *testing.B) {
	f := setupB(b)
	_, key, err := f.svc.CreateUser(b.Context(), "alice", "researcher", "")
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := f.svc.Login(b.Context(), key, "10.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := f.svc.Authenticate(b.Context(), token, "10.0.0.1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
