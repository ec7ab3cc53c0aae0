package sqlite

import (
	"context"

	"github.com/qguard/qguard"
)

var _ qguard.BlobStore = (*DB)(nil)

// PutBlob stores b; a zero CreatedAt becomes the current time.
func (db *DB) PutBlob(ctx context.Context, b *qguard.Blob) error {
	b.CreatedAt = orNow(b.CreatedAt)
	_, err := db.exec(ctx, `INSERT INTO blobs (id, kind, name, owner, classification, sha256, size, sealed, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.Kind, b.Name, b.Owner, b.Classification, b.SHA256, b.Size, b.Sealed, nanos(b.CreatedAt))
	if isConflict(err) {
		return qguard.Errorf(qguard.ECONFLICT, "blob %s exists", b.ID)
	}
	return err
}

// GetBlob returns a blob with its sealed content, or ENOTFOUND.
func (db *DB) GetBlob(ctx context.Context, id string) (*qguard.Blob, error) {
	var b qguard.Blob
	var created int64
	err := db.queryRow(ctx, `SELECT id, kind, name, owner, classification, sha256, size, sealed, created_at
		FROM blobs WHERE id = ?`, id).
		Scan(&b.ID, &b.Kind, &b.Name, &b.Owner, &b.Classification, &b.SHA256, &b.Size, &b.Sealed, &created)
	if err != nil {
		return nil, notFound(err, "%s not found", id)
	}
	b.CreatedAt = fromNanos(created)
	return &b, nil
}

// ListBlobs returns the blobs of kind without their content, oldest first.
func (db *DB) ListBlobs(ctx context.Context, kind string) ([]*qguard.Blob, error) {
	rows, err := db.query(ctx, `SELECT id, kind, name, owner, classification, sha256, size, created_at
		FROM blobs WHERE kind = ? ORDER BY created_at, id`, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*qguard.Blob
	for rows.Next() {
		var b qguard.Blob
		var created int64
		if err := rows.Scan(&b.ID, &b.Kind, &b.Name, &b.Owner, &b.Classification, &b.SHA256, &b.Size, &created); err != nil {
			return nil, err
		}
		b.CreatedAt = fromNanos(created)
		out = append(out, &b)
	}
	return out, rows.Err()
}

// DeleteBlob removes a blob, or returns ENOTFOUND.
func (db *DB) DeleteBlob(ctx context.Context, id string) error {
	res, err := db.exec(ctx, "DELETE FROM blobs WHERE id = ?", id)
	if err != nil {
		return err
	}
	return affected(res, "%s not found", id)
}
