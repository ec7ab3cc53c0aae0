package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/audit/memlog"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// signedLog returns a store with n records, checkpointed at every size in at
// (and at n), and the verifier of its key.
func signedLog(t testing.TB, n int, at ...int) (*memlog.Store, note.Verifier) {
	t.Helper()
	store := memlog.New()
	l, v := newLog(t, store, audit.Options{})
	appendN(t, l, n, append(at, n)...)
	return store, v
}

func TestVerifyUntouched(t *testing.T) {
	store, v := signedLog(t, 20, 5)
	var progress int
	rep, err := audit.Verify(context.Background(), store, v, audit.VerifyOptions{Progress: func(n int) { progress += n }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 20 || rep.Checkpoint != 20 || rep.Unsigned != 0 || rep.Root == "" || !strings.HasPrefix(rep.Key, "qguard-audit+") {
		t.Errorf("report %+v", rep)
	}
	if progress != 20 {
		t.Errorf("progress counted %d records, want 20", progress)
	}
}

func TestVerifyReportsUnsignedTail(t *testing.T) {
	store := memlog.New()
	l, v := newLog(t, store, audit.Options{})
	appendN(t, l, 8, 5)
	rep, err := audit.Verify(context.Background(), store, v, audit.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checkpoint != 5 || rep.Unsigned != 3 {
		t.Errorf("report %+v, want checkpoint 5 and 3 unsigned", rep)
	}
}

// reencode makes a tampered record self-consistent, as an attacker who
// controls the database but not the signing key would.
func reencode(e *qguard.AuditEntry) { e.Data, _ = audit.Encode(&e.Record) }

func TestVerifyCatchesTampering(t *testing.T) {
	type tamper func(es []qguard.AuditEntry, cps map[int64][]byte) []qguard.AuditEntry
	field := func(i int, f func(r *qguard.AuditRecord)) tamper {
		return func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry { f(&es[i].Record); return es }
	}
	fields := map[string]func(r *qguard.AuditRecord){
		"index":      func(r *qguard.AuditRecord) { r.Index++ },
		"time":       func(r *qguard.AuditRecord) { r.Time = r.Time.Add(time.Nanosecond) },
		"actor":      func(r *qguard.AuditRecord) { r.Actor = "mallory" },
		"action":     func(r *qguard.AuditRecord) { r.Action = "job.cancel" },
		"resource":   func(r *qguard.AuditRecord) { r.Resource = "device:other" },
		"decision":   func(r *qguard.AuditRecord) { r.Decision = qguard.DecisionAllow + "x" },
		"reason":     func(r *qguard.AuditRecord) { r.Reason = "" },
		"request_id": func(r *qguard.AuditRecord) { r.RequestID = "req-x" },
		"cost":       func(r *qguard.AuditRecord) { r.Cost += 0.01 },
		"details":    func(r *qguard.AuditRecord) { r.Details["shots"] = "1" },
		"new detail": func(r *qguard.AuditRecord) { r.Details["x"] = "" },
	}
	cases := map[string]struct {
		tamper tamper
		index  int64  // first bad record, or -1
		cp     string // or the checkpoint at fault
		reason string
	}{}
	for name, f := range fields {
		for _, i := range []int{0, 7, 19} {
			cases[fmt.Sprintf("column %s of record %d", name, i)] = struct {
				tamper tamper
				index  int64
				cp     string
				reason string
			}{field(i, f), int64(i), "", ""}
		}
		if name == "index" {
			continue // re-encoding at the same index undoes the change
		}
		// Changing bytes and fields together passes the per-record check
		// but not the signed root.
		cases["record "+name+" re-encoded"] = struct {
			tamper tamper
			index  int64
			cp     string
			reason string
		}{func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
			f(&es[4].Record)
			es[4].Record.Index = es[4].Index
			reencode(&es[4])
			return es
		}, -1, audit.LatestCheckpoint, "differs"}
	}
	add := func(name string, tm tamper, index int64, cp, reason string) {
		cases[name] = struct {
			tamper tamper
			index  int64
			cp     string
			reason string
		}{tm, index, cp, reason}
	}
	add("data byte", func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
		es[11].Data[len(es[11].Data)-3] ^= 1
		return es
	}, 11, "", "")
	add("delete record", func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
		return append(es[:6:6], es[7:]...)
	}, 6, "", "missing")
	add("delete first record", func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
		return es[1:]
	}, 0, "", "missing")
	add("delete and renumber", func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
		es = append(es[:6:6], es[7:]...)
		for i := 6; i < len(es); i++ {
			es[i].Index, es[i].Record.Index = int64(i), int64(i)
			reencode(&es[i])
		}
		return es
	}, -1, audit.LatestCheckpoint, "deleted")
	add("swap two records", func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
		es[3].Data, es[9].Data = es[9].Data, es[3].Data
		es[3].Record, es[9].Record = es[9].Record, es[3].Record
		return es
	}, 3, "", "swapped")
	add("swap rows, index columns kept", func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
		es[3].Data, es[9].Data = es[9].Data, es[3].Data
		es[3].Record, es[9].Record = es[9].Record, es[3].Record
		es[3].Record.Index, es[9].Record.Index = 3, 9 // as a store that reads the index from its own column
		return es
	}, 3, "", "holds the bytes of record 9")
	add("swap and renumber", func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
		es[3].Record, es[9].Record = es[9].Record, es[3].Record
		es[3].Record.Index, es[9].Record.Index = 3, 9
		reencode(&es[3])
		reencode(&es[9])
		return es
	}, -1, audit.LatestCheckpoint, "differs")
	add("duplicate record", func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
		return append(es[:5:5], append([]qguard.AuditEntry{es[4]}, es[5:]...)...)
	}, 4, "", "twice")
	add("cut the tail", func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
		return es[:17]
	}, -1, audit.LatestCheckpoint, "records 17..19 deleted")
	add("cut everything", func(es []qguard.AuditEntry, _ map[int64][]byte) []qguard.AuditEntry {
		return nil
	}, -1, audit.LatestCheckpoint, "deleted")
	add("cut the tail and its checkpoints", func(es []qguard.AuditEntry, cps map[int64][]byte) []qguard.AuditEntry {
		clear(cps)
		return es[:17]
	}, -1, audit.LatestCheckpoint, "none stored")
	add("checkpoint size column", func(es []qguard.AuditEntry, cps map[int64][]byte) []qguard.AuditEntry {
		cps[25] = cps[20]
		return es
	}, -1, audit.LatestCheckpoint, "signed for size 20")
	add("checkpoint text", func(es []qguard.AuditEntry, cps map[int64][]byte) []qguard.AuditEntry {
		cps[20] = []byte(strings.Replace(string(cps[20]), "\n20\n", "\n19\n", 1))
		return es
	}, -1, audit.LatestCheckpoint, "signature is invalid")
	add("checkpoint garbage", func(es []qguard.AuditEntry, cps map[int64][]byte) []qguard.AuditEntry {
		cps[20] = []byte("not a note")
		return es
	}, -1, audit.LatestCheckpoint, "malformed")
	add("whole log re-signed by another key", func(es []qguard.AuditEntry, cps map[int64][]byte) []qguard.AuditEntry {
		forged := memlog.New()
		s, v := mustKeys(t, "mallory")
		l := audit.New(forged, s, v, hmacKey, audit.Options{})
		appendN(t, l, 20, 20)
		clear(cps)
		forged.Tamper(func(fes []qguard.AuditEntry, fcps map[int64][]byte) []qguard.AuditEntry {
			es = fes
			for k, c := range fcps {
				cps[k] = c
			}
			return fes
		})
		es[2].Record.Actor = "mallory"
		reencode(&es[2])
		return es
	}, -1, audit.LatestCheckpoint, "not signed by the audit key")

	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			store, v := signedLog(t, 20, 10)
			store.Tamper(c.tamper)
			rep, err := audit.Verify(context.Background(), store, v, audit.VerifyOptions{})
			var ve *audit.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("Verify = %+v, %v; want a VerifyError", rep, err)
			}
			if ve.Index != c.index || ve.Checkpoint != c.cp || !strings.Contains(ve.Reason, c.reason) {
				t.Errorf("Verify error %q (index %d, checkpoint %q); want index %d, checkpoint %q, reason containing %q",
					err, ve.Index, ve.Checkpoint, c.index, c.cp, c.reason)
			}
		})
	}
}

// A database owner can roll the log back to an older checkpoint that is
// validly signed; only a checkpoint kept elsewhere catches that.
func TestVerifySavedCheckpointCatchesRollback(t *testing.T) {
	ctx := context.Background()
	store, v := signedLog(t, 20, 10)
	_, saved, err := store.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store.Tamper(func(es []qguard.AuditEntry, cps map[int64][]byte) []qguard.AuditEntry {
		delete(cps, 20)
		return es[:10]
	})
	if _, err := audit.Verify(ctx, store, v, audit.VerifyOptions{}); err != nil {
		t.Fatalf("rolled-back log without a saved checkpoint: %v (expected to pass: nothing to compare with)", err)
	}
	_, err = audit.Verify(ctx, store, v, audit.VerifyOptions{Saved: saved})
	var ve *audit.VerifyError
	if !errors.As(err, &ve) || ve.Checkpoint != audit.SavedCheckpoint || !strings.Contains(ve.Reason, "records 10..19 deleted") {
		t.Fatalf("Verify with the saved checkpoint: %v; want the saved checkpoint named with records 10..19 deleted", err)
	}
}

func TestVerifySavedCheckpointConsistency(t *testing.T) {
	ctx := context.Background()
	store := memlog.New()
	l, v := newLog(t, store, audit.Options{})
	appendN(t, l, 7, 7)
	_, saved, _ := store.LatestCheckpoint(ctx)
	for i := 7; i < 40; i++ {
		if _, err := l.Append(ctx, record(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, store, v, audit.VerifyOptions{Saved: saved})
	if err != nil {
		t.Fatalf("log that extends the saved checkpoint: %v", err)
	}
	if rep.Saved == nil || *rep.Saved != 7 || rep.Records != 40 {
		t.Errorf("report %+v, want saved size 7 of 40", rep)
	}

	// A fork: same key, same size, different history (the signing key was
	// used on another database). The proof against the saved checkpoint fails.
	fork := memlog.New()
	lf, _ := newLog(t, fork, audit.Options{})
	if _, err := lf.Append(ctx, qguard.AuditRecord{Time: t0, Actor: "other", Action: "x", Decision: "info"}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 40; i++ {
		if _, err := lf.Append(ctx, record(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lf.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(ctx, fork, v, audit.VerifyOptions{}); err != nil {
		t.Fatalf("the fork verifies on its own: %v", err)
	}
	_, err = audit.Verify(ctx, fork, v, audit.VerifyOptions{Saved: saved})
	var ve *audit.VerifyError
	if !errors.As(err, &ve) || ve.Checkpoint != audit.SavedCheckpoint || !strings.Contains(ve.Reason, "does not extend") {
		t.Fatalf("fork against the saved checkpoint: %v; want 'does not extend'", err)
	}

	// A saved checkpoint signed by another key is refused.
	other := memlog.New()
	s2, v2 := mustKeys(t, "other")
	appendN(t, audit.New(other, s2, v2, hmacKey, audit.Options{}), 3, 3)
	_, foreign, _ := other.LatestCheckpoint(ctx)
	_, err = audit.Verify(ctx, store, v, audit.VerifyOptions{Saved: foreign})
	if !errors.As(err, &ve) || ve.Checkpoint != audit.SavedCheckpoint || !strings.Contains(ve.Reason, "another key") {
		t.Fatalf("foreign saved checkpoint: %v", err)
	}
}

// FuzzOpenCheckpoint feeds signed-note parsing arbitrary input: it must
// never panic, and whatever it accepts must be signed by the key.
func FuzzOpenCheckpoint(f *testing.F) {
	store, v := signedLog(f, 5)
	_, msg, err := store.LatestCheckpoint(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(msg)
	// A real checkpoint of sum.golang.org (note format, another key).
	f.Add([]byte("go.sum database tree\n3415017\nxpA4K6Kbi3xZbbuU6LQfC59E4bXYoXr6jsX+1pS1tpg=\n\n— sum.golang.org Az3grlsJqcjz/kpW0hwwqL+v3n+H5Q2JDAp3Cp/Hx7rBwX1JD49blthMlXdRTBIRHMXIoBP1pSx60HPDDNP0aJPT6Ag=\n"))
	f.Add([]byte("go.sum database tree\n1\n\n\n— x AAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := audit.OpenCheckpoint(data, v)
		if err != nil {
			return
		}
		if tree.N < 0 {
			t.Fatalf("accepted negative size %d", tree.N)
		}
		n, err := note.Open(data, note.VerifierList(v))
		if err != nil || len(n.Sigs) == 0 {
			t.Fatalf("accepted a checkpoint the key did not sign: %v", err)
		}
		if _, err := tlog.ParseTree([]byte(n.Text)); err != nil {
			t.Fatal(err)
		}
	})
}
