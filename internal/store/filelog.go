package store

import (
	"context"
	"fmt"

	"github.com/sulh-project/sulh/internal/filelog"
)

// What the database keeps beside a log kept in files (filelog.Side): the
// sealed bodies, and the state snapshot (snapshot.go).

// PutSealedBodies commits the confidential bodies of sealed statements
// whose entries a log kept in files appends (filelog.Side): Sync makes
// them durable. A body already kept for an index is replaced, as a batch
// whose files failed to commit leaves its bodies behind.
func (db *DB) PutSealedBodies(ctx context.Context, bodies []filelog.SealedBody) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("couldn't keep sealed bodies: %w", err)
	}
	defer tx.Rollback()
	for _, b := range bodies {
		if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO sealed_bodies (idx, salt, body) VALUES (?, ?, ?)", b.Index, b.Salt, b.Body); err != nil {
			return fmt.Errorf("couldn't keep the sealed body of entry %d: %w", b.Index, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("couldn't keep sealed bodies: %w", err)
	}
	return nil
}

// DropSealedBodies removes the sealed bodies of the entries from index
// from on, which a log kept in files cut after a crash (filelog.Side).
func (db *DB) DropSealedBodies(ctx context.Context, from int64) error {
	if _, err := db.w.ExecContext(ctx, "DELETE FROM sealed_bodies WHERE idx >= ?", from); err != nil {
		return fmt.Errorf("couldn't remove the sealed bodies past the log's checkpoint: %w", err)
	}
	return nil
}

// DropLog empties the log's tables, once the log has moved into files of
// its own (datadir): what is in them is no longer the log.
func (db *DB) DropLog(ctx context.Context) error {
	for _, t := range []string{"log_checkpoint", "log_entries", "log_hashes"} {
		if _, err := db.w.ExecContext(ctx, "DELETE FROM "+t); err != nil {
			return fmt.Errorf("couldn't empty %s, whose log moved into files: %w", t, err)
		}
	}
	return nil
}
