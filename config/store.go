package config

import (
	"fmt"
	"strings"
	"time"
)

// Store configures the database.
type Store struct {
	// DSN selects the store: empty means SQLite at qguard.db in the home;
	// sqlite:PATH is SQLite at PATH; postgres://… selects PostgreSQL.
	// QGUARD_STORE overrides it.
	DSN      string `yaml:"dsn"`
	MaxConns int    `yaml:"max_conns"`
	// Synchronous is SQLite's durability: "full" (default; a commit survives
	// power loss) or "normal" (a commit survives a crash of qguard, not of
	// the machine; faster).
	Synchronous string `yaml:"synchronous"`
	// BusyTimeout is how long SQLite waits for another process's write lock.
	BusyTimeout time.Duration `yaml:"busy_timeout"`

	// PostgreSQL pool settings (each replica has its own pool; the
	// server's max_connections must cover replicas × max_conns).
	// MinConns connections are kept open even when idle.
	MinConns int `yaml:"min_conns"`
	// MaxConnLifetime closes a connection after this age, so that a
	// failover or a DNS change is picked up.
	MaxConnLifetime time.Duration `yaml:"max_conn_lifetime"`
	// MaxConnIdleTime closes a connection idle this long.
	MaxConnIdleTime time.Duration `yaml:"max_conn_idle_time"`
	// ConnectTimeout bounds one connection attempt.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
}

func defaultStore() Store {
	return Store{MaxConns: 10, Synchronous: "full", BusyTimeout: 5 * time.Second,
		MaxConnLifetime: time.Hour, MaxConnIdleTime: 30 * time.Minute, ConnectTimeout: 5 * time.Second}
}

// StoreKind returns "sqlite" or "postgres" for a DSN, or an error naming
// the accepted forms.
func StoreKind(dsn string) (string, error) {
	switch {
	case dsn == "", strings.HasPrefix(dsn, "sqlite:"):
		return "sqlite", nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "postgres", nil
	}
	return "", fmt.Errorf("store DSN must be empty (SQLite in the home), sqlite:PATH or postgres://…")
}

func (c *Store) validate() error {
	if _, err := StoreKind(c.DSN); err != nil {
		return fmt.Errorf("store.dsn: %w", err)
	}
	if c.MaxConns < 1 {
		return fmt.Errorf("store.max_conns must be at least 1, not %d", c.MaxConns)
	}
	if s := strings.ToLower(c.Synchronous); s != "full" && s != "normal" {
		return fmt.Errorf("store.synchronous must be full or normal, not %q", c.Synchronous)
	}
	if c.BusyTimeout < 0 {
		return fmt.Errorf("store.busy_timeout must not be negative")
	}
	if c.MinConns < 0 || c.MinConns > c.MaxConns {
		return fmt.Errorf("store.min_conns must be between 0 and store.max_conns (%d), not %d", c.MaxConns, c.MinConns)
	}
	if c.MaxConnLifetime < 0 || c.MaxConnIdleTime < 0 || c.ConnectTimeout < 0 {
		return fmt.Errorf("store.max_conn_lifetime, store.max_conn_idle_time and store.connect_timeout must not be negative")
	}
	return nil
}
