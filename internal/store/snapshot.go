package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
