-- The Merkle log: every statement, exactly as signed, and every stored hash
-- of the tree (golang.org/x/mod/sumdb/tlog's StoredHashIndex numbering).
CREATE TABLE log_entries (
	idx       INTEGER PRIMARY KEY,
	leaf_hash BLOB NOT NULL UNIQUE,
	data      BLOB NOT NULL,
	logged_at TEXT NOT NULL
) STRICT;

CREATE TABLE log_hashes (
	id   INTEGER PRIMARY KEY,
	hash BLOB NOT NULL
) STRICT;

-- The latest signed checkpoint; one row.
CREATE TABLE log_checkpoint (
	id     INTEGER PRIMARY KEY CHECK (id = 1),
	size   INTEGER NOT NULL,
	signed BLOB NOT NULL
) STRICT;

-- Views of the log. They can be dropped and rebuilt from log_entries.
CREATE TABLE members (
	name     TEXT PRIMARY KEY,
	body     TEXT NOT NULL,
	roles    TEXT NOT NULL,
	label    TEXT NOT NULL,
	key      TEXT NOT NULL,
	active   INTEGER NOT NULL,
	enrolled INTEGER NOT NULL,
	revoked  INTEGER
) STRICT;

CREATE TABLE reports (
	idx     INTEGER PRIMARY KEY,
	author  TEXT NOT NULL,
	body    TEXT NOT NULL,
	at      TEXT NOT NULL,
	summary TEXT NOT NULL
) STRICT;
