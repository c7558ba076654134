-- What each signature of a statement counts toward: its author, a quorum
-- such as "finding", the founders, or a rotated-in key. A view column: a
-- data folder made by an older sulh fills it with sulh rebuild.
ALTER TABLE statements ADD COLUMN signers TEXT NOT NULL DEFAULT '[]';
