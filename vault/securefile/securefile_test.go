package securefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWriteFileReplacesWith0600(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(p, []byte("old"), 0o644)
	if err := WriteFile(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(p)
	if err != nil || string(got) != "new" {
		t.Fatalf("%q %v", got, err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".secret.tmp-*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	if err := WriteFile(filepath.Join(t.TempDir(), "missing-dir", "x"), nil); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

func TestReadFileRefusesInsecureModes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secret")
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o666} {
		os.WriteFile(p, []byte("x"), 0o600)
		os.Chmod(p, mode)
		_, err := ReadFile(p)
		if !errors.Is(err, ErrInsecure) || !strings.Contains(err.Error(), "chmod 600 "+p) {
			t.Errorf("mode %o: %v", mode, err)
		}
	}
}

func TestLockFileExcludes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	first, err := LockFile(p, true)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		second, err := LockFile(p, true) // a separate open file: blocks like another process
		if err == nil {
			close(got)
			second.Unlock()
		}
	}()
	select {
	case <-got:
		t.Fatal("second exclusive lock granted while the first is held")
	case <-time.After(50 * time.Millisecond):
	}
	first.Unlock()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("second lock not granted after unlock")
	}
}
