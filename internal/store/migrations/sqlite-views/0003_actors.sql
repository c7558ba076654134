-- The registry of actors and what they said about cases (rules 3), the
-- actors each case names, and each reply's stances. Views written before
-- these tables have none of the rows older statements give them (the
-- actors of reports, the stances of replies), so every view is emptied and
-- the cursor set back to the log's start: the follower writes them all
-- again from the log.

CREATE TABLE actor_registry (
	id      TEXT PRIMARY KEY,
	type    TEXT NOT NULL,
	names   TEXT NOT NULL, -- a JSON object: language tag -> name
	aliases TEXT NOT NULL, -- a JSON array
	labels  TEXT NOT NULL, -- a JSON object: party -> its label
	note    TEXT NOT NULL,
	body    TEXT NOT NULL, -- the body that added it
	added   INTEGER NOT NULL UNIQUE,
	amended INTEGER
) STRICT;

CREATE TABLE actor_claims (
	idx            INTEGER PRIMARY KEY,
	case_id        INTEGER NOT NULL,
	actor          TEXT NOT NULL,
	position       TEXT NOT NULL,
	speaker        TEXT NOT NULL,
	medium         TEXT NOT NULL,
	via            TEXT NOT NULL,
	url            TEXT NOT NULL,
	said_at        TEXT NOT NULL,
	said_precision TEXT NOT NULL,
	language       TEXT NOT NULL,
	words          TEXT NOT NULL,
	translation    TEXT NOT NULL,
	author         TEXT NOT NULL,
	body           TEXT NOT NULL
) STRICT;

CREATE INDEX actor_claims_case ON actor_claims (case_id, said_at, idx);

CREATE INDEX actor_claims_actor ON actor_claims (actor, position, case_id);

-- The actors a case names: in its reports and replies, and in what they
-- said about it.
CREATE TABLE case_actors (
	actor   TEXT NOT NULL,
	case_id INTEGER NOT NULL,
	PRIMARY KEY (actor, case_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE replies (
	idx       INTEGER PRIMARY KEY,
	case_id   INTEGER NOT NULL,
	body      TEXT NOT NULL,
	positions TEXT NOT NULL, -- a JSON array: every stance the reply takes
	language  TEXT NOT NULL
) STRICT;

CREATE INDEX replies_case ON replies (case_id, idx);

DELETE FROM members;
DELETE FROM statements;
DELETE FROM cases;
DELETE FROM case_categories;
DELETE FROM case_bodies;
DELETE FROM case_statements;
DELETE FROM claims;
DELETE FROM findings;
DELETE FROM penalties;
DELETE FROM actors;
DELETE FROM crossings;
DELETE FROM crossing_events;
DELETE FROM commitments;
DELETE FROM actions;
DELETE FROM deadlines;
DELETE FROM meetings;
DELETE FROM publications;
DELETE FROM evidence;
DELETE FROM custody;
DELETE FROM verifications;
DELETE FROM tokens;
DELETE FROM sealed;
DELETE FROM events;
DELETE FROM event_bodies;
UPDATE views_state SET cursor = 0;
