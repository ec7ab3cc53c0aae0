// Package securefile reads and writes files that hold secrets: written 0600
// by atomic replacement (temp file, fsync, rename, directory fsync), refused
// on read when group or others may read them, and guarded by an exclusive
// lock file so that concurrent processes do not lose each other's updates.
package securefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrInsecure is wrapped by the error that ReadFile returns for a file that
// group or others can access.
var ErrInsecure = errors.New("insecure permissions")

// CheckMode returns an error naming the fix if path is accessible by group
// or others, as ssh does for private keys.
func CheckMode(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s is accessible by group or others (mode %04o); it holds secrets: run chmod 600 %s",
			ErrInsecure, path, perm, path)
	}
	return nil
}

// ReadFile reads a secret file after checking its permissions.
func ReadFile(path string) ([]byte, error) {
	if err := CheckMode(path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// WriteFile replaces path with data, mode 0600, so that a crash at any
// moment leaves either the old or the new content.
func WriteFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes a rename or create in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) { // some filesystems cannot sync directories
		return err
	}
	return nil
}

// Lock is a held flock(2) lock on a lock file.
type Lock struct{ f *os.File }

// LockFile takes an exclusive (or shared) lock on path, creating it 0600,
// and blocks until it is granted. The lock dies with the process, so a
// killed writer never leaves it stuck.
func LockFile(path string, exclusive bool) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrPermission) && !exclusive {
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock.
func (l *Lock) Unlock() error {
	defer l.f.Close()
	return syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
}
