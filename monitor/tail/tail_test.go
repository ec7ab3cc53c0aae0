package tail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) add(b []byte) error {
	l.mu.Lock()
	l.l = append(l.l, string(b))
	l.mu.Unlock()
	return nil
}
func (l *lines) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.l...)
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func waitLines(t *testing.T, got *lines, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(got.get()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %q, want %d lines", got.get(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return got.get()
}

func TestFollowRotationAndTruncation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendTo(t, path, "old line before start\n")
	ctx, cancel := context.WithCancel(context.Background())
	got := &lines{}
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, path, Options{Poll: 10 * time.Millisecond}, got.add) }()
	time.Sleep(50 * time.Millisecond)

	appendTo(t, path, "one\ntw")
	time.Sleep(30 * time.Millisecond)
	appendTo(t, path, "o\n")
	waitLines(t, got, 2)

	// Rotate: rename, write a last line to the old file, create a new one.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path+".1", "three (late, old file)\n")
	appendTo(t, path, "four (new file)\n")
	waitLines(t, got, 4)

	// Truncate in place (copytruncate) and write again.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	appendTo(t, path, "five\n")
	l := waitLines(t, got, 5)
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Follow returned %v", err)
	}
	want := []string{"one", "two", "three (late, old file)", "four (new file)", "five"}
	if fmt.Sprint(l) != fmt.Sprint(want) {
		t.Errorf("lines %q, want %q", l, want)
	}
}

func TestFollowWaitsForFileAndStopsOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.log")
	stop := fmt.Errorf("stop")
	done := make(chan error, 1)
	go func() {
		done <- Follow(context.Background(), path, Options{Poll: 10 * time.Millisecond, FromStart: true}, func(b []byte) error {
			if string(b) == "x" {
				return stop
			}
			return nil
		})
	}()
	time.Sleep(30 * time.Millisecond)
	appendTo(t, path, "a\nx\n")
	select {
	case err := <-done:
		if err != stop {
			t.Errorf("err %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not stop")
	}
}
