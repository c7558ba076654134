-- The views: tables fed only from the log, by the follower, in a database
-- of their own (views.db) beside the log's (sulh.db), so that the log
-- commits alone and the views follow it. They can always be dropped and
-- rebuilt from the log. This is the schema the log's database held up to
-- its migration 0006, and the views' cursor.

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

CREATE TABLE statements (
	idx     INTEGER PRIMARY KEY,
	kind    TEXT NOT NULL,
	author  TEXT NOT NULL,
	body    TEXT NOT NULL,
	at      TEXT NOT NULL,
	signers TEXT NOT NULL
) STRICT;

CREATE INDEX statements_kind ON statements (kind, idx);

CREATE INDEX statements_author ON statements (author, idx);

CREATE TABLE cases (
	id               INTEGER PRIMARY KEY,
	stage            TEXT NOT NULL,
	stage_idx        INTEGER NOT NULL,
	opened_at        TEXT NOT NULL,
	reporter         TEXT NOT NULL,
	accused          TEXT NOT NULL,
	channel          TEXT NOT NULL,
	event_at         TEXT NOT NULL,
	event_precision  TEXT NOT NULL,
	event_type       TEXT NOT NULL,
	sub_event_type   TEXT NOT NULL,
	categories       TEXT NOT NULL,
	place_id         TEXT NOT NULL,
	place_name       TEXT NOT NULL,
	lat              REAL,
	lon              REAL,
	geo_precision    INTEGER NOT NULL,
	summary          TEXT NOT NULL,
	report_count     INTEGER NOT NULL,
	reply_count      INTEGER NOT NULL,
	finding          INTEGER,
	outcome          TEXT NOT NULL,
	party            TEXT NOT NULL,
	endorsed         INTEGER,
	penalty_count    INTEGER NOT NULL,
	deadlines_missed INTEGER NOT NULL,
	updated          INTEGER NOT NULL
) STRICT;

CREATE INDEX cases_stage ON cases (stage, id);

CREATE INDEX cases_accused ON cases (accused, id);

CREATE INDEX cases_reporter ON cases (reporter, id);

CREATE INDEX cases_type ON cases (event_type, sub_event_type, id);

CREATE INDEX cases_event_at ON cases (event_at, id);

CREATE INDEX cases_lat ON cases (lat, lon);

CREATE TABLE case_categories (
	category TEXT NOT NULL,
	case_id  INTEGER NOT NULL,
	PRIMARY KEY (category, case_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE case_bodies (
	body    TEXT NOT NULL,
	case_id INTEGER NOT NULL,
	PRIMARY KEY (body, case_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE case_statements (
	case_id INTEGER NOT NULL,
	idx     INTEGER NOT NULL,
	PRIMARY KEY (case_id, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE claims (
	idx     INTEGER NOT NULL,
	measure TEXT NOT NULL,
	case_id INTEGER NOT NULL,
	body    TEXT NOT NULL,
	kind    TEXT NOT NULL,
	low     INTEGER NOT NULL,
	best    INTEGER NOT NULL,
	high    INTEGER NOT NULL,
	PRIMARY KEY (idx, measure)
) STRICT;

CREATE INDEX claims_case ON claims (case_id, idx);

CREATE TABLE findings (
	idx             INTEGER PRIMARY KEY,
	case_id         INTEGER NOT NULL,
	outcome         TEXT NOT NULL,
	party           TEXT NOT NULL,
	confidence      TEXT NOT NULL,
	rationale       TEXT NOT NULL,
	clauses         TEXT NOT NULL,
	rulebook_version INTEGER NOT NULL,
	signers         TEXT NOT NULL,
	endorsed        INTEGER
) STRICT;

CREATE INDEX findings_case ON findings (case_id, idx);

CREATE TABLE penalties (
	idx     INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL,
	finding INTEGER NOT NULL,
	penalty TEXT NOT NULL,
	party   TEXT NOT NULL,
	text    TEXT NOT NULL
) STRICT;

CREATE TABLE actors (
	actor    TEXT NOT NULL,
	body     TEXT NOT NULL,
	label    TEXT NOT NULL,
	first    INTEGER NOT NULL,
	last     INTEGER NOT NULL,
	mentions INTEGER NOT NULL,
	UNIQUE (actor, body, label)
) STRICT;

CREATE TABLE crossings (
	crossing TEXT PRIMARY KEY,
	name     TEXT NOT NULL,
	status   TEXT NOT NULL,
	allowed  TEXT NOT NULL,
	since    TEXT NOT NULL,
	idx      INTEGER NOT NULL,
	body     TEXT NOT NULL
) STRICT;

CREATE TABLE crossing_events (
	idx      INTEGER PRIMARY KEY,
	crossing TEXT NOT NULL,
	status   TEXT NOT NULL,
	allowed  TEXT NOT NULL,
	since    TEXT NOT NULL,
	body     TEXT NOT NULL,
	text     TEXT NOT NULL
) STRICT;

CREATE INDEX crossing_events_crossing ON crossing_events (crossing, idx);

CREATE TABLE commitments (
	idx      INTEGER PRIMARY KEY,
	body     TEXT NOT NULL,
	actor    TEXT NOT NULL,
	label    TEXT NOT NULL,
	place    TEXT NOT NULL,
	deadline TEXT NOT NULL,
	text     TEXT NOT NULL
) STRICT;

CREATE TABLE actions (
	idx        INTEGER PRIMARY KEY,
	body       TEXT NOT NULL,
	commitment INTEGER,
	actor      TEXT NOT NULL,
	label      TEXT NOT NULL,
	place      TEXT NOT NULL,
	at         TEXT NOT NULL,
	text       TEXT NOT NULL,
	verifies   INTEGER,
	result     TEXT NOT NULL
) STRICT;

CREATE TABLE deadlines (
	opened  INTEGER NOT NULL,
	name    TEXT NOT NULL,
	subject INTEGER NOT NULL,
	stage   TEXT NOT NULL,
	bodies  TEXT NOT NULL,
	due     TEXT NOT NULL,
	status  TEXT NOT NULL,
	closed  INTEGER,
	PRIMARY KEY (opened, name)
) STRICT;

CREATE INDEX deadlines_subject ON deadlines (subject);

CREATE INDEX deadlines_status ON deadlines (status, due);

CREATE TABLE meetings (
	idx     INTEGER PRIMARY KEY,
	round   INTEGER NOT NULL,
	place   TEXT NOT NULL,
	start   TEXT NOT NULL,
	end     TEXT NOT NULL,
	bodies  TEXT NOT NULL,
	agenda  TEXT NOT NULL,
	outcome TEXT NOT NULL
) STRICT;

CREATE TABLE publications (
	idx    INTEGER PRIMARY KEY,
	title  TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	size   INTEGER NOT NULL,
	period_from TEXT NOT NULL,
	period_to   TEXT NOT NULL,
	url    TEXT NOT NULL
) STRICT;

CREATE TABLE tokens (
	sha256  TEXT PRIMARY KEY,
	member  TEXT NOT NULL,
	label   TEXT NOT NULL,
	issued  INTEGER NOT NULL,
	expires TEXT NOT NULL,
	revoked INTEGER
) STRICT;

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

CREATE TABLE views_state (
	id     INTEGER PRIMARY KEY CHECK (id = 1),
	cursor INTEGER NOT NULL
) STRICT;

-- How far the views follow the log: they hold what the entries [0, cursor)
-- make.
INSERT INTO views_state (id, cursor) VALUES (1, 0);
