package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/qguard/qguard"
)

const userColumns = "id, name, role, project, disabled, created_at, updated_at"

func scanUser(row interface{ Scan(...any) error }) (*qguard.User, error) {
	var u qguard.User
	var created, updated int64
	if err := row.Scan(&u.ID, &u.Name, &u.Role, &u.Project, &u.Disabled, &created, &updated); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &u, nil
}

// CreateUser stores u and sets its ID, CreatedAt and UpdatedAt.
func (db *DB) CreateUser(ctx context.Context, u *qguard.User) error {
	now := time.Now().UTC()
	res, err := db.exec(ctx, "INSERT INTO users (name, role, project, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		u.Name, u.Role, u.Project, u.Disabled, nanos(now), nanos(now))
	if isConflict(err) {
		return qguard.Errorf(qguard.ECONFLICT, "user %q exists", u.Name)
	}
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, now, now
	return nil
}

// UserByID returns a user or ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id int64) (*qguard.User, error) {
	u, err := scanUser(db.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
	return u, notFound(err, "user %d not found", id)
}

// UserByName returns a user or ENOTFOUND.
func (db *DB) UserByName(ctx context.Context, name string) (*qguard.User, error) {
	u, err := scanUser(db.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE name = ?", name))
	return u, notFound(err, "user %q not found", name)
}

// Users returns every user, ordered by name.
func (db *DB) Users(ctx context.Context) ([]*qguard.User, error) {
	rows, err := db.query(ctx, "SELECT "+userColumns+" FROM users ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []*qguard.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

// UpdateUser writes u's name, role, project and disabled flag and sets its
// UpdatedAt.
func (db *DB) UpdateUser(ctx context.Context, u *qguard.User) error {
	now := time.Now().UTC()
	res, err := db.exec(ctx, "UPDATE users SET name = ?, role = ?, project = ?, disabled = ?, updated_at = ? WHERE id = ?",
		u.Name, u.Role, u.Project, u.Disabled, nanos(now), u.ID)
	if isConflict(err) {
		return qguard.Errorf(qguard.ECONFLICT, "user %q exists", u.Name)
	}
	if err != nil {
		return err
	}
	if err := affected(res, "user %d not found", u.ID); err != nil {
		return err
	}
	u.UpdatedAt = now
	return nil
}

// DeleteUser deletes a user and revokes its keys and sessions.
func (db *DB) DeleteUser(ctx context.Context, id int64) error {
	now := nanos(time.Now())
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, "DELETE FROM users WHERE id = ?", id)
		if err != nil {
			return err
		}
		if err := affected(res, "user %d not found", id); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, "UPDATE api_keys SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", now, id); err != nil {
			return err
		}
		_, err = db.txExec(ctx, tx, "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", now, id)
		return err
	})
}

const keyColumns = "id, user_id, hash, hint, created_at, expires_at, revoked_at, last_used"

func scanKey(row interface{ Scan(...any) error }) (*qguard.APIKey, error) {
	var k qguard.APIKey
	var created int64
	var expires, revoked, used sql.NullInt64
	if err := row.Scan(&k.ID, &k.UserID, &k.Hash, &k.Hint, &created, &expires, &revoked, &used); err != nil {
		return nil, err
	}
	k.CreatedAt = fromNanos(created)
	k.ExpiresAt, k.RevokedAt, k.LastUsed = fromNullNanos(expires), fromNullNanos(revoked), fromNullNanos(used)
	return &k, nil
}

// CreateAPIKey stores k (its hash, never the key) and sets its ID; a zero
// CreatedAt becomes the current time.
func (db *DB) CreateAPIKey(ctx context.Context, k *qguard.APIKey) error {
	k.CreatedAt = orNow(k.CreatedAt)
	res, err := db.exec(ctx, "INSERT INTO api_keys (user_id, hash, hint, created_at, expires_at, revoked_at, last_used) VALUES (?, ?, ?, ?, ?, ?, ?)",
		k.UserID, k.Hash, k.Hint, nanos(k.CreatedAt), nullNanos(k.ExpiresAt), nullNanos(k.RevokedAt), nullNanos(k.LastUsed))
	if isConflict(err) {
		return qguard.Errorf(qguard.ECONFLICT, "API key exists")
	}
	if err != nil {
		return err
	}
	k.ID, err = res.LastInsertId()
	return err
}

// APIKeyByHash returns the key with the given hash or ENOTFOUND.
func (db *DB) APIKeyByHash(ctx context.Context, hash []byte) (*qguard.APIKey, error) {
	k, err := scanKey(db.queryRow(ctx, "SELECT "+keyColumns+" FROM api_keys WHERE hash = ?", hash))
	return k, notFound(err, "API key not found")
}

// APIKeys returns a user's keys, oldest first, revoked ones included.
func (db *DB) APIKeys(ctx context.Context, userID int64) ([]*qguard.APIKey, error) {
	rows, err := db.query(ctx, "SELECT "+keyColumns+" FROM api_keys WHERE user_id = ? ORDER BY id", userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []*qguard.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// RevokeAPIKey revokes a key and the sessions issued for it. Revoking a
// revoked key keeps the first revocation time.
func (db *DB) RevokeAPIKey(ctx context.Context, id int64, at time.Time) error {
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := db.txQueryRow(ctx, tx, "SELECT COUNT(*) FROM api_keys WHERE id = ?", id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return qguard.Errorf(qguard.ENOTFOUND, "API key %d not found", id)
		}
		if _, err := db.txExec(ctx, tx, "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", nanos(at), id); err != nil {
			return err
		}
		_, err := db.txExec(ctx, tx, "UPDATE sessions SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", nanos(at), id)
		return err
	})
}

// TouchAPIKey records when a key was last used.
func (db *DB) TouchAPIKey(ctx context.Context, id int64, at time.Time) error {
	res, err := db.exec(ctx, "UPDATE api_keys SET last_used = ? WHERE id = ?", nanos(at), id)
	if err != nil {
		return err
	}
	return affected(res, "API key %d not found", id)
}

const sessionColumns = "id, hash, user_id, key_id, created_at, expires_at, revoked_at"

// CreateSession stores s (its hash, never the token) and sets its ID; a
// zero CreatedAt becomes the current time.
func (db *DB) CreateSession(ctx context.Context, s *qguard.Session) error {
	s.CreatedAt = orNow(s.CreatedAt)
	res, err := db.exec(ctx, "INSERT INTO sessions (hash, user_id, key_id, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)",
		s.Hash, s.UserID, s.KeyID, nanos(s.CreatedAt), nanos(s.ExpiresAt), nullNanos(s.RevokedAt))
	if isConflict(err) {
		return qguard.Errorf(qguard.ECONFLICT, "session exists")
	}
	if err != nil {
		return err
	}
	s.ID, err = res.LastInsertId()
	return err
}

// SessionByHash returns the session with the given hash or ENOTFOUND.
func (db *DB) SessionByHash(ctx context.Context, hash []byte) (*qguard.Session, error) {
	var s qguard.Session
	var created, expires int64
	var revoked sql.NullInt64
	err := db.queryRow(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE hash = ?", hash).
		Scan(&s.ID, &s.Hash, &s.UserID, &s.KeyID, &created, &expires, &revoked)
	if err != nil {
		return nil, notFound(err, "session not found")
	}
	s.CreatedAt, s.ExpiresAt, s.RevokedAt = fromNanos(created), fromNanos(expires), fromNullNanos(revoked)
	return &s, nil
}

// RevokeSession revokes a session; revoking it again keeps the first time.
func (db *DB) RevokeSession(ctx context.Context, id int64, at time.Time) error {
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := db.txQueryRow(ctx, tx, "SELECT COUNT(*) FROM sessions WHERE id = ?", id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return qguard.Errorf(qguard.ENOTFOUND, "session %d not found", id)
		}
		_, err := db.txExec(ctx, tx, "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", nanos(at), id)
		return err
	})
}

// CountActiveSessions counts sessions neither revoked nor expired at t.
func (db *DB) CountActiveSessions(ctx context.Context, at time.Time) (int, error) {
	var n int
	err := db.queryRow(ctx, "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > ?", nanos(at)).Scan(&n)
	return n, err
}

// AddEvent records one event for key at t.
func (db *DB) AddEvent(ctx context.Context, key string, at time.Time) error {
	_, err := db.exec(ctx, "INSERT INTO counter_events (key, at) VALUES (?, ?)", key, nanos(at))
	return err
}

// CountEvents counts the events for key at or after since.
func (db *DB) CountEvents(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	err := db.queryRow(ctx, "SELECT COUNT(*) FROM counter_events WHERE key = ? AND at >= ?", key, nanos(since)).Scan(&n)
	return n, err
}

// CountEventsMulti counts the events at or after since of each key in one
// query; keys without events are absent from the map.
func (db *DB) CountEventsMulti(ctx context.Context, keys []string, since time.Time) (map[string]int, error) {
	if len(keys) == 0 {
		return map[string]int{}, nil
	}
	q := "SELECT key, COUNT(*) FROM counter_events WHERE at >= ? AND key IN (?" + strings.Repeat(", ?", len(keys)-1) + ") GROUP BY key"
	args := make([]any, 0, len(keys)+1)
	args = append(args, nanos(since))
	for _, k := range keys {
		args = append(args, k)
	}
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]int, len(keys))
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// ClearEvents forgets the events for key.
func (db *DB) ClearEvents(ctx context.Context, key string) error {
	_, err := db.exec(ctx, "DELETE FROM counter_events WHERE key = ?", key)
	return err
}

// PruneSessions deletes sessions that expired or were revoked before before.
func (db *DB) PruneSessions(ctx context.Context, before time.Time) (int, error) {
	res, err := db.exec(ctx, "DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?", nanos(before), nanos(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// PruneEvents deletes events before t.
func (db *DB) PruneEvents(ctx context.Context, before time.Time) error {
	_, err := db.exec(ctx, "DELETE FROM counter_events WHERE at < ?", nanos(before))
	return err
}
