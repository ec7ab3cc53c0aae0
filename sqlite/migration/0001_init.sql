-- Times are INTEGER nanoseconds since the Unix epoch (UTC); money is INTEGER
-- micro-dollars, so that budget sums are exact.

CREATE TABLE users (
	id         INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: a deleted user's id is never reused
	name       TEXT    NOT NULL UNIQUE,
	role       TEXT    NOT NULL,
	project    TEXT    NOT NULL DEFAULT '',
	disabled   INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER NOT NULL,
	hash       BLOB    NOT NULL UNIQUE, -- SHA-256 of the key; the key itself is never stored
	hint       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER,
	revoked_at INTEGER,
	last_used  INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE sessions (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	hash       BLOB    NOT NULL UNIQUE, -- SHA-256 of the token
	user_id    INTEGER NOT NULL,
	key_id     INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_key ON sessions (key_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE counter_events (
	key TEXT    NOT NULL,
	at  INTEGER NOT NULL
);
CREATE INDEX counter_events_key_at ON counter_events (key, at);
CREATE INDEX counter_events_at ON counter_events (at);

CREATE TABLE jobs (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order, the tie-breaker for ordering
	id              TEXT    NOT NULL UNIQUE,
	user_id         INTEGER NOT NULL,
	user_name       TEXT    NOT NULL,
	project         TEXT    NOT NULL DEFAULT '',
	device          TEXT    NOT NULL,
	provider        TEXT    NOT NULL,
	provider_job_id TEXT    NOT NULL DEFAULT '',
	status          TEXT    NOT NULL,
	shots           INTEGER NOT NULL,
	qubits          INTEGER NOT NULL,
	classification  TEXT    NOT NULL DEFAULT '',
	obfuscated      INTEGER NOT NULL DEFAULT 0,
	circuit_sha256  TEXT    NOT NULL DEFAULT '',
	estimated_cost  REAL    NOT NULL DEFAULT 0,
	actual_cost     REAL,
	error           TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	finished_at     INTEGER,
	sealed_circuit  BLOB,
	sealed_key      BLOB,
	sealed_result   BLOB,
	lease_owner     TEXT,
	lease_until     INTEGER
);
CREATE INDEX jobs_user_created ON jobs (user_id, created_at);
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE budget_limits (
	scope TEXT    NOT NULL,
	name  TEXT    NOT NULL,
	daily INTEGER NOT NULL, -- micro-dollars; negative means unlimited
	PRIMARY KEY (scope, name)
);

CREATE TABLE reservations (
	job_id     TEXT    PRIMARY KEY,
	user_name  TEXT    NOT NULL,
	project    TEXT    NOT NULL DEFAULT '',
	day        TEXT    NOT NULL,
	amount     INTEGER NOT NULL, -- micro-dollars
	settled    INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
CREATE INDEX reservations_user_day ON reservations (user_name, day);
CREATE INDEX reservations_project_day ON reservations (project, day);
CREATE INDEX reservations_created ON reservations (created_at);

CREATE TABLE audit_log (
	idx        INTEGER PRIMARY KEY, -- position in the log, from 0
	data       BLOB    NOT NULL,    -- canonical bytes, the Merkle leaf
	time       INTEGER NOT NULL,
	actor      TEXT    NOT NULL,
	action     TEXT    NOT NULL,
	resource   TEXT    NOT NULL,
	decision   TEXT    NOT NULL,
	reason     TEXT    NOT NULL DEFAULT '',
	request_id TEXT    NOT NULL DEFAULT '',
	cost       REAL    NOT NULL DEFAULT 0,
	details    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_time ON audit_log (time);

CREATE TABLE audit_checkpoints (
	size       INTEGER PRIMARY KEY,
	note       BLOB    NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE security_events (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	time      INTEGER NOT NULL,
	type      TEXT    NOT NULL,
	severity  TEXT    NOT NULL,
	source    TEXT    NOT NULL DEFAULT '',
	user_name TEXT    NOT NULL DEFAULT '',
	provider  TEXT    NOT NULL DEFAULT '',
	address   TEXT    NOT NULL DEFAULT '',
	rule      TEXT    NOT NULL DEFAULT '',
	message   TEXT    NOT NULL,
	details   TEXT    NOT NULL DEFAULT '',
	dedup_key TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX security_events_time ON security_events (time);
CREATE INDEX security_events_dedup ON security_events (dedup_key, time);
