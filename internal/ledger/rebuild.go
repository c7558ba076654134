package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/store"
)

// RebuildResult is what Rebuild did.
type RebuildResult struct {
	Size          int64    // entries replayed
	Before, After [32]byte // the state digest before and after
}

// Rebuild empties the views of the mechanism in dir and refills them by
// replaying and re-verifying every entry of its log, in one transaction:
// if anything fails, the views stay as they were. No server may be using
// dir. progress, if not nil, is called with the entries done so far.
func Rebuild(ctx context.Context, dir string, progress func(done, total int64)) (*RebuildResult, error) {
	if !Exists(dir) {
		return nil, fmt.Errorf("%s holds no mechanism", dir)
	}
	db, unlock, err := openLocked(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	defer db.Close()
	size, before, err := db.Digest(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := db.BeginViews(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.ClearViews(); err != nil {
		return nil, err
	}
	state := &mechanism.State{}
	project := tx.Project
	err = chunks(ctx, db, size, func(first int64, chunk [][]byte) error {
		if err := replay(state, first, chunk, project); err != nil {
			return err
		}
		if progress != nil {
			progress(first+int64(len(chunk)), size)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("couldn't replay the log: %w", err)
	}
	if err := tx.SetViewsCursor(size); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("couldn't commit the rebuilt views: %w", err)
	}
	_, after, err := db.Digest(ctx)
	if err != nil {
		return nil, err
	}
	return &RebuildResult{Size: size, Before: before, After: after}, nil
}

// Digest returns the log size and the state digest of the views of the
// mechanism in dir (see store.DB.Digest). It only reads, so a server may
// be running.
func Digest(ctx context.Context, dir string) (int64, [32]byte, error) {
	if !Exists(dir) {
		return 0, [32]byte{}, fmt.Errorf("%s holds no mechanism", dir)
	}
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, DatabaseFile))
	if err != nil {
		return 0, [32]byte{}, err
	}
	defer db.Close()
	return db.Digest(ctx)
}

// openLocked opens the database of dir, holding the lock that keeps a
// server out.
func openLocked(ctx context.Context, dir string) (*store.DB, func(), error) {
	lock, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("couldn't open lock file: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, nil, errors.New("another sulh process is using " + dir + "; stop it first")
	}
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, DatabaseFile))
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	return db, func() { lock.Close() }, nil
}
