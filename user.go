package qguard

import (
	"context"
	"time"
)

// Roles of the default policy. Policies may define others.
const (
	RoleResearcher = "researcher"
	RoleDeveloper  = "developer"
	RoleAdmin      = "admin"
	RoleAuditor    = "auditor"
)

// User is one of qguard's own identities (not a provider account).
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Project   string    `json:"project,omitempty"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// APIKey is a long-lived credential of a user. The key itself ("qg_…") is
// shown once; only its SHA-256 hash is stored.
type APIKey struct {
	ID        int64      `json:"id"`
	UserID    int64      `json:"user_id"`
	Hash      []byte     `json:"-"`
	Hint      string     `json:"hint"` // first characters of the key, to tell keys apart
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	LastUsed  *time.Time `json:"last_used,omitempty"`
}

// Session is a short-lived token ("qgs_…") issued for an API key. Only its
// hash is stored.
type Session struct {
	ID        int64      `json:"id"`
	Hash      []byte     `json:"-"`
	UserID    int64      `json:"user_id"`
	KeyID     int64      `json:"key_id"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// UserStore keeps users, API keys and sessions.
//
// Lookups of a missing row return an *Error with code ENOTFOUND; creating a
// user whose name exists returns ECONFLICT.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error // sets ID, CreatedAt, UpdatedAt
	UserByID(ctx context.Context, id int64) (*User, error)
	UserByName(ctx context.Context, name string) (*User, error)
	Users(ctx context.Context) ([]*User, error)
	UpdateUser(ctx context.Context, u *User) error  // name, role, project, disabled
	DeleteUser(ctx context.Context, id int64) error // also revokes its keys and sessions

	CreateAPIKey(ctx context.Context, k *APIKey) error // sets ID
	APIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)
	APIKeys(ctx context.Context, userID int64) ([]*APIKey, error)
	// RevokeAPIKey also revokes the sessions issued for the key; revoking
	// again keeps the first time.
	RevokeAPIKey(ctx context.Context, id int64, at time.Time) error
	TouchAPIKey(ctx context.Context, id int64, at time.Time) error

	CreateSession(ctx context.Context, s *Session) error // sets ID
	SessionByHash(ctx context.Context, hash []byte) (*Session, error)
	RevokeSession(ctx context.Context, id int64, at time.Time) error
	// CountActiveSessions counts sessions neither revoked nor expired at t.
	CountActiveSessions(ctx context.Context, at time.Time) (int, error)
	// PruneSessions deletes sessions that expired or were revoked before
	// before, and returns how many.
	PruneSessions(ctx context.Context, before time.Time) (int, error)
}

// CounterStore keeps sliding-window counters shared by every gateway
// replica: authentication failures for lockout and request counts for rate
// limits. Keys are opaque strings such as "user:alice" or "addr:10.0.0.1".
type CounterStore interface {
	// AddEvent records one event for key at t.
	AddEvent(ctx context.Context, key string, at time.Time) error
	// CountEvents counts the events for key at or after since.
	CountEvents(ctx context.Context, key string, since time.Time) (int, error)
	// ClearEvents forgets the events for key (after a successful login).
	ClearEvents(ctx context.Context, key string) error
	// PruneEvents deletes events before t.
	PruneEvents(ctx context.Context, before time.Time) error
}
