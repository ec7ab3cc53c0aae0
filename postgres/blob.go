package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/qguard/qguard"
)

// PutBlob stores b; a zero CreatedAt becomes the current time.
func (db *DB) PutBlob(ctx context.Context, b *qguard.Blob) error {
	b.CreatedAt = orNow(b.CreatedAt)
	sealed := b.Sealed
	if sealed == nil {
		sealed = []byte{}
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO blobs (id, kind, name, owner, classification, sha256, size, sealed, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		b.ID, b.Kind, b.Name, b.Owner, b.Classification, b.SHA256, b.Size, sealed, b.CreatedAt)
	if isConflict(err) {
		return qguard.Errorf(qguard.ECONFLICT, "blob %s exists", b.ID)
	}
	return err
}

// GetBlob returns a blob with its sealed content, or ENOTFOUND.
func (db *DB) GetBlob(ctx context.Context, id string) (*qguard.Blob, error) {
	var b qguard.Blob
	err := db.pool.QueryRow(ctx, `SELECT id, kind, name, owner, classification, sha256, size, sealed, created_at
		FROM blobs WHERE id = $1`, id).
		Scan(&b.ID, &b.Kind, &b.Name, &b.Owner, &b.Classification, &b.SHA256, &b.Size, &b.Sealed, &b.CreatedAt)
	if err != nil {
		return nil, notFound(err, "%s not found", id)
	}
	b.CreatedAt = utc(b.CreatedAt)
	return &b, nil
}

// ListBlobs returns the blobs of kind without their content, oldest first.
func (db *DB) ListBlobs(ctx context.Context, kind string) ([]*qguard.Blob, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, kind, name, owner, classification, sha256, size, created_at
		FROM blobs WHERE kind = $1 ORDER BY created_at, id COLLATE "C"`, kind)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*qguard.Blob, error) {
		var b qguard.Blob
		err := r.Scan(&b.ID, &b.Kind, &b.Name, &b.Owner, &b.Classification, &b.SHA256, &b.Size, &b.CreatedAt)
		b.CreatedAt = utc(b.CreatedAt)
		return &b, err
	})
}

// DeleteBlob removes a blob, or returns ENOTFOUND.
func (db *DB) DeleteBlob(ctx context.Context, id string) error {
	tag, err := db.pool.Exec(ctx, "DELETE FROM blobs WHERE id = $1", id)
	return affected(tag, err, "%s not found", id)
}
