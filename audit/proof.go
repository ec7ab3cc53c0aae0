package audit

import (
	"context"
	"fmt"

	"github.com/qguard/qguard"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Proof shows that one record is in the log that a signed checkpoint
// commits to (an RFC 6962 inclusion proof). Anyone with the verifier key
// can check it with [CheckProof], without the rest of the log.
type Proof struct {
	Index      int64       `json:"index"`
	Record     string      `json:"record"`     // the record's canonical bytes
	Checkpoint string      `json:"checkpoint"` // signed note
	Hashes     []tlog.Hash `json:"hashes"`     // tlog.RecordProof
}

// ProveRecord returns the inclusion proof of record index in the latest
// stored checkpoint. A record not yet covered by a checkpoint gives an
// error coded qguard.ENOTFOUND.
func (l *Log) ProveRecord(ctx context.Context, index int64) (*Proof, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	size, msg, err := l.store.LatestCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, qguard.Errorf(qguard.ENOTFOUND, "audit record %d is not covered by the latest checkpoint (size %d)", index, size)
	}
	if size > l.tree.n {
		if err := l.tree.extend(ctx, l.store, size, nil); err != nil {
			return nil, err
		}
	}
	if err := l.checkLatest(size, msg); err != nil {
		return nil, err
	}
	entries, err := l.store.AuditEntries(ctx, index, index+1)
	if err != nil {
		return nil, fmt.Errorf("read audit entry %d: %w", index, err)
	}
	if len(entries) != 1 {
		return nil, &VerifyError{Index: index, Reason: "record is missing"}
	}
	if err := checkEntry(&entries[0], index); err != nil {
		return nil, err
	}
	if tlog.RecordHash(entries[0].Data) != l.tree.hashes[tlog.StoredHashIndex(0, index)] {
		return nil, &VerifyError{Index: index, Reason: "record changed since it was hashed"}
	}
	hashes, err := tlog.ProveRecord(size, index, &l.tree)
	if err != nil {
		return nil, err
	}
	return &Proof{Index: index, Record: string(entries[0].Data), Checkpoint: string(msg), Hashes: hashes}, nil
}

// CheckProof checks that p's checkpoint is signed by verifier's key and
// that p's record is in the tree it commits to, and returns the record.
func CheckProof(p *Proof, verifier note.Verifier) (qguard.AuditRecord, error) {
	tree, err := OpenCheckpoint([]byte(p.Checkpoint), verifier)
	if err != nil {
		return qguard.AuditRecord{}, err
	}
	rec, err := Decode([]byte(p.Record))
	if err != nil {
		return qguard.AuditRecord{}, err
	}
	if rec.Index != p.Index {
		return qguard.AuditRecord{}, fmt.Errorf("proof is for record %d but holds record %d", p.Index, rec.Index)
	}
	if err := tlog.CheckRecord(p.Hashes, tree.N, tree.Hash, p.Index, tlog.RecordHash([]byte(p.Record))); err != nil {
		return qguard.AuditRecord{}, fmt.Errorf("record %d is not in the checkpoint's log: %w", p.Index, err)
	}
	return rec, nil
}
