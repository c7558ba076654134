-- The dashboard's counts of the cases a transaction opens are added by the
-- follower itself, one row for each hour, reporter, category and standing
-- of all the cases it opens, rather than by a trigger for each case (Tx's
-- countNewCases). The triggers on the update and the deletion of a case
-- stay. The counts stand as they are: what the trigger kept is what the
-- follower keeps.

DROP TRIGGER case_counts_insert;
