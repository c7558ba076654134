-- How well a meeting's start and end are known (rules 3): empty where the
-- statement does not say, as every meeting filed before says nothing.
ALTER TABLE meetings ADD COLUMN start_precision TEXT NOT NULL DEFAULT '';
ALTER TABLE meetings ADD COLUMN end_precision TEXT NOT NULL DEFAULT '';
