package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sulh-project/sulh/internal/filelog"
)

// SnapshotFile is where the SQLite adapter keeps the state snapshot, beside
// the log's database file.
func SnapshotFile(file string) string { return strings.TrimSuffix(file, ".db") + "-state.snap" }

// MaxSnapshot is the largest snapshot LoadSnapshot reads.
const MaxSnapshot = 4 << 30

// LoadSnapshot returns the saved state snapshot, or nil if there is none.
func (db *DB) LoadSnapshot(ctx context.Context) ([]byte, error) {
	f := SnapshotFile(db.file)
	// A snapshot being written when the process died is left behind.
	if stale, err := filepath.Glob(f + ".*"); err == nil {
		for _, s := range stale {
			os.Remove(s)
		}
	}
	fi, err := os.Stat(f)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't read the state snapshot: %w", err)
	}
	if fi.Size() > MaxSnapshot {
		return nil, fmt.Errorf("the state snapshot %s is %d bytes, more than %d", f, fi.Size(), MaxSnapshot)
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the state snapshot: %w", err)
	}
	return b, nil
}

// SaveSnapshot replaces the state snapshot with b: it writes a new file,
// readable by its owner only, syncs it and renames it over the old one.
func (db *DB) SaveSnapshot(ctx context.Context, b []byte) error {
	f := SnapshotFile(db.file)
	tmp, err := os.CreateTemp(filepath.Dir(f), filepath.Base(f)+".*")
	if err != nil {
		return fmt.Errorf("couldn't save the state snapshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f)
	}
	if err != nil {
		return fmt.Errorf("couldn't save the state snapshot: %w", err)
	}
	return nil
}

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
