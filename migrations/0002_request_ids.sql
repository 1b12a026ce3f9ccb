-- A fingerprint of the client's request (its id and what it asks) behind a participant's change, so that a request resent after a lost
-- acknowledgement (a reconnect, a restart) is recognised and applied once.
ALTER TABLE events ADD COLUMN request INTEGER;
