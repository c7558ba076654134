-- The events the core tells as it applies each statement
-- (mechanism.Event): what the notices and the inbox say. Views written
-- before this table have none of them, so every view is emptied and the
-- cursor set back to the log's start: the next time the log is opened,
-- the follower writes them all again from the log, events included.

CREATE TABLE events (
	idx     INTEGER NOT NULL, -- the statement that told it
	seq     INTEGER NOT NULL, -- its place among that statement's events
	kind    TEXT NOT NULL,
	told    INTEGER NOT NULL, -- the statement it tells of
	case_id INTEGER NOT NULL,
	bodies  TEXT NOT NULL,
	at      TEXT NOT NULL,
	text    TEXT NOT NULL,
	due     TEXT NOT NULL,
	finding INTEGER,
	blamed  TEXT NOT NULL,
	PRIMARY KEY (idx, seq)
) STRICT;

-- The bodies each event concerns, for a body's inbox.
CREATE TABLE event_bodies (
	body TEXT NOT NULL,
	told INTEGER NOT NULL,
	idx  INTEGER NOT NULL,
	seq  INTEGER NOT NULL,
	PRIMARY KEY (body, told, idx, seq)
) STRICT, WITHOUT ROWID;

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
UPDATE views_state SET cursor = 0;
