package config

import (
	"strings"
	"testing"
)

func TestAuthAndStoreValidation(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"auth: {session_ttl: 0s}", "auth.session_ttl must be positive"},
		{"auth: {session_ttl: 48h}", "auth.max_session_ttl (24h0m0s) must be at least auth.session_ttl"},
		{"auth: {lockout_failures: 0}", "auth.lockout_failures must be at least 1"},
		{"auth: {lockout_window: 0s}", "auth.lockout_window must be positive"},
		{"auth: {lockout_max_backoff: 1m}", "auth.lockout_max_backoff (1m0s) must be at least"},
		{"auth: {clock_skew: 2m}", "auth.clock_skew must be between 0 and 1m"},
		{"store: {dsn: 'mysql://u:secret@h/db'}", "store.dsn: store DSN must be empty"},
		{"store: {synchronous: off}", "store.synchronous must be full or normal"},
		{"store: {max_conns: 0}", "store.max_conns must be at least 1"},
	} {
		err := Parse([]byte(c.yaml), Default())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.yaml, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error repeats the DSN: %v", c.yaml, err)
		}
	}
	for _, ok := range []string{"", "store: {dsn: 'postgres://h/db', synchronous: normal}", "store: {dsn: 'sqlite:/tmp/x.db'}", "auth: {session_ttl: 1h, max_session_ttl: 1h}"} {
		if err := Parse([]byte(ok), Default()); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
