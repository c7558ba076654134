-- The dashboard's counts, kept as the follower writes the cases: how many
-- cases (category '') and how many cases of each category a body reported
-- in each hour of event time (the first 13 characters of event_at, as
-- statement.FormatTime writes it), by standing; and every case by
-- standing. A case linked as a duplicate of another (duplicate_of) is not
-- counted, as the dashboard counts each event once. Triggers on cases keep
-- them in the transaction that writes the cases: a case whose standing
-- changes, or that a link makes a duplicate or an unlink makes stand
-- again, moves in the counts. An hour's row whose count falls to zero is
-- removed, so that the views rebuilt from the log are the same rows.

CREATE TABLE case_counts (
	hour     TEXT NOT NULL,
	reporter TEXT NOT NULL,
	category TEXT NOT NULL,
	standing TEXT NOT NULL,
	n        INTEGER NOT NULL,
	PRIMARY KEY (hour, reporter, category, standing)
) WITHOUT ROWID;

CREATE TABLE standing_counts (
	standing TEXT NOT NULL PRIMARY KEY,
	n        INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER case_counts_insert AFTER INSERT ON cases WHEN NEW.duplicate_of IS NULL
BEGIN
	INSERT INTO case_counts (hour, reporter, category, standing, n)
		SELECT substr(NEW.event_at, 1, 13), NEW.reporter, k.c, NEW.standing, 1
		FROM (SELECT '' AS c UNION SELECT value FROM json_each(NEW.categories)) k WHERE true
		ON CONFLICT (hour, reporter, category, standing) DO UPDATE SET n = n + 1;
	INSERT INTO standing_counts (standing, n) VALUES (NEW.standing, 1)
		ON CONFLICT (standing) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER case_counts_delete AFTER DELETE ON cases WHEN OLD.duplicate_of IS NULL
BEGIN
	UPDATE case_counts SET n = n - 1 WHERE hour = substr(OLD.event_at, 1, 13) AND reporter = OLD.reporter AND standing = OLD.standing
		AND (category = '' OR category IN (SELECT value FROM json_each(OLD.categories)));
	DELETE FROM case_counts WHERE hour = substr(OLD.event_at, 1, 13) AND reporter = OLD.reporter AND standing = OLD.standing AND n <= 0;
	UPDATE standing_counts SET n = n - 1 WHERE standing = OLD.standing;
	DELETE FROM standing_counts WHERE standing = OLD.standing AND n <= 0;
END;

CREATE TRIGGER case_counts_update AFTER UPDATE OF event_at, reporter, categories, standing, duplicate_of ON cases
	WHEN (OLD.duplicate_of IS NULL OR NEW.duplicate_of IS NULL) AND (OLD.event_at IS NOT NEW.event_at OR OLD.reporter IS NOT NEW.reporter
		OR OLD.categories IS NOT NEW.categories OR OLD.standing IS NOT NEW.standing OR (OLD.duplicate_of IS NULL) <> (NEW.duplicate_of IS NULL))
BEGIN
	UPDATE case_counts SET n = n - 1 WHERE OLD.duplicate_of IS NULL
		AND hour = substr(OLD.event_at, 1, 13) AND reporter = OLD.reporter AND standing = OLD.standing
		AND (category = '' OR category IN (SELECT value FROM json_each(OLD.categories)));
	DELETE FROM case_counts WHERE hour = substr(OLD.event_at, 1, 13) AND reporter = OLD.reporter AND standing = OLD.standing AND n <= 0;
	UPDATE standing_counts SET n = n - 1 WHERE OLD.duplicate_of IS NULL AND standing = OLD.standing;
	DELETE FROM standing_counts WHERE standing = OLD.standing AND n <= 0;
	INSERT INTO case_counts (hour, reporter, category, standing, n)
		SELECT substr(NEW.event_at, 1, 13), NEW.reporter, k.c, NEW.standing, 1
		FROM (SELECT '' AS c UNION SELECT value FROM json_each(NEW.categories)) k WHERE NEW.duplicate_of IS NULL
		ON CONFLICT (hour, reporter, category, standing) DO UPDATE SET n = n + 1;
	INSERT INTO standing_counts (standing, n) SELECT NEW.standing, 1 WHERE NEW.duplicate_of IS NULL
		ON CONFLICT (standing) DO UPDATE SET n = n + 1;
END;

-- The cases already in the views.
INSERT INTO case_counts (hour, reporter, category, standing, n)
	SELECT substr(event_at, 1, 13), reporter, '', standing, COUNT(*) FROM cases WHERE duplicate_of IS NULL
	GROUP BY substr(event_at, 1, 13), reporter, standing;
INSERT INTO case_counts (hour, reporter, category, standing, n)
	SELECT substr(c.event_at, 1, 13), c.reporter, k.value, c.standing, COUNT(*) FROM cases c, json_each(c.categories) k
	WHERE c.duplicate_of IS NULL AND k.value <> '' GROUP BY substr(c.event_at, 1, 13), c.reporter, k.value, c.standing;
INSERT INTO standing_counts (standing, n)
	SELECT standing, COUNT(*) FROM cases WHERE duplicate_of IS NULL GROUP BY standing;
