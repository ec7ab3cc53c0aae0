package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/sqlite"
)

// TestKill9KeepsAcknowledgedWrites runs a writer in a child process that
// prints the index of every audit record the store acknowledged, kills it
// with SIGKILL mid-stream, and checks that every acknowledged record is in
// the database (invariant 4).
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if path := os.Getenv("QGUARD_SQLITE_CRASH_WRITER"); path != "" {
		crashWriter(path)
		return
	}
	path := filepath.Join(t.TempDir(), "qguard.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9KeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), "QGUARD_SQLITE_CRASH_WRITER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int64]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 300 {
		if i, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil {
			acked[i] = true
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() { // acknowledgements printed before the kill landed
		if i, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil {
			acked[i] = true
		}
	}
	cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("the writer acknowledged only %d records", len(acked))
	}

	db := openAt(t, path)
	size, err := db.AuditSize(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	entries, err := db.AuditEntries(t.Context(), 0, size)
	if err != nil {
		t.Fatal(err)
	}
	have := map[int64]bool{}
	for _, e := range entries {
		have[e.Index] = true
		want, _ := audit.Encode(&e.Record)
		if string(want) != string(e.Data) {
			t.Errorf("entry %d does not match its record after the crash", e.Index)
		}
	}
	for i := range acked {
		if !have[i] {
			t.Errorf("acknowledged audit record %d lost after kill -9", i)
		}
	}
	t.Logf("%d acknowledged, %d stored", len(acked), len(have))
}

// crashWriter appends audit records from 8 goroutines until killed,
// printing each acknowledged index.
func crashWriter(path string) {
	db, err := sqlite.Open(bgCtx(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				rec := &qguard.AuditRecord{Time: time.Now(), Actor: fmt.Sprintf("w%d", g), Action: "job.submit", Resource: strconv.Itoa(i), Decision: qguard.DecisionAllow}
				idx, err := db.AppendAudit(bgCtx(), rec, audit.Encode)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Println(idx)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestTwoHandlesShareBudget: two handles on one file (as the CLI and a
// server, or two processes) race for one budget; BEGIN IMMEDIATE and the
// busy timeout keep it exact.
func TestTwoHandlesShareBudget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qguard.db")
	a, b := openAt(t, path), openAt(t, path)
	limits := []qguard.BudgetLimit{{Scope: qguard.ScopeUser, Name: "alice", Daily: 2}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 60 {
		db := a
		if i%2 == 1 {
			db = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Reserve(t.Context(), qguard.Reservation{JobID: fmt.Sprintf("job_%d", i), User: "alice", Day: "2026-12-04", Amount: 0.1}, limits)
			switch {
			case err == nil:
				mu.Lock()
				ok++
				mu.Unlock()
			case qguard.ErrorCode(err) != qguard.EBUDGETEXCEEDED:
				t.Errorf("reserve: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 20 {
		t.Errorf("%d reservations succeeded across two handles, want exactly 20", ok)
	}
	sp, err := b.Spent(t.Context(), qguard.ScopeUser, "alice", "2026-12-04")
	if err != nil || sp.Reserved != 2 {
		t.Errorf("Spent = %+v, %v; want 2 reserved", sp, err)
	}
}

func bgCtx() context.Context { return context.Background() }
