package qguard

import (
	"context"
	"time"
)

// Blob kinds.
const (
	BlobDataset = "dataset" // training data or model parameters
	BlobCircuit = "circuit" // a proprietary circuit of the algorithm library
)

// Blob is a dataset or library circuit kept by the gateway. Its content is
// sealed by the gateway before the store sees it; the store keeps the
// metadata in the clear so that lists and policy checks need no key.
type Blob struct {
	ID             string    `json:"id"`   // "ds_<random>" or "lib_<random>"
	Kind           string    `json:"kind"` // a Blob* constant
	Name           string    `json:"name"`
	Owner          string    `json:"owner"`          // user name of the uploader
	Classification string    `json:"classification"` // a Classification* constant
	SHA256         string    `json:"sha256"`         // of the plaintext, hex
	Size           int64     `json:"size"`           // plaintext bytes
	Sealed         []byte    `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
}

// BlobStore keeps blobs.
type BlobStore interface {
	// PutBlob stores b; ECONFLICT when its id exists.
	PutBlob(ctx context.Context, b *Blob) error
	// GetBlob returns a blob with its sealed content, or ENOTFOUND.
	GetBlob(ctx context.Context, id string) (*Blob, error)
	// ListBlobs returns the blobs of a kind without their content (Sealed
	// nil), oldest first.
	ListBlobs(ctx context.Context, kind string) ([]*Blob, error)
	// DeleteBlob removes a blob, or returns ENOTFOUND.
	DeleteBlob(ctx context.Context, id string) error
}
