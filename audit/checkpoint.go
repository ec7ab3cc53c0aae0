package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// algEd25519 is the note key algorithm byte for Ed25519.
const algEd25519 = 1

// VerifierKey returns the public note verifier key ("name+hash+keydata")
// of the Ed25519 key whose 32-byte seed is seed. It is safe to publish.
func VerifierKey(name string, seed []byte) (string, error) {
	if len(seed) != ed25519.SeedSize {
		return "", fmt.Errorf("audit signing seed must be %d bytes, not %d", ed25519.SeedSize, len(seed))
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(name, pub)
}

// KeysFromSeed returns the note signer and verifier of the Ed25519 key
// whose 32-byte seed is seed (the vault's "audit-signing" internal key),
// in the formats of note.GenerateKey.
func KeysFromSeed(name string, seed []byte) (note.Signer, note.Verifier, error) {
	if name == "" || strings.ContainsAny(name, "+ \t\n") {
		return nil, nil, fmt.Errorf("audit key name %q must be non-empty, without spaces or '+'", name)
	}
	vkey, err := VerifierKey(name, seed)
	if err != nil {
		return nil, nil, err
	}
	// vkey is name+hash+base64(alg||pub); the signer key reuses name and
	// hash with base64(alg||seed), as note.GenerateKey writes it.
	parts := strings.SplitN(vkey, "+", 3)
	skey := "PRIVATE+KEY+" + parts[0] + "+" + parts[1] + "+" +
		base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, seed...))
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("audit signing key: %w", err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, fmt.Errorf("audit verifier key: %w", err)
	}
	return signer, verifier, nil
}

// signTree returns tree as a checkpoint note signed by signer.
func signTree(tree tlog.Tree, signer note.Signer) ([]byte, error) {
	msg, err := note.Sign(&note.Note{Text: string(tlog.FormatTree(tree))}, signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return msg, nil
}

// OpenCheckpoint checks that msg is a checkpoint signed by verifier's key
// and returns the tree (size and root hash) it commits to. A checkpoint
// signed only by another key is refused.
func OpenCheckpoint(msg []byte, verifier note.Verifier) (tlog.Tree, error) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return tlog.Tree{}, fmt.Errorf("checkpoint is not signed by the audit key %s+%08x (signed by another key)", verifier.Name(), verifier.KeyHash())
		case errors.As(err, &invalid):
			return tlog.Tree{}, errors.New("checkpoint signature is invalid (checkpoint altered)")
		}
		return tlog.Tree{}, fmt.Errorf("malformed checkpoint: %w", err)
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("malformed checkpoint: %w", err)
	}
	return tree, nil
}
