-- One owner per session: a lease in the database, on the database's clock, with an epoch that
-- grows by one at every take-over. Lease rows are never deleted while their session lives
-- (the epoch must never go back), only expired.
CREATE TABLE leases (
    session    TEXT PRIMARY KEY NOT NULL REFERENCES sessions (code) ON DELETE CASCADE,
    owner      TEXT NOT NULL,        -- the node's id, new for every process
    epoch      BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL  -- now() + the lease's length, renewed every third of it
);

CREATE INDEX leases_by_owner ON leases (owner);

-- Every event carries the epoch of the lease its writer held.
ALTER TABLE events ADD COLUMN epoch BIGINT;

-- Fencing: an insert of events whose epoch is not their session's lease's current one is
-- refused, and with it the whole transaction. The leases are locked (FOR SHARE) until the
-- commit, so a take-over waits for it and then sees every event that got in.
CREATE FUNCTION events_fenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stale RECORD;
BEGIN
    PERFORM 1 FROM leases WHERE session IN (SELECT DISTINCT session FROM written) ORDER BY session FOR SHARE;
    SELECT w.session, w.epoch AS written, l.epoch AS current INTO stale
    FROM written w LEFT JOIN leases l ON l.session = w.session
    WHERE w.epoch IS NULL OR l.epoch IS NULL OR l.epoch <> w.epoch
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'stale lease epoch: session % written at epoch %, its lease is at %',
            stale.session, stale.written, stale.current
            USING ERRCODE = 'CH001';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_fenced AFTER INSERT ON events
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION events_fenced();
