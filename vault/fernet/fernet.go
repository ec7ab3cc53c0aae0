// Package fernet verifies and decrypts Fernet tokens (github.com/fernet/spec,
// version 0x80) and names the cause when a token is rejected, so that a user
// migrating old credential files learns whether the key is wrong, the token
// expired or the file is damaged.
//
// It exists beside github.com/fernet/fernet-go because that package returns
// nil for every failure.
package fernet

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxClockSkew is how far in the future a token's timestamp may lie, as in
// the reference implementations.
const MaxClockSkew = 60 * time.Second

const (
	version  = 0x80
	overhead = 1 + 8 + aes.BlockSize + sha256.Size // version, timestamp, IV, HMAC
)

// Causes of rejection. Verify wraps one of them.
var (
	ErrKey        = errors.New("fernet key must be 32 bytes of URL-safe base64")
	ErrBase64     = errors.New("token is not URL-safe base64")
	ErrTooShort   = errors.New("token is too short")
	ErrVersion    = errors.New("token has an unknown version byte (want 0x80)")
	ErrExpired    = errors.New("token has expired (older than its TTL)")
	ErrFuture     = errors.New("token timestamp is too far in the future (clock skew)")
	ErrMAC        = errors.New("token HMAC does not match: wrong key, or the token was altered")
	ErrBlockSize  = errors.New("ciphertext length is not a multiple of the AES block size")
	ErrPadding    = errors.New("plaintext padding is invalid (wrong IV or damaged ciphertext)")
	errEmptyToken = errors.New("token is empty")
)

// Key is a Fernet key: a 16-byte signing key followed by a 16-byte AES key.
type Key [32]byte

// DecodeKey parses a key in URL-safe base64 (with or without padding,
// surrounding whitespace ignored).
func DecodeKey(s string) (*Key, error) {
	b, err := decodeBase64(strings.TrimSpace(s))
	if err != nil || len(b) != 32 {
		return nil, ErrKey
	}
	var k Key
	copy(k[:], b)
	return &k, nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	return base64.RawURLEncoding.DecodeString(s)
}

// Token is a verified, decrypted token.
type Token struct {
	Plaintext []byte
	SignedAt  time.Time
}

// Verify checks tok against key and returns its plaintext and timestamp.
// ttl <= 0 means no age limit (migrating old files); otherwise a token signed
// more than ttl before now is rejected. A timestamp more than MaxClockSkew
// after now is always rejected.
func Verify(tok string, key *Key, now time.Time, ttl time.Duration) (*Token, error) {
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return nil, errEmptyToken
	}
	raw, err := base64.URLEncoding.DecodeString(tok)
	if err != nil {
		if raw, err = decodeBase64(tok); err != nil {
			return nil, ErrBase64
		}
	}
	if len(raw) < overhead {
		return nil, ErrTooShort
	}
	if raw[0] != version {
		return nil, ErrVersion
	}
	ts := int64(binary.BigEndian.Uint64(raw[1:9]))
	signedAt := time.Unix(ts, 0).UTC()
	if ts > now.Unix()+int64(MaxClockSkew/time.Second) {
		return nil, fmt.Errorf("%w: signed %s", ErrFuture, signedAt.Format(time.RFC3339))
	}
	if ttl > 0 && now.Unix() > ts+int64(ttl/time.Second) {
		return nil, fmt.Errorf("%w: signed %s", ErrExpired, signedAt.Format(time.RFC3339))
	}
	body, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	mac := hmac.New(sha256.New, key[:16])
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sum) {
		return nil, ErrMAC
	}
	iv, ct := body[9:9+aes.BlockSize], body[9+aes.BlockSize:]
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, ErrBlockSize
	}
	block, err := aes.NewCipher(key[16:])
	if err != nil {
		return nil, err
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
	pt, ok := unpad(pt)
	if !ok {
		return nil, ErrPadding
	}
	return &Token{Plaintext: pt, SignedAt: signedAt}, nil
}

// unpad removes PKCS#7 padding.
func unpad(b []byte) ([]byte, bool) {
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize || n > len(b) {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}
