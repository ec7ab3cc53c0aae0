package config

import (
	"strings"
	"testing"
	"time"
)

func TestStorePoolSettings(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"store: {min_conns: 11}", "store.min_conns must be between 0 and store.max_conns (10)"},
		{"store: {min_conns: -1}", "store.min_conns must be between 0"},
		{"store: {max_conn_lifetime: -1s}", "must not be negative"},
		{"store: {connect_timeout: -5s}", "must not be negative"},
	} {
		err := Parse([]byte(c.yaml), Default())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.yaml, err, c.want)
		}
	}
	cfg := Default()
	if err := Parse([]byte("store: {dsn: 'postgres://h/db', max_conns: 20, min_conns: 2, max_conn_lifetime: 10m, connect_timeout: 2s}"), cfg); err != nil {
		t.Fatal(err)
	}
	if s := cfg.Store; s.MaxConns != 20 || s.MinConns != 2 || s.MaxConnLifetime != 10*time.Minute || s.ConnectTimeout != 2*time.Second || s.MaxConnIdleTime != 30*time.Minute {
		t.Errorf("store section = %+v", s)
	}
}
