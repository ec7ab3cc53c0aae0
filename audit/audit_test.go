package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/audit/memlog"
	"golang.org/x/mod/sumdb/note"
)

var hmacKey = bytes.Repeat([]byte{0x42}, 32)

func seed(label string) []byte { s := sha256.Sum256([]byte(label)); return s[:] }

func mustKeys(tb testing.TB, label string) (note.Signer, note.Verifier) {
	tb.Helper()
	s, v, err := audit.KeysFromSeed("qguard-audit", seed(label))
	if err != nil {
		tb.Fatal(err)
	}
	return s, v
}

func newLog(tb testing.TB, store qguard.AuditStore, opts audit.Options) (*audit.Log, note.Verifier) {
	tb.Helper()
	s, v := mustKeys(tb, "test key")
	if opts.SecretDetails == nil {
		opts.SecretDetails = []string{"token"}
	}
	return audit.New(store, s, v, hmacKey, opts), v
}

func record(i int) qguard.AuditRecord {
	return qguard.AuditRecord{
		Time: t0.Add(time.Duration(i) * time.Second), Actor: fmt.Sprintf("user%d", i%3), Action: "job.submit",
		Resource: fmt.Sprintf("device:d%d", i%4), Decision: []string{qguard.DecisionAllow, qguard.DecisionDeny}[i%2],
		Reason: "because", RequestID: fmt.Sprintf("req-%d", i), Cost: float64(i) / 100,
		Details: map[string]string{"shots": fmt.Sprint(i * 10)},
	}
}

// appendN appends records 0..n-1 and checkpoints after each index in at.
func appendN(tb testing.TB, l *audit.Log, n int, at ...int) {
	tb.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		idx, err := l.Append(ctx, record(i))
		if err != nil {
			tb.Fatal(err)
		}
		if idx != int64(i) {
			tb.Fatalf("Append #%d got index %d", i, idx)
		}
		for _, a := range at {
			if a == i+1 {
				if _, err := l.Checkpoint(ctx); err != nil {
					tb.Fatal(err)
				}
			}
		}
	}
}

func TestAppendHMACsSecrets(t *testing.T) {
	store := memlog.New()
	l, _ := newLog(t, store, audit.Options{})
	details := map[string]string{"secret:api_key": "qg_supersecret1", "Token": "tok-supersecret2", "shots": "100"}
	if _, err := l.Append(context.Background(), qguard.AuditRecord{Actor: "alice", Action: "session.create", Decision: "allow", Details: details}); err != nil {
		t.Fatal(err)
	}
	if details["secret:api_key"] != "qg_supersecret1" {
		t.Error("Append changed the caller's details map")
	}
	entries, _ := store.AuditEntries(context.Background(), 0, 1)
	e := entries[0]
	if bytes.Contains(e.Data, []byte("supersecret")) || strings.Contains(fmt.Sprint(e.Record), "supersecret") {
		t.Fatalf("secret stored in clear: %s", e.Data)
	}
	if got, want := e.Record.Details["api_key"], l.HashSecret("qg_supersecret1"); got != want || !strings.HasPrefix(got, "hmac-sha256:") {
		t.Errorf("api_key = %q, want %q", got, want)
	}
	if got, want := e.Record.Details["Token"], l.HashSecret("tok-supersecret2"); got != want {
		t.Errorf("Token = %q, want %q", got, want)
	}
	if e.Record.Details["shots"] != "100" {
		t.Errorf("shots = %q, want 100 in clear", e.Record.Details["shots"])
	}
	if e.Record.Time.IsZero() || e.Record.Time.Location() != time.UTC {
		t.Errorf("time = %v, want now in UTC", e.Record.Time)
	}
	other := audit.New(store, nil, nil, bytes.Repeat([]byte{1}, 32), audit.Options{})
	if other.HashSecret("qg_supersecret1") == l.HashSecret("qg_supersecret1") {
		t.Error("HMAC does not depend on the key")
	}
}

// failingStore fails every append.
type failingStore struct{ *memlog.Store }

func (failingStore) AppendAudit(context.Context, *qguard.AuditRecord, func(*qguard.AuditRecord) ([]byte, error)) (int64, error) {
	return 0, errors.New("disk full")
}

func TestAppendFailsClosed(t *testing.T) {
	ctx := context.Background()
	ok := qguard.AuditRecord{Actor: "a", Action: "x", Decision: "allow"}
	fl, _ := newLog(t, failingStore{memlog.New()}, audit.Options{})
	noKey := audit.New(memlog.New(), nil, nil, nil, audit.Options{})
	closed, _ := newLog(t, memlog.New(), audit.Options{})
	if err := closed.Close(ctx); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	good, _ := newLog(t, memlog.New(), audit.Options{})
	for _, c := range []struct {
		name string
		log  *audit.Log
		ctx  context.Context
		rec  qguard.AuditRecord
	}{
		{"store error", fl, ctx, ok},
		{"no actor", good, ctx, qguard.AuditRecord{Action: "x", Decision: "allow"}},
		{"no action", good, ctx, qguard.AuditRecord{Actor: "a", Decision: "allow"}},
		{"bad decision", good, ctx, qguard.AuditRecord{Actor: "a", Action: "x", Decision: "maybe"}},
		{"bad UTF-8", good, ctx, qguard.AuditRecord{Actor: "a\xff", Action: "x", Decision: "allow"}},
		{"duplicate detail", good, ctx, qguard.AuditRecord{Actor: "a", Action: "x", Decision: "allow", Details: map[string]string{"secret:k": "1", "k": "2"}}},
		{"secret without HMAC key", noKey, ctx, qguard.AuditRecord{Actor: "a", Action: "x", Decision: "allow", Details: map[string]string{"secret:k": "1"}}},
		{"closed", closed, ctx, ok},
		{"cancelled", good, cancelled, ok},
	} {
		_, err := c.log.Append(c.ctx, c.rec)
		if code := qguard.ErrorCode(err); code != qguard.EAUDITUNAVAILABLE {
			t.Errorf("%s: Append error %v (code %q), want %q", c.name, err, code, qguard.EAUDITUNAVAILABLE)
		}
		if err != nil && strings.Contains(qguard.ErrorMessage(err), "disk") {
			t.Errorf("%s: client message leaks the cause: %q", c.name, qguard.ErrorMessage(err))
		}
	}
	if n, _ := good.Append(ctx, ok); n != 0 {
		t.Errorf("first successful append has index %d, want 0 (failed appends must not take an index)", n)
	}
}

func TestConcurrentAppendAndCheckpoint(t *testing.T) {
	ctx := context.Background()
	store := memlog.New()
	l, v := newLog(t, store, audit.Options{})
	const workers, each = 8, 150
	var wg sync.WaitGroup
	seen := make(chan int64, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				idx, err := l.Append(ctx, record(i))
				if err != nil {
					t.Error(err)
					return
				}
				seen <- idx
				if i%50 == 0 {
					if _, err := l.Checkpoint(ctx); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(seen)
	got := make(map[int64]bool)
	for idx := range seen {
		if got[idx] {
			t.Fatalf("index %d assigned twice", idx)
		}
		got[idx] = true
	}
	for i := int64(0); i < workers*each; i++ {
		if !got[i] {
			t.Fatalf("index %d never assigned", i)
		}
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, store, v, audit.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != workers*each || rep.Checkpoint != workers*each || rep.Unsigned != 0 {
		t.Errorf("report %+v, want %d records all signed", rep, workers*each)
	}
}

func TestReplicasShareOneLog(t *testing.T) {
	ctx := context.Background()
	store := memlog.New()
	a, v := newLog(t, store, audit.Options{})
	b, _ := newLog(t, store, audit.Options{})
	for i := 0; i < 30; i++ {
		l := a
		if i%3 == 0 {
			l = b
		}
		if _, err := l.Append(ctx, record(i)); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if _, err := l.Checkpoint(ctx); err != nil {
				t.Fatalf("checkpoint after %d: %v", i, err)
			}
		}
	}
	msgA, err := a.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msgB, err := b.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(msgA, msgB) {
		t.Errorf("replicas signed different checkpoints for one log:\n%s\n%s", msgA, msgB)
	}
	if _, err := audit.Verify(ctx, store, v, audit.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestRunCheckpointsEveryN(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	store := memlog.New()
	l, v := newLog(t, store, audit.Options{CheckpointEvery: 10, CheckpointInterval: time.Hour})
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	appendN(t, l, 25)
	deadline := time.Now().Add(10 * time.Second)
	for {
		size, _, err := store.LatestCheckpoint(ctx)
		if err == nil && size >= 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of at least 10 records after 25 appends (size %d, err %v)", size, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	size, msg, err := store.LatestCheckpoint(context.Background())
	if err != nil || size != 25 {
		t.Fatalf("after Close: latest checkpoint size %d, err %v; want 25", size, err)
	}
	tree, err := audit.OpenCheckpoint(msg, v)
	if err != nil || tree.N != 25 {
		t.Fatalf("OpenCheckpoint = %+v, %v", tree, err)
	}
}

func TestRunCheckpointsOnInterval(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := memlog.New()
	l, _ := newLog(t, store, audit.Options{CheckpointEvery: 1000, CheckpointInterval: 10 * time.Millisecond})
	go l.Run(ctx)
	appendN(t, l, 3)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if size, _, err := store.LatestCheckpoint(ctx); err == nil && size == 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint after the interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCheckpointEmptyLog(t *testing.T) {
	l, v := newLog(t, memlog.New(), audit.Options{})
	if _, err := l.Checkpoint(context.Background()); qguard.ErrorCode(err) != qguard.ENOTFOUND {
		t.Errorf("Checkpoint of an empty log: %v, want not_found", err)
	}
	rep, err := audit.Verify(context.Background(), memlog.New(), v, audit.VerifyOptions{})
	if err != nil || rep.Records != 0 {
		t.Errorf("Verify(empty) = %+v, %v", rep, err)
	}
}

func TestCheckpointRefusesRewrittenHistory(t *testing.T) {
	ctx := context.Background()
	store := memlog.New()
	l, _ := newLog(t, store, audit.Options{})
	appendN(t, l, 10, 10)
	store.Tamper(func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
		es[3].Record.Actor = "mallory"
		es[3].Data, _ = audit.Encode(&es[3].Record)
		return es
	})
	fresh, _ := newLog(t, store, audit.Options{}) // a replica that starts after the rewrite
	if _, err := fresh.Append(ctx, record(10)); err != nil {
		t.Fatal(err)
	}
	_, err := fresh.Checkpoint(ctx)
	if qguard.ErrorCode(err) != qguard.EAUDITUNAVAILABLE || !strings.Contains(err.Error(), "latest stored checkpoint") {
		t.Fatalf("Checkpoint over a rewritten history: %v, want a refusal naming the checkpoint", err)
	}
}

func TestKeysFromSeed(t *testing.T) {
	s, v := mustKeys(t, "k")
	if s.Name() != "qguard-audit" || s.KeyHash() != v.KeyHash() {
		t.Fatalf("signer %s/%08x, verifier %s/%08x", s.Name(), s.KeyHash(), v.Name(), v.KeyHash())
	}
	msg, err := note.Sign(&note.Note{Text: "hello\n"}, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		t.Fatalf("verifier rejects the signer's note: %v", err)
	}
	vkey, err := audit.VerifierKey("qguard-audit", seed("k"))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := note.NewVerifier(vkey)
	if err != nil || parsed.KeyHash() != v.KeyHash() {
		t.Fatalf("VerifierKey %q: %v", vkey, err)
	}
	s2, _ := mustKeys(t, "k")
	if msg2, _ := note.Sign(&note.Note{Text: "hello\n"}, s2); !bytes.Equal(msg, msg2) {
		t.Error("the same seed gives different signatures")
	}
	if _, _, err := audit.KeysFromSeed("qguard-audit", make([]byte, 16)); err == nil {
		t.Error("16-byte seed accepted")
	}
	if _, _, err := audit.KeysFromSeed("bad+name", seed("k")); err == nil {
		t.Error("name with '+' accepted")
	}
}
