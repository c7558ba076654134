-- Where each case stands on the record (mechanism.Rulebook.Standing:
-- pending, verified, cleared or closed), as the core gives it, for the
-- dashboard's figures and the map's colours; the statements by time, for
-- the log's time (the latest statement's); and the categories by case.
-- The core decides each case's standing, so every view is emptied and the
-- cursor set back to the log's start: the follower writes them all again
-- from the log.

ALTER TABLE cases ADD COLUMN standing TEXT NOT NULL DEFAULT '';

CREATE INDEX cases_standing ON cases (standing, event_at);

CREATE INDEX statements_at ON statements (at);

-- A case's categories by case: the dashboard counts each category's
-- cases of a period from the cases of the period.
CREATE INDEX case_categories_case ON case_categories (case_id);

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
DELETE FROM actor_registry;
DELETE FROM actor_claims;
DELETE FROM case_actors;
DELETE FROM replies;
DELETE FROM places;
DELETE FROM links;
UPDATE views_state SET cursor = 0;
