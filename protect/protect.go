// Package protect encrypts data files (training sets, model parameters) with
// age to post-quantum recipients (ML-KEM-768 + X25519, age1pq…), in
// constant memory: the plaintext streams through age's 64 KiB chunks, so a
// file of any size needs a fixed few hundred KiB.
//
// Output files are written atomically (temporary file in the destination's
// folder, fsync, rename, mode 0600). A decryption that fails part-way (a
// wrong key, a truncated or tampered file) removes its temporary file, so
// no half-written plaintext is ever left under the output name.
package protect

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/qguard/qguard"
	"github.com/qguard/qguard/vault/securefile"
	"github.com/schollz/progressbar/v3"
)

// ErrNoIdentity is returned when no identity opens a file.
var ErrNoIdentity = errors.New("no identity matches this file: it was encrypted to other recipients")

// ErrNotPostQuantum is wrapped by the error for a classical recipient.
var ErrNotPostQuantum = errors.New("recipient is not post-quantum")

// Encrypt streams src to dst encrypted to every recipient, and returns the
// number of plaintext bytes. Only post-quantum recipients are accepted: a
// classical one would let a future quantum computer read the file.
func Encrypt(dst io.Writer, src io.Reader, recipients ...age.Recipient) (int64, error) {
	if len(recipients) == 0 {
		return 0, qguard.Errorf(qguard.EINVALID, "no recipient to encrypt to")
	}
	for _, r := range recipients {
		if _, ok := r.(*age.HybridRecipient); !ok {
			return 0, fmt.Errorf("%w: use an age1pq… recipient (age-keygen -pq)", ErrNotPostQuantum)
		}
	}
	w, err := age.Encrypt(dst, recipients...)
	if err != nil {
		return 0, fmt.Errorf("encrypt: %w", err)
	}
	n, err := io.Copy(w, src)
	if err != nil {
		return n, fmt.Errorf("encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return n, fmt.Errorf("encrypt: %w", err)
	}
	return n, nil
}

// Decrypt streams the age file src to dst as plaintext and returns its
// length. Authentication is per chunk: when it fails, part of the plaintext
// may already be in dst, so write to a file with [WriteAtomic].
func Decrypt(dst io.Writer, src io.Reader, identities ...age.Identity) (int64, error) {
	r, err := age.Decrypt(src, identities...)
	if err != nil {
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			return 0, ErrNoIdentity
		}
		return 0, fmt.Errorf("decrypt: %w", err)
	}
	n, err := io.Copy(dst, r)
	if err != nil {
		return n, fmt.Errorf("decrypt: the file is truncated or was modified: %w", err)
	}
	return n, nil
}

// WriteAtomic creates path (mode 0600) with what fill writes: into a
// temporary file next to it, synced and renamed into place only when fill
// succeeds. On any error the temporary file is removed and path is left
// as it was.
func WriteAtomic(path string, fill func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create output: %w", err)
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
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = fill(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return securefile.SyncDir(dir)
}

// ParseRecipients reads recipients from specs: each is an age1pq…
// recipient, or the path of a recipients file (one per line, # comments).
func ParseRecipients(specs []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, s := range specs {
		if strings.HasPrefix(s, "age1") {
			rs, err := age.ParseRecipients(strings.NewReader(s))
			if err != nil {
				return nil, qguard.Errorf(qguard.EINVALID, "recipient %q does not parse: %v", s, err)
			}
			out = append(out, rs...)
			continue
		}
		f, err := os.Open(s)
		if err != nil {
			return nil, fmt.Errorf("recipient %q is neither an age1pq… key nor a readable file: %w", s, err)
		}
		rs, err := age.ParseRecipients(f)
		f.Close()
		if err != nil {
			return nil, qguard.Errorf(qguard.EINVALID, "recipients file %s: %v", s, err)
		}
		out = append(out, rs...)
	}
	for _, r := range out {
		if _, ok := r.(*age.HybridRecipient); !ok {
			return nil, fmt.Errorf("%w: use age1pq… recipients (age-keygen -pq)", ErrNotPostQuantum)
		}
	}
	return out, nil
}

// ReadIdentities reads an age identity file (AGE-SECRET-KEY-PQ-1… or
// AGE-SECRET-KEY-1… lines), refusing one that group or others can read.
func ReadIdentities(path string) ([]age.Identity, error) {
	b, err := securefile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read identity file: %w", err)
	}
	ids, err := age.ParseIdentities(strings.NewReader(string(b)))
	if err != nil {
		return nil, qguard.Errorf(qguard.EINVALID, "identity file %s: %v", path, err)
	}
	return ids, nil
}

// progressThreshold is the smallest input that gets a progress bar.
const progressThreshold = 64 << 20

// WithProgress wraps r so that reading it draws a progress bar on w, when
// w is a terminal and size is large enough to be worth one; otherwise it
// returns r unchanged. Call the returned finish when done.
func WithProgress(r io.Reader, size int64, w io.Writer, isTerminal bool, desc string) (io.Reader, func()) {
	if !isTerminal || size < progressThreshold || w == nil {
		return r, func() {}
	}
	bar := progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	pr := progressbar.NewReader(r, bar)
	return &pr, func() { bar.Finish() }
}
