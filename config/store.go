package config

// Store configures the database.
type Store struct {
	// DSN selects the store: empty means SQLite at qguard.db in the home; postgres://… selects PostgreSQL. QGUARD_STORE overrides it.
	DSN      string `yaml:"dsn"`
	MaxConns int    `yaml:"max_conns"`
}

func defaultStore() Store { return Store{MaxConns: 10} }

func (c *Store) validate() error { return nil }
