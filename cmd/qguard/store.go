package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/sqlite"
)

// openStore opens the store the configuration selects: SQLite at
// qguard.db in the home by default, PostgreSQL for a postgres:// DSN in
// QGUARD_STORE or store.dsn.
func (a *app) openStore(ctx context.Context) (qguard.Store, error) {
	s, _, err := a.openStoreKind(ctx)
	return s, err
}

func (a *app) openStoreKind(ctx context.Context) (qguard.Store, string, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, "", err
	}
	dsn := os.Getenv("QGUARD_STORE")
	if dsn == "" {
		dsn = cfg.Store.DSN
	}
	switch {
	case dsn == "" || strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			path = filepath.Join(a.home, "qguard.db")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, "", err
		}
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, "", err
		}
		return db, "sqlite", nil
	case strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://"):
		return nil, "", fmt.Errorf("the PostgreSQL store is not built yet")
	default:
		return nil, "", fmt.Errorf("store DSN must be empty (SQLite in the home), sqlite:PATH or postgres://…")
	}
}
