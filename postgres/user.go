package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qguard/qguard"
)

const userColumns = "id, name, role, project, disabled, created_at, updated_at"

func scanUser(row pgx.Row) (*qguard.User, error) {
	var u qguard.User
	if err := row.Scan(&u.ID, &u.Name, &u.Role, &u.Project, &u.Disabled, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = utc(u.CreatedAt), utc(u.UpdatedAt)
	return &u, nil
}

// CreateUser stores u and sets its ID, CreatedAt and UpdatedAt.
func (db *DB) CreateUser(ctx context.Context, u *qguard.User) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := db.pool.QueryRow(ctx, "INSERT INTO users (name, role, project, disabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
		u.Name, u.Role, u.Project, u.Disabled, now).Scan(&u.ID)
	if isConflict(err) {
		return qguard.Errorf(qguard.ECONFLICT, "user %q exists", u.Name)
	}
	if err != nil {
		return err
	}
	u.CreatedAt, u.UpdatedAt = now, now
	return nil
}

// UserByID returns a user or ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id int64) (*qguard.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id))
	return u, notFound(err, "user %d not found", id)
}

// UserByName returns a user or ENOTFOUND.
func (db *DB) UserByName(ctx context.Context, name string) (*qguard.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE name = $1", name))
	return u, notFound(err, "user %q not found", name)
}

// Users returns every user, ordered by name.
func (db *DB) Users(ctx context.Context) ([]*qguard.User, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*qguard.User, error) { return scanUser(r) })
}

// UpdateUser writes u's name, role, project and disabled flag and sets its
// UpdatedAt.
func (db *DB) UpdateUser(ctx context.Context, u *qguard.User) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	tag, err := db.pool.Exec(ctx, "UPDATE users SET name = $1, role = $2, project = $3, disabled = $4, updated_at = $5 WHERE id = $6",
		u.Name, u.Role, u.Project, u.Disabled, now, u.ID)
	if isConflict(err) {
		return qguard.Errorf(qguard.ECONFLICT, "user %q exists", u.Name)
	}
	if err := affected(tag, err, "user %d not found", u.ID); err != nil {
		return err
	}
	u.UpdatedAt = now
	return nil
}

// DeleteUser deletes a user and revokes its keys and sessions.
func (db *DB) DeleteUser(ctx context.Context, id int64) error {
	now := time.Now().UTC()
	return db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM users WHERE id = $1", id)
		if err := affected(tag, err, "user %d not found", id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE api_keys SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL", now, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL", now, id)
		return err
	})
}

const keyColumns = "id, user_id, hash, hint, created_at, expires_at, revoked_at, last_used"

func scanKey(row pgx.Row) (*qguard.APIKey, error) {
	var k qguard.APIKey
	if err := row.Scan(&k.ID, &k.UserID, &k.Hash, &k.Hint, &k.CreatedAt, &k.ExpiresAt, &k.RevokedAt, &k.LastUsed); err != nil {
		return nil, err
	}
	k.CreatedAt = utc(k.CreatedAt)
	k.ExpiresAt, k.RevokedAt, k.LastUsed = utcPtr(k.ExpiresAt), utcPtr(k.RevokedAt), utcPtr(k.LastUsed)
	return &k, nil
}

// CreateAPIKey stores k (its hash, never the key) and sets its ID; a zero
// CreatedAt becomes the current time.
func (db *DB) CreateAPIKey(ctx context.Context, k *qguard.APIKey) error {
	k.CreatedAt = orNow(k.CreatedAt)
	err := db.pool.QueryRow(ctx, `INSERT INTO api_keys (user_id, hash, hint, created_at, expires_at, revoked_at, last_used)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		k.UserID, k.Hash, k.Hint, k.CreatedAt, k.ExpiresAt, k.RevokedAt, k.LastUsed).Scan(&k.ID)
	if isConflict(err) {
		return qguard.Errorf(qguard.ECONFLICT, "API key exists")
	}
	return err
}

// APIKeyByHash returns the key with the given hash or ENOTFOUND.
func (db *DB) APIKeyByHash(ctx context.Context, hash []byte) (*qguard.APIKey, error) {
	k, err := scanKey(db.pool.QueryRow(ctx, "SELECT "+keyColumns+" FROM api_keys WHERE hash = $1", hash))
	return k, notFound(err, "API key not found")
}

// APIKeys returns a user's keys, oldest first, revoked ones included.
func (db *DB) APIKeys(ctx context.Context, userID int64) ([]*qguard.APIKey, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+keyColumns+" FROM api_keys WHERE user_id = $1 ORDER BY id", userID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*qguard.APIKey, error) { return scanKey(r) })
}

// RevokeAPIKey revokes a key and the sessions issued for it. Revoking a
// revoked key keeps the first revocation time.
func (db *DB) RevokeAPIKey(ctx context.Context, id int64, at time.Time) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2", at, id)
		if err := affected(tag, err, "API key %d not found", id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE sessions SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL", at, id)
		return err
	})
}

// TouchAPIKey records when a key was last used.
func (db *DB) TouchAPIKey(ctx context.Context, id int64, at time.Time) error {
	tag, err := db.pool.Exec(ctx, "UPDATE api_keys SET last_used = $1 WHERE id = $2", at, id)
	return affected(tag, err, "API key %d not found", id)
}

// CreateSession stores s (its hash, never the token) and sets its ID; a
// zero CreatedAt becomes the current time.
func (db *DB) CreateSession(ctx context.Context, s *qguard.Session) error {
	s.CreatedAt = orNow(s.CreatedAt)
	err := db.pool.QueryRow(ctx, `INSERT INTO sessions (hash, user_id, key_id, created_at, expires_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		s.Hash, s.UserID, s.KeyID, s.CreatedAt, s.ExpiresAt, s.RevokedAt).Scan(&s.ID)
	if isConflict(err) {
		return qguard.Errorf(qguard.ECONFLICT, "session exists")
	}
	return err
}

// SessionByHash returns the session with the given hash or ENOTFOUND.
func (db *DB) SessionByHash(ctx context.Context, hash []byte) (*qguard.Session, error) {
	var s qguard.Session
	err := db.pool.QueryRow(ctx, "SELECT id, hash, user_id, key_id, created_at, expires_at, revoked_at FROM sessions WHERE hash = $1", hash).
		Scan(&s.ID, &s.Hash, &s.UserID, &s.KeyID, &s.CreatedAt, &s.ExpiresAt, &s.RevokedAt)
	if err != nil {
		return nil, notFound(err, "session not found")
	}
	s.CreatedAt, s.ExpiresAt, s.RevokedAt = utc(s.CreatedAt), utc(s.ExpiresAt), utcPtr(s.RevokedAt)
	return &s, nil
}

// RevokeSession revokes a session; revoking it again keeps the first time.
func (db *DB) RevokeSession(ctx context.Context, id int64, at time.Time) error {
	tag, err := db.pool.Exec(ctx, "UPDATE sessions SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2", at, id)
	return affected(tag, err, "session %d not found", id)
}

// CountActiveSessions counts sessions neither revoked nor expired at t.
func (db *DB) CountActiveSessions(ctx context.Context, at time.Time) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > $1", at).Scan(&n)
	return n, err
}

// AddEvent records one event for key at t.
func (db *DB) AddEvent(ctx context.Context, key string, at time.Time) error {
	_, err := db.pool.Exec(ctx, "INSERT INTO counter_events (key, at) VALUES ($1, $2)", key, at)
	return err
}

// CountEvents counts the events for key at or after since.
func (db *DB) CountEvents(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, "SELECT COUNT(*) FROM counter_events WHERE key = $1 AND at >= $2", key, since).Scan(&n)
	return n, err
}

// ClearEvents forgets the events for key.
func (db *DB) ClearEvents(ctx context.Context, key string) error {
	_, err := db.pool.Exec(ctx, "DELETE FROM counter_events WHERE key = $1", key)
	return err
}

// PruneSessions deletes sessions that expired or were revoked before before.
func (db *DB) PruneSessions(ctx context.Context, before time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, "DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1", before)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// PruneEvents deletes events before t.
func (db *DB) PruneEvents(ctx context.Context, before time.Time) error {
	_, err := db.pool.Exec(ctx, "DELETE FROM counter_events WHERE at < $1", before)
	return err
}
