-- Datasets and library circuits: metadata in the clear, content sealed by
-- the gateway (qguard.Blob).
CREATE TABLE blobs (
	id             TEXT PRIMARY KEY,
	kind           TEXT NOT NULL,
	name           TEXT NOT NULL,
	owner          TEXT NOT NULL,
	classification TEXT NOT NULL,
	sha256         TEXT NOT NULL,
	size           INTEGER NOT NULL,
	sealed         BLOB NOT NULL,
	created_at     INTEGER NOT NULL
);
CREATE INDEX blobs_kind ON blobs (kind, created_at);
