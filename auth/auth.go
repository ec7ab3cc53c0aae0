// Package auth authenticates callers of qguard: API keys, the sessions they
// are exchanged for, and lockout after repeated failures. It is pure logic
// over a [Store]; time comes from an injected [qguard.Clock].
//
// # Tokens
//
// An API key is "qg_" followed by 256 random bits in unpadded base64url (46
// characters); a session token is "qgs_" and 256 random bits. Only their
// SHA-256 hashes are stored. A fast hash is enough here, unlike for
// passwords: slow hashes (argon2id, bcrypt) exist to make guessing
// low-entropy secrets expensive, but a 256-bit random token cannot be
// guessed, so even a stolen database of hashes yields nothing, and SHA-256
// keeps the check at about a microsecond per request. Looking a token up by
// its hash also means the lookup leaks nothing useful through timing; the
// stored hash is still compared in constant time.
//
// # Lockout
//
// Failures are counted per client address, per credential (a known but
// revoked or expired key, or a session) and per user, in the shared
// [qguard.CounterStore] so that every replica sees them. With the defaults,
// 5 failures within 10 minutes lock the address, key or user for up to 10
// minutes; each further failure while counted doubles the lockout window
// (N+j failures within window·2^j lock at level j), up to
// LockoutMaxBackoff. So the lockouts after the first last 10m, 10m, 20m,
// 40m… when each unlock is followed by another failure. A locked-out
// attempt fails with ERATELIMITED even with the right key; it is refused
// before the key is looked at, so it teaches an attacker nothing and is not
// counted (a legitimate client retrying during a lockout does not extend
// it). ERATELIMITED rather than EUNAUTHENTICATED tells a
// legitimate client to wait instead of replacing its key; it reveals nothing
// about the key, because the address and credential locks are checked
// before the key is. A success clears the key's and user's counters but not
// the address's, so that one valid key cannot reset the count of guesses
// made from the same address.
//
// # Clock skew
//
// A session's ExpiresAt is fixed by the replica that issued it, from its
// clock; every replica compares it with its own clock. A replica whose clock
// is behind by d therefore accepts a session up to d longer. Operators keep
// replicas' clocks within Auth.ClockSkew (NTP); a session whose CreatedAt
// lies more than ClockSkew in this replica's future is refused, which
// catches a replica whose clock is behind by more than the tolerance on
// the first requests after a login.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
)

// Prefixes that make qguard's tokens recognisable (to people and to secret
// scanners).
const (
	KeyPrefix     = "qg_"
	SessionPrefix = "qgs_"
)

// touchInterval limits how often a key's LastUsed is written: a write per
// request would serialise every request on the store's writer.
const touchInterval = time.Minute

// Store is what the service needs from the database.
type Store interface {
	qguard.UserStore
	qguard.CounterStore
}

// multiCounter is implemented by stores that count several keys' events
// in one query; the lockout checks of a request then cost one round trip
// instead of one per counter.
type multiCounter interface {
	CountEventsMulti(ctx context.Context, keys []string, since time.Time) (map[string]int, error)
}

// Service authenticates API keys and sessions.
type Service struct {
	store Store
	cfg   config.Auth
	now   qguard.Clock
}

// New returns a service over store. A nil clock means time.Now.
func New(store Store, cfg config.Auth, clock qguard.Clock) *Service {
	if clock == nil {
		clock = time.Now
	}
	return &Service{store: store, cfg: cfg, now: clock}
}

// LockedError is the cause of an ERATELIMITED error from a lockout.
type LockedError struct {
	What       string        // "address", "API key" or "user"
	RetryAfter time.Duration // an upper bound of the remaining lockout
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s locked out for up to %s", e.What, e.RetryAfter)
}

// RetryAfter returns how long a locked-out caller should wait, or 0 when
// err is not a lockout.
func RetryAfter(err error) time.Duration {
	var le *LockedError
	if errors.As(err, &le) {
		return le.RetryAfter
	}
	return 0
}

// NewAPIKey returns a new random API key.
func NewAPIKey() (string, error) { return newToken(KeyPrefix) }

func newToken(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// Hash returns the stored form of a key or session token.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// hint is the start of a key, shown to tell keys apart: the prefix and 6
// characters (36 of the 256 bits).
func hint(key string) string { return key[:len(KeyPrefix)+6] }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ValidName checks a user, role or project name: 1 to 64 letters, digits,
// '.', '_', '@' or '-', starting with a letter or digit.
func ValidName(kind, name string) error {
	if !nameRE.MatchString(name) {
		return qguard.Errorf(qguard.EINVALID, "%s name %q is not valid: use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", kind, name)
	}
	return nil
}

// CreateUser creates a user with a first API key, which is returned once
// and never stored.
func (s *Service) CreateUser(ctx context.Context, name, role, project string) (*qguard.User, string, error) {
	if err := ValidName("user", name); err != nil {
		return nil, "", err
	}
	if err := ValidName("role", role); err != nil {
		return nil, "", err
	}
	if project != "" {
		if err := ValidName("project", project); err != nil {
			return nil, "", err
		}
	}
	u := &qguard.User{Name: name, Role: role, Project: project}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, "", err
	}
	key, _, err := s.issue(ctx, u, 0)
	if err != nil {
		// Leave no user without a key behind.
		if derr := s.store.DeleteUser(ctx, u.ID); derr != nil {
			err = errors.Join(err, derr)
		}
		return nil, "", err
	}
	return u, key, nil
}

// IssueKey creates a new API key for a user; ttl 0 means it does not
// expire. The key is returned once and never stored.
func (s *Service) IssueKey(ctx context.Context, user string, ttl time.Duration) (string, *qguard.APIKey, error) {
	if ttl < 0 {
		return "", nil, qguard.Errorf(qguard.EINVALID, "a key's lifetime cannot be negative")
	}
	u, err := s.store.UserByName(ctx, user)
	if err != nil {
		return "", nil, err
	}
	return s.issue(ctx, u, ttl)
}

func (s *Service) issue(ctx context.Context, u *qguard.User, ttl time.Duration) (string, *qguard.APIKey, error) {
	key, err := NewAPIKey()
	if err != nil {
		return "", nil, err
	}
	now := s.now().UTC()
	k := &qguard.APIKey{UserID: u.ID, Hash: Hash(key), Hint: hint(key), CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		k.ExpiresAt = &exp
	}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return "", nil, err
	}
	return key, k, nil
}

// RevokeKey revokes one of a user's keys, and the sessions issued for it.
func (s *Service) RevokeKey(ctx context.Context, user string, keyID int64) error {
	u, err := s.store.UserByName(ctx, user)
	if err != nil {
		return err
	}
	keys, err := s.store.APIKeys(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == keyID {
			return s.store.RevokeAPIKey(ctx, k.ID, s.now().UTC())
		}
	}
	return qguard.Errorf(qguard.ENOTFOUND, "user %s has no API key %d", user, keyID)
}

// Login exchanges an API key for a session token with the default TTL.
func (s *Service) Login(ctx context.Context, apiKey, addr string) (string, *qguard.Session, error) {
	return s.LoginTTL(ctx, apiKey, addr, 0)
}

// LoginTTL exchanges an API key for a session token valid for ttl (0: the
// configured default), capped at the configured maximum and at the key's
// own expiry.
func (s *Service) LoginTTL(ctx context.Context, apiKey, addr string, ttl time.Duration) (string, *qguard.Session, error) {
	if ttl < 0 {
		return "", nil, qguard.Errorf(qguard.EINVALID, "a session's lifetime cannot be negative")
	}
	if ttl == 0 {
		ttl = s.cfg.SessionTTL
	}
	ttl = min(ttl, s.cfg.MaxSessionTTL)
	if !strings.HasPrefix(apiKey, KeyPrefix) {
		a := s.attempt(ctx, apiKey, addr)
		if err := a.checkLocks(); err != nil {
			return "", nil, err
		}
		return "", nil, a.fail(qguard.Errorf(qguard.EUNAUTHENTICATED, "log in with an API key (qg_…)"))
	}
	u, k, err := s.authenticateKey(ctx, apiKey, addr)
	if err != nil {
		return "", nil, err
	}
	token, err := newToken(SessionPrefix)
	if err != nil {
		return "", nil, err
	}
	now := s.now().UTC()
	exp := now.Add(ttl)
	if k.ExpiresAt != nil && k.ExpiresAt.Before(exp) {
		exp = *k.ExpiresAt
	}
	sess := &qguard.Session{Hash: Hash(token), UserID: u.ID, KeyID: k.ID, CreatedAt: now, ExpiresAt: exp}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// Authenticate checks a bearer credential, an API key or a session token,
// from a client at addr. It returns the user and, for a session token, the
// session. Errors: EUNAUTHENTICATED, ESESSIONEXPIRED, ERATELIMITED (locked
// out; see [RetryAfter]).
func (s *Service) Authenticate(ctx context.Context, bearer, addr string) (*qguard.User, *qguard.Session, error) {
	switch {
	case strings.HasPrefix(bearer, SessionPrefix):
		return s.authenticateSession(ctx, bearer, addr)
	case strings.HasPrefix(bearer, KeyPrefix):
		u, _, err := s.authenticateKey(ctx, bearer, addr)
		return u, nil, err
	}
	a := s.attempt(ctx, bearer, addr)
	if err := a.checkLocks(); err != nil {
		return nil, nil, err
	}
	return nil, nil, a.fail(qguard.Errorf(qguard.EUNAUTHENTICATED, "missing or malformed credentials: send an API key (qg_…) or a session token (qgs_…)"))
}

// Logout revokes the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	sess, err := s.store.SessionByHash(ctx, Hash(token))
	if err != nil || subtle.ConstantTimeCompare(sess.Hash, Hash(token)) != 1 {
		if err != nil && qguard.ErrorCode(err) != qguard.ENOTFOUND {
			return err
		}
		return qguard.Errorf(qguard.EUNAUTHENTICATED, "unknown session")
	}
	return s.store.RevokeSession(ctx, sess.ID, s.now().UTC())
}

func (s *Service) authenticateKey(ctx context.Context, key, addr string) (*qguard.User, *qguard.APIKey, error) {
	a := s.attempt(ctx, key, addr)
	if err := a.checkLocks(); err != nil {
		return nil, nil, err
	}
	k, err := s.store.APIKeyByHash(ctx, a.hash)
	if err != nil || subtle.ConstantTimeCompare(k.Hash, a.hash) != 1 {
		if err != nil && qguard.ErrorCode(err) != qguard.ENOTFOUND {
			return nil, nil, err
		}
		return nil, nil, a.fail(qguard.Errorf(qguard.EUNAUTHENTICATED, "invalid API key"))
	}
	a.known = true
	u, err := s.store.UserByID(ctx, k.UserID)
	if err != nil && qguard.ErrorCode(err) != qguard.ENOTFOUND {
		return nil, nil, err
	}
	if u != nil {
		a.user = u.Name
		if err := a.checkLock("user", userCounter(u.Name)); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case k.RevokedAt != nil:
		return nil, nil, a.fail(qguard.Errorf(qguard.EUNAUTHENTICATED, "API key %s… was revoked", k.Hint))
	case k.ExpiresAt != nil && !a.now.Before(*k.ExpiresAt):
		return nil, nil, a.fail(qguard.Errorf(qguard.EUNAUTHENTICATED, "API key %s… expired at %s", k.Hint, k.ExpiresAt.Format(time.RFC3339)))
	case u == nil:
		return nil, nil, a.fail(qguard.Errorf(qguard.EUNAUTHENTICATED, "the user of API key %s… no longer exists", k.Hint))
	case u.Disabled:
		return nil, nil, a.fail(qguard.Errorf(qguard.EUNAUTHENTICATED, "user %s is disabled", u.Name))
	}
	if err := a.succeed(); err != nil {
		return nil, nil, err
	}
	if k.LastUsed == nil || a.now.Sub(*k.LastUsed) >= touchInterval {
		if err := s.store.TouchAPIKey(ctx, k.ID, a.now); err != nil {
			return nil, nil, fmt.Errorf("record key use: %w", err)
		}
	}
	return u, k, nil
}

func (s *Service) authenticateSession(ctx context.Context, token, addr string) (*qguard.User, *qguard.Session, error) {
	a := s.attempt(ctx, token, addr)
	if err := a.checkLocks(); err != nil {
		return nil, nil, err
	}
	sess, err := s.store.SessionByHash(ctx, a.hash)
	if err != nil || subtle.ConstantTimeCompare(sess.Hash, a.hash) != 1 {
		if err != nil && qguard.ErrorCode(err) != qguard.ENOTFOUND {
			return nil, nil, err
		}
		return nil, nil, a.fail(qguard.Errorf(qguard.EUNAUTHENTICATED, "invalid session token"))
	}
	a.known = true
	switch {
	case sess.RevokedAt != nil:
		return nil, nil, a.fail(qguard.Errorf(qguard.EUNAUTHENTICATED, "session was revoked; log in again"))
	case !a.now.Before(sess.ExpiresAt):
		// Expiry is the normal end of a session, not an attack: not counted.
		return nil, nil, qguard.Errorf(qguard.ESESSIONEXPIRED, "session expired at %s; log in again", sess.ExpiresAt.Format(time.RFC3339))
	case sess.CreatedAt.After(a.now.Add(s.cfg.ClockSkew)):
		return nil, nil, qguard.Errorf(qguard.EUNAUTHENTICATED, "session was issued %s in this server's future; the gateway replicas' clocks disagree by more than the allowed %s",
			sess.CreatedAt.Sub(a.now).Round(time.Second), s.cfg.ClockSkew)
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil {
		if qguard.ErrorCode(err) != qguard.ENOTFOUND {
			return nil, nil, err
		}
		return nil, nil, a.fail(qguard.Errorf(qguard.EUNAUTHENTICATED, "the user of this session no longer exists"))
	}
	a.user = u.Name
	if err := a.checkLock("user", userCounter(u.Name)); err != nil {
		return nil, nil, err
	}
	if u.Disabled {
		return nil, nil, a.fail(qguard.Errorf(qguard.EUNAUTHENTICATED, "user %s is disabled", u.Name))
	}
	if err := a.succeed(); err != nil {
		return nil, nil, err
	}
	return u, sess, nil
}

// Counter keys. The credential's counter is named by part of its hash,
// never by the credential.
func addrCounter(addr string) string { return "auth:addr:" + addr }
func userCounter(name string) string { return "auth:user:" + name }
func credCounter(hash []byte) string { return "auth:cred:" + hex.EncodeToString(hash[:16]) }

// attempt is one authentication attempt: what it counts against.
type attempt struct {
	s     *Service
	ctx   context.Context
	now   time.Time
	hash  []byte
	addr  string
	known bool   // the credential exists in the store
	user  string // the user it belongs to, once known
	// pending holds counters seen with failures, cleared on success.
	pending []string
}

func (s *Service) attempt(ctx context.Context, credential, addr string) *attempt {
	return &attempt{s: s, ctx: ctx, now: s.now().UTC(), hash: Hash(credential), addr: addr}
}

// checkLocks checks the address and credential locks.
func (a *attempt) checkLocks() error {
	counters := []string{credCounter(a.hash)}
	if a.addr != "" {
		counters = append(counters, addrCounter(a.addr))
	}
	if mc, ok := a.s.store.(multiCounter); ok {
		// The common case: no failures at all for either counter.
		n, err := mc.CountEventsMulti(a.ctx, counters, a.now.Add(-a.s.cfg.LockoutMaxBackoff))
		if err != nil {
			return fmt.Errorf("count failures: %w", err)
		}
		if n[counters[0]] == 0 && (len(counters) == 1 || n[counters[1]] == 0) {
			return nil
		}
	}
	if a.addr != "" {
		if err := a.checkLock("address", addrCounter(a.addr)); err != nil {
			return err
		}
	}
	return a.checkLock("API key", credCounter(a.hash))
}

// checkLock fails the attempt when counter is locked out. Level j locks
// when at least failures+j events fall within window·2^j.
func (a *attempt) checkLock(what, counter string) error {
	cfg := a.s.cfg
	n, err := a.s.store.CountEvents(a.ctx, counter, a.now.Add(-cfg.LockoutMaxBackoff))
	if err != nil {
		return fmt.Errorf("count failures: %w", err)
	}
	if n == 0 {
		return nil
	}
	if counter != addrCounter(a.addr) {
		a.pending = append(a.pending, counter)
	}
	if n < cfg.LockoutFailures {
		return nil
	}
	for j := 0; ; j++ {
		d := min(cfg.LockoutWindow<<j, cfg.LockoutMaxBackoff)
		if j > 0 {
			n, err = a.s.store.CountEvents(a.ctx, counter, a.now.Add(-d))
			if err != nil {
				return fmt.Errorf("count failures: %w", err)
			}
		} else if d < cfg.LockoutMaxBackoff {
			if n, err = a.s.store.CountEvents(a.ctx, counter, a.now.Add(-d)); err != nil {
				return fmt.Errorf("count failures: %w", err)
			}
		}
		if n >= cfg.LockoutFailures+j {
			return &qguard.Error{Code: qguard.ERATELIMITED, Err: &LockedError{What: what, RetryAfter: d},
				Message: fmt.Sprintf("too many failed attempts for this %s; try again in up to %s", what, d)}
		}
		if d >= cfg.LockoutMaxBackoff || cfg.LockoutWindow<<j <= 0 {
			return nil
		}
	}
}

// fail records the failure against the address and, when known, the
// credential and the user, and returns err.
func (a *attempt) fail(err error) error {
	counters := []string{}
	if a.addr != "" {
		counters = append(counters, addrCounter(a.addr))
	}
	if a.known {
		counters = append(counters, credCounter(a.hash))
	}
	if a.user != "" {
		counters = append(counters, userCounter(a.user))
	}
	for _, c := range counters {
		if rerr := a.s.store.AddEvent(a.ctx, c, a.now); rerr != nil {
			return errors.Join(err, fmt.Errorf("record failure: %w", rerr))
		}
	}
	return err
}

// succeed clears the credential's and user's failure counters.
func (a *attempt) succeed() error {
	for _, c := range a.pending {
		if err := a.s.store.ClearEvents(a.ctx, c); err != nil {
			return fmt.Errorf("clear failures: %w", err)
		}
	}
	return nil
}
