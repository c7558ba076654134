-- The administrative unit (country and provinces) that a case's opening
-- report gives its place, for the periodic reports' counts by region:
-- kept in the views, so that views replayed apart from the log's own
-- database (sulh audit's, a report made as of an earlier log size) read
-- the same regions as the server's. Every view is emptied and the cursor
-- set back to the log's start: the follower writes them all again from
-- the log, with these columns.

ALTER TABLE cases ADD COLUMN admin_country TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN admin1 TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN admin2 TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN admin3 TEXT NOT NULL DEFAULT '';

DELETE FROM members;
DELETE FROM statements;
DELETE FROM cases;
DELETE FROM case_categories;
DELETE FROM case_bodies;
DELETE FROM case_statements;
DELETE FROM case_counts;
DELETE FROM standing_counts;
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
