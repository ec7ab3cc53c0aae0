package seal_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/qguard/qguard/seal"
)

func newSealer(t testing.TB, b byte) *seal.Sealer {
	t.Helper()
	s, err := seal.New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	s := newSealer(t, 1)
	msg := []byte(`{"counts":{"00":512,"11":488}}`)
	blob, err := s.Seal(msg, "job:1:result")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, msg[:8]) {
		t.Fatal("sealed blob holds plaintext")
	}
	got, err := s.Open(blob, "job:1:result")
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	t.Run("ErrMoved", func(t *testing.T) {
		if _, err := s.Open(blob, "job:2:result"); !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("err = %v, want ErrOpen", err)
		}
	})
	t.Run("ErrWrongKey", func(t *testing.T) {
		if _, err := newSealer(t, 2).Open(blob, "job:1:result"); !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("err = %v, want ErrOpen", err)
		}
	})
	t.Run("ErrTampered", func(t *testing.T) {
		for i := range blob {
			bad := bytes.Clone(blob)
			bad[i] ^= 0x40
			if _, err := s.Open(bad, "job:1:result"); !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("flipping byte %d: err = %v, want ErrOpen", i, err)
			}
		}
		if _, err := s.Open(blob[:len(blob)-1], "job:1:result"); !errors.Is(err, seal.ErrOpen) {
			t.Fatal("truncated blob opened")
		}
	})
	t.Run("FreshNonce", func(t *testing.T) {
		b2, _ := s.Seal(msg, "job:1:result")
		if bytes.Equal(blob, b2) {
			t.Fatal("two seals of one message are equal")
		}
	})
}

func TestNewKeySize(t *testing.T) {
	if _, err := seal.New(make([]byte, 16)); err == nil {
		t.Fatal("16-byte key accepted")
	}
}

func FuzzOpen(f *testing.F) {
	s := newSealer(f, 3)
	blob, _ := s.Seal([]byte("seed"), "p")
	f.Add(blob)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if pt, err := s.Open(b, "p"); err == nil && !bytes.Equal(pt, []byte("seed")) {
			t.Fatalf("forged blob opened: %q", pt)
		}
	})
}
