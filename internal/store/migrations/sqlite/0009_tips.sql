-- Tips from the public: not statements, and not in the log, until a
-- monitor files one as a report of channel "public". Operational state,
-- like the notices': kept in the log's database, beside it, so that sulh
-- rebuild (which replaces the views) never loses one, and never shown to
-- anyone but the monitors.
CREATE TABLE tips (
	id          INTEGER PRIMARY KEY,
	received_at TEXT NOT NULL,
	text        TEXT NOT NULL,
	place       TEXT NOT NULL,
	event_at    TEXT NOT NULL,
	contact     TEXT NOT NULL,
	language    TEXT NOT NULL,
	files       TEXT NOT NULL -- a JSON list of {sha256, name, media_type, size}
) STRICT;
