-- Links between cases (case.link, case.unlink), and the case that stands
-- for each case linked as a duplicate, so that counts per party count an
-- event once. No statement before rules 3 links cases, so the views
-- written before this migration need nothing more.

ALTER TABLE cases ADD COLUMN duplicate_of INTEGER;

CREATE INDEX cases_duplicate_of ON cases (duplicate_of);

CREATE TABLE links (
	idx      INTEGER PRIMARY KEY, -- the case.link
	case_id  INTEGER NOT NULL,
	other    INTEGER NOT NULL,
	relation TEXT NOT NULL,
	stands   INTEGER,             -- for a duplicate, the case that stands
	body     TEXT NOT NULL,
	author   TEXT NOT NULL,
	text     TEXT NOT NULL,
	unlinked INTEGER,             -- the case.unlink that removed it
	unlink_text TEXT NOT NULL
) STRICT;

CREATE INDEX links_case ON links (case_id);

CREATE INDEX links_other ON links (other);
