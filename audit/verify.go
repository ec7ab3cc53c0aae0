package audit

import (
	"context"
	"fmt"

	"github.com/qguard/qguard"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint roles named in a VerifyError.
const (
	LatestCheckpoint = "latest stored checkpoint"
	SavedCheckpoint  = "saved checkpoint"
)

// VerifyError says where the log was found to be tampered with: the first
// bad record, or a checkpoint that does not match the log.
type VerifyError struct {
	Index      int64  // first bad record, or -1 when a checkpoint is at fault
	Checkpoint string // LatestCheckpoint or SavedCheckpoint when one is at fault
	Reason     string
}

func (e *VerifyError) Error() string {
	if e.Checkpoint != "" {
		return e.Checkpoint + ": " + e.Reason
	}
	return fmt.Sprintf("record %d: %s", e.Index, e.Reason)
}

func checkpointError(which, format string, args ...any) *VerifyError {
	return &VerifyError{Index: -1, Checkpoint: which, Reason: fmt.Sprintf(format, args...)}
}

// VerifyOptions adds checks and feedback to [Verify].
type VerifyOptions struct {
	// Saved is a signed checkpoint kept outside the store earlier; Verify
	// then proves that the log extends it.
	Saved []byte
	// Progress, if not nil, is called with the number of records read after
	// each batch.
	Progress func(n int)
}

// Report describes a log that verified.
type Report struct {
	Records    int64  `json:"records"`
	Root       string `json:"root"`            // tree hash of all records, base64
	Checkpoint int64  `json:"checkpoint_size"` // size signed by the latest stored checkpoint
	Unsigned   int64  `json:"unsigned"`        // records after it, not yet covered by a signature
	Saved      *int64 `json:"saved_checkpoint_size,omitempty"`
	Key        string `json:"key"` // the verifier key's name and hash
}

// Verify checks the whole log in store: every record's stored bytes are the
// encoding of its stored fields, indexes run 0..N-1 without gaps, the
// latest stored checkpoint is signed by verifier's key and its root hash is
// the tree of the first records, and, with opts.Saved, the log extends the
// saved checkpoint (consistency proof), which catches a rewritten history
// even when the latest stored checkpoint was replaced as well.
//
// Tampering is reported as a *VerifyError; other errors are I/O failures.
func Verify(ctx context.Context, store qguard.AuditStore, verifier note.Verifier, opts VerifyOptions) (*Report, error) {
	latestSize, latest, err := store.LatestCheckpoint(ctx)
	hasLatest := err == nil
	if err != nil && qguard.ErrorCode(err) != qguard.ENOTFOUND {
		return nil, fmt.Errorf("read latest checkpoint: %w", err)
	}
	size, err := store.AuditSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("read audit size: %w", err)
	}
	var tree hashTree
	if err := tree.extend(ctx, store, size, opts.Progress); err != nil {
		return nil, err
	}
	extra, err := store.AuditEntries(ctx, size, size+1)
	if err != nil {
		return nil, fmt.Errorf("read audit entries: %w", err)
	}
	if len(extra) > 0 {
		return nil, &VerifyError{Index: size, Reason: fmt.Sprintf("record stored beyond the log's size %d", size)}
	}
	rep := &Report{Records: size, Key: fmt.Sprintf("%s+%08x", verifier.Name(), verifier.KeyHash())}
	if size > 0 {
		root, err := tree.root(size)
		if err != nil {
			return nil, err
		}
		rep.Root = root.String()
	}

	switch {
	case hasLatest:
		if err := checkCheckpoint(latest, latestSize, verifier, &tree); err != nil {
			return nil, err
		}
		rep.Checkpoint = latestSize
	case size > 0:
		return nil, checkpointError(LatestCheckpoint, "none stored although the log has %d records (checkpoints deleted?)", size)
	}
	rep.Unsigned = size - rep.Checkpoint

	if opts.Saved != nil {
		saved, err := OpenCheckpoint(opts.Saved, verifier)
		if err != nil {
			return nil, checkpointError(SavedCheckpoint, "%v", err)
		}
		if err := proveExtends(&tree, size, saved); err != nil {
			return nil, err
		}
		rep.Saved = &saved.N
	}
	return rep, nil
}

// checkCheckpoint checks a checkpoint that the store keeps for size against
// the tree of the log.
func checkCheckpoint(msg []byte, size int64, verifier note.Verifier, tree *hashTree) error {
	if verifier == nil {
		return checkpointError(LatestCheckpoint, "no verifier key to check it with")
	}
	ct, err := OpenCheckpoint(msg, verifier)
	if err != nil {
		return checkpointError(LatestCheckpoint, "%v", err)
	}
	if ct.N != size {
		return checkpointError(LatestCheckpoint, "stored as size %d but signed for size %d", size, ct.N)
	}
	if ct.N > tree.n {
		return checkpointError(LatestCheckpoint, "signed for %d records but the log has %d (records %d..%d deleted)", ct.N, tree.n, tree.n, ct.N-1)
	}
	root, err := tree.root(ct.N)
	if err != nil {
		return err
	}
	if root != ct.Hash {
		return checkpointError(LatestCheckpoint, "signed root of the first %d records differs from the log's (records before %d changed, reordered, inserted or deleted)", ct.N, ct.N)
	}
	return nil
}

// proveExtends proves with a tlog consistency proof that the tree of size
// records extends the saved checkpoint.
func proveExtends(tree *hashTree, size int64, saved tlog.Tree) error {
	if saved.N > size {
		return checkpointError(SavedCheckpoint, "signed for %d records but the log has only %d (records %d..%d deleted)", saved.N, size, size, saved.N-1)
	}
	if saved.N == 0 {
		return nil
	}
	proof, err := tlog.ProveTree(size, saved.N, tree)
	if err != nil {
		return err
	}
	root, err := tree.root(size)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(proof, size, root, saved.N, saved.Hash); err != nil {
		return checkpointError(SavedCheckpoint, "the log does not extend it: history before record %d was rewritten", saved.N)
	}
	return nil
}
