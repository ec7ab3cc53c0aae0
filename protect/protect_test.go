package protect

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"filippo.io/age"
)

func newIdentity(t testing.TB) *age.HybridIdentity {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRoundTrip(t *testing.T) {
	id := newIdentity(t)
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 1 << 20} {
		plain := make([]byte, size)
		rand.Read(plain)
		var ct bytes.Buffer
		n, err := Encrypt(&ct, bytes.NewReader(plain), id.Recipient())
		if err != nil || n != int64(size) {
			t.Fatalf("encrypt %d: n=%d err=%v", size, n, err)
		}
		var got bytes.Buffer
		if n, err := Decrypt(&got, &ct, id); err != nil || n != int64(size) {
			t.Fatalf("decrypt %d: n=%d err=%v", size, n, err)
		}
		if !bytes.Equal(got.Bytes(), plain) {
			t.Fatalf("size %d: plaintext differs", size)
		}
	}
}

func TestBadPaths(t *testing.T) {
	id, other := newIdentity(t), newIdentity(t)
	plain := bytes.Repeat([]byte("qubit"), 50_000) // 250 kB: four chunks
	var ct bytes.Buffer
	if _, err := Encrypt(&ct, bytes.NewReader(plain), id.Recipient()); err != nil {
		t.Fatal(err)
	}
	if _, err := Decrypt(io.Discard, bytes.NewReader(ct.Bytes()), other); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("wrong key: %v", err)
	}
	truncated := ct.Bytes()[:ct.Len()-100]
	tampered := bytes.Clone(ct.Bytes())
	tampered[len(tampered)/2] ^= 1
	for name, data := range map[string][]byte{"truncated": truncated, "tampered": tampered, "empty": nil, "garbage": []byte("not age")} {
		dir := t.TempDir()
		out := filepath.Join(dir, "plain.csv")
		err := WriteAtomic(out, func(w io.Writer) error {
			_, err := Decrypt(w, bytes.NewReader(data), id)
			return err
		})
		if err == nil {
			t.Fatalf("%s: decrypted", name)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Fatalf("%s: left %v behind", name, ents[0].Name())
		}
	}
	x, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Encrypt(io.Discard, strings.NewReader("x"), x.Recipient()); !errors.Is(err, ErrNotPostQuantum) {
		t.Fatalf("classical recipient: %v", err)
	}
	if _, err := ParseRecipients([]string{x.Recipient().String()}); !errors.Is(err, ErrNotPostQuantum) {
		t.Fatalf("classical recipient string: %v", err)
	}
	if _, err := Encrypt(io.Discard, strings.NewReader("x")); err == nil {
		t.Fatal("no recipients: encrypted")
	}
}

func TestWriteAtomicMode(t *testing.T) {
	out := filepath.Join(t.TempDir(), "f.age")
	if err := WriteAtomic(out, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
}

func TestRecipientsAndIdentityFiles(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	dir := t.TempDir()
	rfile := filepath.Join(dir, "recipients.txt")
	os.WriteFile(rfile, []byte("# team\n"+b.Recipient().String()+"\n"), 0o644)
	rs, err := ParseRecipients([]string{a.Recipient().String(), rfile})
	if err != nil || len(rs) != 2 {
		t.Fatalf("ParseRecipients: %d, %v", len(rs), err)
	}
	var ct bytes.Buffer
	if _, err := Encrypt(&ct, strings.NewReader("weights"), rs...); err != nil {
		t.Fatal(err)
	}
	idfile := filepath.Join(dir, "key.txt")
	os.WriteFile(idfile, []byte(b.String()+"\n"), 0o600)
	ids, err := ReadIdentities(idfile)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := Decrypt(&got, &ct, ids...); err != nil || got.String() != "weights" {
		t.Fatalf("decrypt with the second recipient's file: %q, %v", got.String(), err)
	}
	os.Chmod(idfile, 0o644)
	if _, err := ReadIdentities(idfile); err == nil {
		t.Fatal("read a world-readable identity file")
	}
	if _, err := ParseRecipients([]string{filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("missing recipients file accepted")
	}
}

func BenchmarkEncrypt(b *testing.B) {
	id := newIdentity(b)
	buf := make([]byte, 64<<20)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := Encrypt(io.Discard, bytes.NewReader(buf), id.Recipient()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	id := newIdentity(b)
	var ct bytes.Buffer
	buf := make([]byte, 64<<20)
	if _, err := Encrypt(&ct, bytes.NewReader(buf), id.Recipient()); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := Decrypt(io.Discard, bytes.NewReader(ct.Bytes()), id); err != nil {
			b.Fatal(err)
		}
	}
}

// zeros is an endless reader of zero bytes, cut by io.LimitReader.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// Encryption streams: 64 MiB through Encrypt allocate far less than the
// data (a buffering implementation would allocate at least 64 MiB).
// age's decryption allocates a fresh buffer per 64 KiB chunk, garbage at
// once, so its bound is the peak resident size measured by
// bench/dataenc/run.sh, not allocation totals.
func TestConstantMemory(t *testing.T) {
	id := newIdentity(t)
	const size = 64 << 20
	var ct bytes.Buffer
	ct.Grow(size + size/1000 + 4096)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := Encrypt(&ct, io.LimitReader(zeros{}, size), id.Recipient()); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Fatalf("encrypting 64 MiB allocated %d MiB", alloc>>20)
	}
	if n, err := Decrypt(io.Discard, &ct, id); err != nil || n != size {
		t.Fatalf("decrypt: %d, %v", n, err)
	}
}
