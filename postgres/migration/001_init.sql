-- qguard's schema on PostgreSQL. Times are timestamptz (microseconds),
-- except audit_log.time_ns: the audit record's canonical bytes carry the
-- time in nanoseconds and must be reproducible from the columns. Budget
-- money is bigint micro-dollars, so that sums are exact.

CREATE TABLE users (
	id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- a deleted user's id is never reused
	name       text        NOT NULL UNIQUE,
	role       text        NOT NULL,
	project    text        NOT NULL DEFAULT '',
	disabled   boolean     NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
	id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id    bigint      NOT NULL,
	hash       bytea       NOT NULL UNIQUE, -- SHA-256 of the key; the key itself is never stored
	hint       text        NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz,
	revoked_at timestamptz,
	last_used  timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE sessions (
	id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	hash       bytea       NOT NULL UNIQUE, -- SHA-256 of the token
	user_id    bigint      NOT NULL,
	key_id     bigint      NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_key ON sessions (key_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE counter_events (
	key text        NOT NULL,
	at  timestamptz NOT NULL
);
CREATE INDEX counter_events_key_at ON counter_events (key, at);
CREATE INDEX counter_events_at ON counter_events (at);

CREATE TABLE jobs (
	seq             bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- insertion order, the tie-breaker
	id              text             NOT NULL UNIQUE,
	user_id         bigint           NOT NULL,
	user_name       text             NOT NULL,
	project         text             NOT NULL DEFAULT '',
	device          text             NOT NULL,
	provider        text             NOT NULL,
	provider_job_id text             NOT NULL DEFAULT '',
	status          text             NOT NULL,
	shots           integer          NOT NULL,
	qubits          integer          NOT NULL,
	classification  text             NOT NULL DEFAULT '',
	obfuscated      boolean          NOT NULL DEFAULT false,
	circuit_sha256  text             NOT NULL DEFAULT '',
	estimated_cost  double precision NOT NULL DEFAULT 0,
	actual_cost     double precision,
	error           text             NOT NULL DEFAULT '',
	created_at      timestamptz      NOT NULL,
	updated_at      timestamptz      NOT NULL,
	finished_at     timestamptz,
	sealed_circuit  bytea,
	sealed_key      bytea,
	sealed_result   bytea,
	lease_owner     text,
	lease_until     timestamptz
);
CREATE INDEX jobs_user_created ON jobs (user_id, created_at);
CREATE INDEX jobs_created ON jobs (created_at, seq);
-- The poller's scan: unfinished jobs only, oldest first.
CREATE INDEX jobs_unfinished ON jobs (created_at, seq) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE budget_limits (
	scope text   NOT NULL,
	name  text   NOT NULL,
	daily bigint NOT NULL, -- micro-dollars; negative means unlimited
	PRIMARY KEY (scope, name)
);

CREATE TABLE reservations (
	job_id     text        PRIMARY KEY,
	user_name  text        NOT NULL,
	project    text        NOT NULL DEFAULT '',
	day        text        NOT NULL,
	amount     bigint      NOT NULL, -- micro-dollars
	settled    boolean     NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL
);
CREATE INDEX reservations_created ON reservations (created_at);

-- Running totals per scope and day. Reserve locks these rows (in a fixed
-- order) for the length of its transaction: that lock is what makes the
-- check-then-reserve correct across replicas.
CREATE TABLE budget_spend (
	scope    text   NOT NULL,
	name     text   NOT NULL,
	day      text   NOT NULL,
	reserved bigint NOT NULL DEFAULT 0, -- micro-dollars held by unsettled jobs
	settled  bigint NOT NULL DEFAULT 0, -- micro-dollars of settled jobs
	PRIMARY KEY (scope, name, day)
);

-- The audit log's head: one row whose lock serialises appends across
-- replicas; size is the next index.
CREATE TABLE audit_head (
	id   integer PRIMARY KEY CHECK (id = 1),
	size bigint  NOT NULL
);
INSERT INTO audit_head (id, size) VALUES (1, 0);

CREATE TABLE audit_log (
	idx        bigint           PRIMARY KEY, -- position in the log, from 0
	data       bytea            NOT NULL,    -- canonical bytes, the Merkle leaf
	time_ns    bigint           NOT NULL,    -- nanoseconds since the epoch, as in data
	actor      text             NOT NULL,
	action     text             NOT NULL,
	resource   text             NOT NULL,
	decision   text             NOT NULL,
	reason     text             NOT NULL DEFAULT '',
	request_id text             NOT NULL DEFAULT '',
	cost       double precision NOT NULL DEFAULT 0,
	details    jsonb
);
CREATE INDEX audit_log_time ON audit_log (time_ns);

CREATE TABLE audit_checkpoints (
	size       bigint      PRIMARY KEY,
	note       bytea       NOT NULL,
	created_at timestamptz NOT NULL
);

CREATE TABLE security_events (
	id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time      timestamptz NOT NULL,
	type      text        NOT NULL,
	severity  text        NOT NULL,
	source    text        NOT NULL DEFAULT '',
	user_name text        NOT NULL DEFAULT '',
	provider  text        NOT NULL DEFAULT '',
	address   text        NOT NULL DEFAULT '',
	rule      text        NOT NULL DEFAULT '',
	message   text        NOT NULL,
	details   jsonb,
	dedup_key text        NOT NULL DEFAULT ''
);
CREATE INDEX security_events_time ON security_events (time);
CREATE INDEX security_events_dedup ON security_events (dedup_key, time);

-- Datasets and library circuits: metadata in the clear, content sealed by
-- the gateway (qguard.Blob).
CREATE TABLE blobs (
	id             text        PRIMARY KEY,
	kind           text        NOT NULL,
	name           text        NOT NULL,
	owner          text        NOT NULL,
	classification text        NOT NULL,
	sha256         text        NOT NULL,
	size           bigint      NOT NULL,
	sealed         bytea       NOT NULL,
	created_at     timestamptz NOT NULL
);
CREATE INDEX blobs_kind ON blobs (kind, created_at);
