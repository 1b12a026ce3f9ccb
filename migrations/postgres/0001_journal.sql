-- The journal in PostgreSQL (`--database-url`): the same tables as SQLite's
-- (migrations/0001_journal.sql and 0002_request_ids.sql), the same event JSON, as text so
-- that it reads back byte for byte (jsonb would reorder the keys).
CREATE TABLE sessions (
    code             TEXT PRIMARY KEY NOT NULL,
    series           TEXT NOT NULL,
    title            TEXT NOT NULL,
    host_key_hash    TEXT NOT NULL,
    present_key_hash TEXT NOT NULL,
    created_at       BIGINT NOT NULL, -- ms since the Unix epoch
    closed_at        BIGINT
);

CREATE INDEX sessions_by_series ON sessions (series);
CREATE INDEX sessions_open ON sessions (closed_at) WHERE closed_at IS NULL;

CREATE TABLE events (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session TEXT NOT NULL REFERENCES sessions (code) ON DELETE CASCADE,
    at      BIGINT NOT NULL, -- ms since the Unix epoch
    event   TEXT NOT NULL,   -- JSON, see src/journal/event.rs
    request BIGINT           -- the fingerprint of a participant's request (see 0002_request_ids.sql)
);

CREATE INDEX events_by_session ON events (session, seq);
