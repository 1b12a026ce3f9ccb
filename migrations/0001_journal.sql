-- Every session, and every accepted change to it as an event in commit order.
-- A session's live state is the fold of its events; nothing else is stored.
CREATE TABLE sessions (
    code             TEXT PRIMARY KEY NOT NULL,
    series           TEXT NOT NULL,
    title            TEXT NOT NULL,
    host_key_hash    TEXT NOT NULL,
    present_key_hash TEXT NOT NULL,
    created_at       INTEGER NOT NULL, -- ms since the Unix epoch
    closed_at        INTEGER
);

CREATE INDEX sessions_by_series ON sessions (series);
CREATE INDEX sessions_open ON sessions (closed_at) WHERE closed_at IS NULL;

CREATE TABLE events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL REFERENCES sessions (code) ON DELETE CASCADE,
    at      INTEGER NOT NULL, -- ms since the Unix epoch
    event   TEXT NOT NULL     -- JSON, see src/journal/event.rs
);

CREATE INDEX events_by_session ON events (session, seq);
