package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/postgres"
	"github.com/qguard/qguard/sqlite"
)

// storeOpeners opens each kind of store; config.StoreKind picks the kind
// from the DSN. This map is the one place where stores are wired.
var storeOpeners = map[string]func(ctx context.Context, a *app, dsn string, cfg config.Store) (qguard.Store, error){
	"sqlite":   openSQLite,
	"postgres": openPostgres,
}

// openStore opens the store the configuration selects: SQLite at
// qguard.db in the home by default, PostgreSQL for a postgres:// DSN in
// QGUARD_STORE or store.dsn.
func (a *app) openStore(ctx context.Context) (qguard.Store, error) {
	s, _, err := a.openStoreKind(ctx)
	return s, err
}

// openStoreKind opens the store and says which kind it is ("sqlite" or
// "postgres"). The DSN never appears in errors: it may hold a password.
func (a *app) openStoreKind(ctx context.Context) (qguard.Store, string, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, "", err
	}
	dsn := os.Getenv("QGUARD_STORE")
	source := "QGUARD_STORE"
	if dsn == "" {
		dsn, source = cfg.Store.DSN, "store.dsn in config.yaml"
	}
	kind, err := config.StoreKind(dsn)
	if err != nil {
		return nil, "", errors.New(source + ": " + err.Error())
	}
	s, err := storeOpeners[kind](ctx, a, dsn, cfg.Store)
	if err != nil {
		return nil, "", err
	}
	return s, kind, nil
}

func openSQLite(ctx context.Context, a *app, dsn string, cfg config.Store) (qguard.Store, error) {
	path := strings.TrimPrefix(dsn, "sqlite:")
	if path == "" {
		// The home holds secrets: create it 0700 (sqlite.Open creates
		// other missing parents 0700 too).
		if err := os.MkdirAll(a.home, 0o700); err != nil {
			return nil, err
		}
		path = filepath.Join(a.home, "qguard.db")
	}
	return sqlite.Open(ctx, path, sqlite.WithSynchronous(cfg.Synchronous), sqlite.WithBusyTimeout(cfg.BusyTimeout))
}

func openPostgres(ctx context.Context, _ *app, dsn string, cfg config.Store) (qguard.Store, error) {
	return postgres.Open(ctx, dsn, postgres.WithPool(cfg))
}
