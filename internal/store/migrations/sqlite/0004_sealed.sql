-- Sealed statements: what the log shows of them (a view), and their
-- confidential bodies (not a view: kept beside the log, never in the state
-- digest, untouched by sulh rebuild).
CREATE TABLE sealed (
	idx         INTEGER PRIMARY KEY,
	author      TEXT NOT NULL,
	body        TEXT NOT NULL,
	sealed_kind TEXT NOT NULL,
	visibility  TEXT NOT NULL,
	digest      TEXT NOT NULL,
	disclosed   INTEGER,
	disclosure  TEXT NOT NULL
) STRICT;

CREATE TABLE sealed_bodies (
	idx  INTEGER PRIMARY KEY,
	salt BLOB NOT NULL,
	body BLOB NOT NULL
) STRICT;
