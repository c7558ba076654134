-- API tokens by the SHA-256 of their secret, bound to a member.
CREATE TABLE tokens (
	sha256  TEXT PRIMARY KEY,
	member  TEXT NOT NULL,
	label   TEXT NOT NULL,
	issued  INTEGER NOT NULL,
	expires TEXT NOT NULL,
	revoked INTEGER
) STRICT;

-- Evidence files by their SHA-256 (the files live in the evidence store),
-- their chain of custody, and analysts' verifications.
CREATE TABLE evidence (
	sha256       TEXT PRIMARY KEY,
	idx          INTEGER NOT NULL,
	case_id      INTEGER,
	size         INTEGER NOT NULL,
	media_type   TEXT NOT NULL,
	name         TEXT NOT NULL,
	collector    TEXT NOT NULL,
	tool         TEXT NOT NULL,
	source_url   TEXT NOT NULL,
	captured_at  TEXT NOT NULL,
	place_name   TEXT NOT NULL,
	lat          REAL,
	lon          REAL,
	body         TEXT NOT NULL,
	verified     TEXT NOT NULL,
	verified_idx INTEGER
) STRICT;
CREATE INDEX evidence_case ON evidence (case_id, idx);
CREATE UNIQUE INDEX evidence_idx ON evidence (idx);

CREATE TABLE custody (
	idx    INTEGER PRIMARY KEY,
	sha256 TEXT NOT NULL,
	event  TEXT NOT NULL,
	from_  TEXT NOT NULL,
	to_    TEXT NOT NULL,
	note   TEXT NOT NULL,
	body   TEXT NOT NULL
) STRICT;
CREATE INDEX custody_sha256 ON custody (sha256, idx);

CREATE TABLE verifications (
	idx       INTEGER PRIMARY KEY,
	sha256    TEXT NOT NULL,
	analyst   TEXT NOT NULL,
	date      TEXT NOT NULL,
	source    TEXT NOT NULL,
	technical TEXT NOT NULL,
	content   TEXT NOT NULL,
	result    TEXT NOT NULL,
	body      TEXT NOT NULL
) STRICT;
CREATE INDEX verifications_sha256 ON verifications (sha256, idx);
