-- Witnesses' refusals of the log's checkpoints (c2sp.org/tlog-witness): a
-- witness that will not cosign a checkpoint because it is not consistent
-- with one it cosigned before. Operational state, as the notices' is: not
-- a view, not in the state digest, untouched by sulh rebuild.
CREATE TABLE witness_refusals (
	id      INTEGER PRIMARY KEY,
	witness TEXT NOT NULL,
	size    INTEGER NOT NULL,
	hash    TEXT NOT NULL,
	known   INTEGER NOT NULL,
	reason  TEXT NOT NULL,
	at      TEXT NOT NULL
) STRICT;
