-- Outbound notices: what has been sent to webhook subscribers and what
-- is still to be sent. Operational state, not a view: not in the state
-- digest, untouched by sulh rebuild.
CREATE TABLE notify_state (
	id     INTEGER PRIMARY KEY CHECK (id = 1),
	cursor INTEGER NOT NULL
) STRICT;

CREATE TABLE deliveries (
	id           INTEGER PRIMARY KEY,
	url          TEXT NOT NULL,
	kind         TEXT NOT NULL,
	idx          INTEGER NOT NULL,
	payload      BLOB NOT NULL,
	attempts     INTEGER NOT NULL,
	next_at      TEXT NOT NULL,
	status       TEXT NOT NULL,
	last_error   TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	delivered_at TEXT NOT NULL
) STRICT;
CREATE INDEX deliveries_due ON deliveries (status, next_at);

-- Deadlines whose nearing has been notified, so it is notified once.
CREATE TABLE notified_due (
	opened INTEGER NOT NULL,
	name   TEXT NOT NULL,
	PRIMARY KEY (opened, name)
) STRICT, WITHOUT ROWID;
