// Package audit is qguard's tamper-evident audit log: a transparency log
// over a [qguard.AuditStore], as Go's checksum database keeps one.
//
// # Records and leaves
//
// Every record is encoded canonically ([Encode]: JSON with a fixed field
// order, UTC time at nanosecond precision) and its bytes are a leaf of an
// RFC 6962 Merkle tree (golang.org/x/mod/sumdb/tlog). Detail values that
// could carry a secret are replaced by "hmac-sha256:<hex>" before the
// record is encoded: keys listed in [Options.SecretDetails], and any key
// written as "secret:NAME" (stored as NAME). The secret itself is never
// stored; [Log.HashSecret] recomputes the HMAC to search for a known value.
//
// # Checkpoints
//
// A checkpoint is the tree size and root hash in the checksum-database
// format (tlog.FormatTree), signed as a note (golang.org/x/mod/sumdb/note)
// with an Ed25519 key that the vault keeps ([KeysFromSeed]). [Log.Run]
// signs one every [Options.CheckpointEvery] records or
// [Options.CheckpointInterval], and [Log.Close] a last one at shutdown.
//
// # Verification
//
// [Verify] re-encodes every record, checks the indexes, rebuilds the tree,
// checks the latest checkpoint, and, given a checkpoint saved elsewhere
// earlier, proves that today's log extends it. Only the public verifier
// key is needed. [Log.ProveRecord] proves that one record is in a signed
// checkpoint, and [CheckProof] checks such a proof on its own.
//
// # Failing closed
//
// [Log.Append] returns an error coded [qguard.EAUDITUNAVAILABLE] whenever
// the record is not stored; the caller must then refuse the operation.
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// SecretPrefix marks a detail key whose value must be HMAC-ed: a detail
// "secret:token" is stored as "token" with the value's HMAC.
const SecretPrefix = "secret:"

// hashPrefix starts every HMAC-ed value, as in Vault's audit devices.
const hashPrefix = "hmac-sha256:"

// Options tunes a [Log].
type Options struct {
	// CheckpointEvery makes Run sign a checkpoint after this many appends
	// (default 1000).
	CheckpointEvery int
	// CheckpointInterval makes Run sign a checkpoint this often when
	// records were appended (default one minute).
	CheckpointInterval time.Duration
	// SecretDetails lists detail keys (case-insensitive) whose values are
	// HMAC-ed, in addition to keys with the "secret:" prefix.
	SecretDetails []string
	// Logger receives errors of background checkpoints (default: discard).
	Logger *slog.Logger
	// Now is the clock for records without a time (default time.Now).
	Now func() time.Time
}

// OptionsFromConfig returns the options set by the audit section of
// config.yaml.
func OptionsFromConfig(c config.Audit) Options {
	return Options{
		CheckpointEvery:    c.CheckpointEvery,
		CheckpointInterval: c.CheckpointInterval,
		SecretDetails:      c.SecretDetails,
	}
}

// Log appends records to the store and signs checkpoints of its tree. Its
// methods are safe for concurrent use; several Logs (one per replica) may
// share one store.
type Log struct {
	store    qguard.AuditStore
	signer   note.Signer
	verifier note.Verifier
	hmacKey  []byte
	opts     Options
	secret   map[string]bool

	closed   atomic.Bool
	appended atomic.Int64  // appends since the last checkpoint
	wake     chan struct{} // tells Run that CheckpointEvery was reached

	mu       sync.Mutex // serialises checkpoints and guards the fields below
	tree     hashTree
	verified int64 // size of the newest stored checkpoint already checked against tree
}

// New returns a Log over store that signs checkpoints with signer and
// checks earlier ones with verifier (the same key), and HMACs secret
// details with hmacKey (at least 16 bytes; the vault's "audit-hmac" key).
func New(store qguard.AuditStore, signer note.Signer, verifier note.Verifier, hmacKey []byte, opts Options) *Log {
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 1000
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	secret := make(map[string]bool, len(opts.SecretDetails))
	for _, k := range opts.SecretDetails {
		secret[strings.ToLower(k)] = true
	}
	return &Log{
		store: store, signer: signer, verifier: verifier,
		hmacKey: append([]byte(nil), hmacKey...),
		opts:    opts, secret: secret,
		wake:     make(chan struct{}, 1),
		verified: -1,
	}
}

// unavailable wraps err so that callers refuse the operation.
func unavailable(err error) error {
	return &qguard.Error{Code: qguard.EAUDITUNAVAILABLE, Message: "audit log unavailable", Err: err}
}

// Append stores rec (its Index is assigned by the store) and returns its
// index. Secret details are HMAC-ed first. A zero Time is set to now. Any
// failure is coded qguard.EAUDITUNAVAILABLE: the operation being audited
// must then fail.
func (l *Log) Append(ctx context.Context, rec qguard.AuditRecord) (int64, error) {
	if l.closed.Load() {
		return 0, unavailable(errors.New("audit log closed"))
	}
	if err := l.prepare(&rec); err != nil {
		return 0, unavailable(err)
	}
	var leaf []byte
	index, err := l.store.AppendAudit(ctx, &rec, func(r *qguard.AuditRecord) ([]byte, error) {
		b, err := Encode(r)
		leaf = b
		return b, err
	})
	if err != nil {
		return 0, unavailable(fmt.Errorf("append audit record: %w", err))
	}
	if leaf == nil {
		return 0, unavailable(errors.New("append audit record: store did not encode the record"))
	}
	if n := l.appended.Add(1); n >= int64(l.opts.CheckpointEvery) {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return index, nil
}

// prepare validates rec, sets its time and replaces secret details with
// their HMAC (in a new map: the caller's map is left alone).
func (l *Log) prepare(rec *qguard.AuditRecord) error {
	switch {
	case rec.Actor == "":
		return errors.New("audit record has no actor")
	case rec.Action == "":
		return errors.New("audit record has no action")
	}
	switch rec.Decision {
	case qguard.DecisionAllow, qguard.DecisionDeny, qguard.DecisionInfo:
	default:
		return fmt.Errorf("audit record decision %q is not allow, deny or info", rec.Decision)
	}
	if rec.Time.IsZero() {
		rec.Time = l.opts.Now()
	}
	rec.Time = rec.Time.UTC().Round(0)
	if len(rec.Details) == 0 {
		rec.Details = nil
		return nil
	}
	details := make(map[string]string, len(rec.Details))
	for k, v := range rec.Details {
		name, isSecret := strings.CutPrefix(k, SecretPrefix)
		if isSecret || l.secret[strings.ToLower(k)] {
			if len(l.hmacKey) < 16 {
				return errors.New("audit HMAC key missing: cannot record a secret detail")
			}
			v = l.HashSecret(v)
		}
		if _, dup := details[name]; dup {
			return fmt.Errorf("audit record detail %q given twice", name)
		}
		details[name] = v
	}
	rec.Details = details
	return nil
}

// HashSecret returns the value stored in place of the secret s:
// "hmac-sha256:" and the hex HMAC-SHA256 of s under the log's HMAC key.
// Use it to find the records that mention a known secret.
func (l *Log) HashSecret(s string) string {
	m := hmac.New(sha256.New, l.hmacKey)
	m.Write([]byte(s))
	return hashPrefix + hex.EncodeToString(m.Sum(nil))
}

// Checkpoint signs a checkpoint for the current size of the log, stores it
// and returns it. It first catches the tree up with the store, checking
// every new entry, and checks that the log still extends the newest stored
// checkpoint: it never signs a rewritten history. With an empty log it
// returns an error coded qguard.ENOTFOUND; when the newest stored
// checkpoint already covers the whole log it returns that one.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.signer == nil {
		return nil, unavailable(errors.New("no audit signing key"))
	}
	// The newest checkpoint first, then the size: a checkpoint stored by
	// another replica in between is then never larger than the size.
	latestSize, latest, err := l.store.LatestCheckpoint(ctx)
	if err != nil && qguard.ErrorCode(err) != qguard.ENOTFOUND {
		return nil, unavailable(fmt.Errorf("read latest checkpoint: %w", err))
	}
	hasLatest := err == nil
	size, err := l.store.AuditSize(ctx)
	if err != nil {
		return nil, unavailable(fmt.Errorf("read audit size: %w", err))
	}
	if size < l.tree.n {
		return nil, unavailable(fmt.Errorf("audit log shrank from %d to %d records", l.tree.n, size))
	}
	l.appended.Store(0)
	if err := l.tree.extend(ctx, l.store, size, nil); err != nil {
		return nil, unavailable(err)
	}
	if hasLatest {
		if err := l.checkLatest(latestSize, latest); err != nil {
			return nil, unavailable(err)
		}
		if latestSize == size {
			return latest, nil
		}
	}
	if size == 0 {
		return nil, qguard.Errorf(qguard.ENOTFOUND, "the audit log is empty: no checkpoint yet")
	}
	root, err := l.tree.root(size)
	if err != nil {
		return nil, unavailable(err)
	}
	msg, err := signTree(tlog.Tree{N: size, Hash: root}, l.signer)
	if err != nil {
		return nil, unavailable(err)
	}
	if err := l.store.SaveCheckpoint(ctx, size, msg); err != nil {
		return nil, unavailable(fmt.Errorf("save checkpoint: %w", err))
	}
	l.verified = size
	return msg, nil
}

// checkLatest checks a stored checkpoint against the tree, once per size.
func (l *Log) checkLatest(size int64, msg []byte) error {
	if size == l.verified {
		return nil
	}
	if err := checkCheckpoint(msg, size, l.verifier, &l.tree); err != nil {
		return err
	}
	l.verified = size
	return nil
}

// Run signs checkpoints every CheckpointEvery appends or
// CheckpointInterval, until ctx is done. Failures are logged and retried
// at the next tick; appends keep failing closed on their own.
func (l *Log) Run(ctx context.Context) {
	t := time.NewTicker(l.opts.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.wake:
		}
		if _, err := l.Checkpoint(ctx); err != nil && ctx.Err() == nil && qguard.ErrorCode(err) != qguard.ENOTFOUND {
			l.opts.Logger.Error("audit checkpoint failed", "err", err)
		}
	}
}

// Close refuses further appends and signs a final checkpoint covering
// every record appended so far.
func (l *Log) Close(ctx context.Context) error {
	l.closed.Store(true)
	if _, err := l.Checkpoint(ctx); err != nil && qguard.ErrorCode(err) != qguard.ENOTFOUND {
		return err
	}
	return nil
}
