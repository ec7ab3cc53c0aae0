package audit_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/audit/memlog"
)

func TestProveRecord(t *testing.T) {
	ctx := context.Background()
	store := memlog.New()
	l, v := newLog(t, store, audit.Options{})
	appendN(t, l, 13, 13)
	if _, err := l.Append(ctx, record(13)); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int64{0, 6, 12} {
		p, err := l.ProveRecord(ctx, i)
		if err != nil {
			t.Fatalf("ProveRecord(%d): %v", i, err)
		}
		// A proof travels as JSON to whoever checks it.
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var got audit.Proof
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatal(err)
		}
		rec, err := audit.CheckProof(&got, v)
		if err != nil || rec.Index != i || rec.RequestID != record(int(i)).RequestID {
			t.Fatalf("CheckProof(%d) = %+v, %v", i, rec, err)
		}
		bad := got
		bad.Record = strings.Replace(bad.Record, "because", "BECAUSE", 1)
		if _, err := audit.CheckProof(&bad, v); err == nil {
			t.Errorf("CheckProof accepted a changed record %d", i)
		}
		moved := got
		moved.Index = (i + 1) % 13
		if _, err := audit.CheckProof(&moved, v); err == nil {
			t.Errorf("CheckProof accepted record %d at index %d", i, moved.Index)
		}
		_, other := mustKeys(t, "other")
		if _, err := audit.CheckProof(&got, other); err == nil {
			t.Errorf("CheckProof accepted record %d with another key", i)
		}
	}
	if _, err := l.ProveRecord(ctx, 13); qguard.ErrorCode(err) != qguard.ENOTFOUND {
		t.Errorf("ProveRecord of an unsigned record: %v, want not_found", err)
	}
	store.Tamper(func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
		es[4].Record.Reason = "x"
		reencode(&es[4])
		return es
	})
	if _, err := l.ProveRecord(ctx, 4); err == nil {
		t.Error("ProveRecord proved a record changed in the store")
	}
}
