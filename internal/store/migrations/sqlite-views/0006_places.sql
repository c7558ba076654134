-- The places that place statements add to the gazetteer (rules 3), one
-- row each: the web layer searches them with the embedded gazetteer's.
-- No log written before this table holds a place statement, so no view
-- needs writing again.

CREATE TABLE places (
	id            TEXT PRIMARY KEY,
	idx           INTEGER NOT NULL, -- the statement that added it
	name          TEXT NOT NULL,
	names         TEXT NOT NULL,    -- a JSON object: language -> name
	aliases       TEXT NOT NULL,    -- a JSON list
	lat           REAL NOT NULL,
	lon           REAL NOT NULL,
	geo_precision INTEGER NOT NULL,
	type          TEXT NOT NULL,
	admin         TEXT NOT NULL,    -- a JSON list of {country, admin1, admin2}
	source_note   TEXT NOT NULL,
	body          TEXT NOT NULL,
	author        TEXT NOT NULL
) STRICT;

CREATE INDEX places_idx ON places (idx);
