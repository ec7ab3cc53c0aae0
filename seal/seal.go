// Package seal encrypts small blobs (job circuits, obfuscation keys,
// results) before they reach the store, which is untrusted for secrets.
//
// A sealed blob is: version byte, 24-byte random nonce, XChaCha20-Poly1305
// ciphertext. The associated data binds a blob to its place (for example
// "job:<id>:result"), so a blob copied to another row does not open.
package seal

import (
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

const version = 1

// ErrOpen is returned for a blob that does not decrypt: wrong key, wrong
// place, or tampered.
var ErrOpen = errors.New("seal: blob does not decrypt (wrong key, moved or tampered)")

// Sealer seals and opens blobs with one key.
type Sealer struct {
	key []byte
}

// New returns a Sealer for a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != chacha20poly1305.KeySize {
		return nil, fmt.Errorf("seal: key must be %d bytes, not %d", chacha20poly1305.KeySize, len(key))
	}
	return &Sealer{key: append([]byte(nil), key...)}, nil
}

// Seal encrypts plaintext bound to place.
func (s *Sealer) Seal(plaintext []byte, place string) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(s.key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[1:], plaintext, []byte(place)), nil
}

// Open decrypts a blob sealed for place.
func (s *Sealer) Open(blob []byte, place string) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(s.key)
	if err != nil {
		return nil, err
	}
	if len(blob) < 1+aead.NonceSize()+aead.Overhead() || blob[0] != version {
		return nil, ErrOpen
	}
	nonce := blob[1 : 1+aead.NonceSize()]
	pt, err := aead.Open(nil, nonce, blob[1+aead.NonceSize():], []byte(place))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
