package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/audit/memlog"
)

type sessions int

func (s sessions) CountActiveSessions(context.Context, time.Time) (int, error) { return int(s), nil }

func TestSummarize(t *testing.T) {
	ctx := context.Background()
	store := memlog.New()
	l, _ := newLog(t, store, audit.Options{})
	for _, r := range []qguard.AuditRecord{
		{Time: t0.Add(-48 * time.Hour), Actor: "old", Action: "x", Resource: "r0", Decision: "deny", Reason: "old"},
		{Time: t0, Actor: "alice", Action: "job.submit", Resource: "device:a", Decision: "allow"},
		{Time: t0, Actor: "alice", Action: "job.submit", Resource: "device:b", Decision: "deny", Reason: "max_shots"},
		{Time: t0, Actor: "bob", Action: "job.submit", Resource: "device:b", Decision: "deny", Reason: "max_shots"},
		{Time: t0, Actor: "bob", Action: "job.submit", Resource: "device:a", Decision: "deny", Reason: "max_qubits"},
		{Time: t0, Actor: "system", Action: "user.add", Resource: "user:carol", Decision: "info"},
	} {
		if _, err := l.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	s, err := audit.Summarize(ctx, store, sessions(4), t0.Add(-24*time.Hour), t0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Events != 5 || s.UniqueUsers != 3 || s.UniqueResources != 3 || s.Granted != 1 || s.Denied != 3 ||
		s.DeniedByReason["max_shots"] != 2 || s.DeniedByReason["max_qubits"] != 1 || len(s.DeniedByReason) != 2 || s.ActiveSessions != 4 {
		t.Errorf("summary %+v", s)
	}
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	store, _ := signedLog(t, 4500) // more than one read batch
	var buf bytes.Buffer
	var progress int
	n, err := audit.Export(ctx, store, &buf, time.Time{}, func(k int) { progress += k })
	if err != nil || n != 4500 || progress != 4500 {
		t.Fatalf("Export = %d, %v (progress %d)", n, err, progress)
	}
	entries, _ := store.AuditEntries(ctx, 0, 4500)
	sc := bufio.NewScanner(&buf)
	for i := 0; sc.Scan(); i++ {
		if !bytes.Equal(sc.Bytes(), entries[i].Data) {
			t.Fatalf("line %d = %s, want the record's canonical bytes %s", i, sc.Bytes(), entries[i].Data)
		}
	}
	buf.Reset()
	if n, err := audit.Export(ctx, store, &buf, t0.Add(4490*time.Second), nil); err != nil || n != 10 {
		t.Fatalf("Export since = %d, %v; want 10", n, err)
	}
	first, _, _ := bytes.Cut(buf.Bytes(), []byte("\n"))
	if !bytes.Equal(first, entries[4490].Data) {
		t.Errorf("first line since = %s, want %s", first, entries[4490].Data)
	}
}
