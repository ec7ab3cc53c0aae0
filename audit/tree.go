package audit

import (
	"bytes"
	"context"
	"fmt"

	"github.com/qguard/qguard"
	"golang.org/x/mod/sumdb/tlog"
)

// readBatch is how many entries are read from the store at a time.
const readBatch = 4096

// hashTree holds the tlog stored hashes of the first n records. It grows
// as entries are read from the store, so a replica catches up with records
// other replicas appended by reading only the new ones.
type hashTree struct {
	n      int64
	hashes []tlog.Hash // len == tlog.StoredHashCount(n)
}

// ReadHashes implements tlog.HashReader over the cached hashes.
func (t *hashTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.hashes)) {
			return nil, fmt.Errorf("stored hash %d not cached (tree has %d records)", x, t.n)
		}
		out[i] = t.hashes[x]
	}
	return out, nil
}

// root returns the tree hash of the first n records (n <= t.n).
func (t *hashTree) root(n int64) (tlog.Hash, error) {
	return tlog.TreeHash(n, t)
}

func (t *hashTree) add(data []byte) error {
	hs, err := tlog.StoredHashes(t.n, data, t)
	if err != nil {
		return err
	}
	t.hashes = append(t.hashes, hs...)
	t.n++
	return nil
}

// extend reads entries t.n..to-1 from the store, checks each one (see
// checkEntry) and adds it to the tree. progress, if not nil, is called with
// the number of records added after each batch.
func (t *hashTree) extend(ctx context.Context, store qguard.AuditStore, to int64, progress func(int)) error {
	for t.n < to {
		end := min(t.n+readBatch, to)
		entries, err := store.AuditEntries(ctx, t.n, end)
		if err != nil {
			return fmt.Errorf("read audit entries %d..%d: %w", t.n, end-1, err)
		}
		for _, e := range entries {
			if err := checkEntry(&e, t.n); err != nil {
				return err
			}
			if err := t.add(e.Data); err != nil {
				return err
			}
		}
		if t.n < end {
			return &VerifyError{Index: t.n, Reason: "record is missing"}
		}
		if progress != nil {
			progress(len(entries))
		}
	}
	return nil
}

// checkEntry checks that e sits at index want and that its stored bytes are
// exactly the canonical encoding of its stored fields, so that changing a
// column or the bytes alone is caught at this record.
func checkEntry(e *qguard.AuditEntry, want int64) error {
	switch {
	case e.Index < want:
		return &VerifyError{Index: e.Index, Reason: "record appears twice or out of order"}
	case e.Index > want:
		return &VerifyError{Index: want, Reason: "record is missing"}
	case e.Record.Index != e.Index:
		return &VerifyError{Index: want, Reason: fmt.Sprintf("record stored at index %d says it is record %d (records moved or swapped)", e.Index, e.Record.Index)}
	}
	enc, err := Encode(&e.Record)
	if err != nil {
		return &VerifyError{Index: want, Reason: "fields cannot be encoded: " + err.Error()}
	}
	if !bytes.Equal(enc, e.Data) {
		if rec, err := Decode(e.Data); err == nil && rec.Index != want {
			return &VerifyError{Index: want, Reason: fmt.Sprintf("record stored at index %d holds the bytes of record %d (records moved or swapped)", want, rec.Index)}
		}
		return &VerifyError{Index: want, Reason: "stored fields do not match the record's hashed bytes (record changed)"}
	}
	return nil
}
