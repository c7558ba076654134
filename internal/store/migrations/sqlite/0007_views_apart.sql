-- The views move to a database of their own (views.db, see
-- migrations/sqlite-views): the log's database keeps the log, sealed bodies
-- and the notices' state. The new views database starts empty, and the
-- server fills it from the log when it starts.

DROP TABLE IF EXISTS members;
DROP TABLE IF EXISTS statements;
DROP TABLE IF EXISTS cases;
DROP TABLE IF EXISTS case_categories;
DROP TABLE IF EXISTS case_bodies;
DROP TABLE IF EXISTS case_statements;
DROP TABLE IF EXISTS claims;
DROP TABLE IF EXISTS findings;
DROP TABLE IF EXISTS penalties;
DROP TABLE IF EXISTS actors;
DROP TABLE IF EXISTS crossings;
DROP TABLE IF EXISTS crossing_events;
DROP TABLE IF EXISTS commitments;
DROP TABLE IF EXISTS actions;
DROP TABLE IF EXISTS deadlines;
DROP TABLE IF EXISTS meetings;
DROP TABLE IF EXISTS publications;
DROP TABLE IF EXISTS evidence;
DROP TABLE IF EXISTS custody;
DROP TABLE IF EXISTS verifications;
DROP TABLE IF EXISTS tokens;
DROP TABLE IF EXISTS sealed;
