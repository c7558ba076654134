package ledger

import (
	"context"
	"fmt"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// Rebuild empties the views and refills them by replaying and re-verifying
// every entry of the log in db, in one transaction of views: if anything
// fails, the views stay as they were. Nothing else may write the views
// meanwhile. progress, if not nil, is called with the entries done so far.
// It returns the log size replayed.
func Rebuild(ctx context.Context, db Storage, views ViewStore, progress func(done, total int64)) (int64, error) {
	size, _, err := db.Checkpoint(ctx)
	if err != nil {
		return 0, err
	}
	tx, err := views.BeginViews(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if err := tx.ClearViews(); err != nil {
		return 0, err
	}
	state := &mechanism.State{}
	err = chunks(ctx, db, size, func(first int64, chunk [][]byte) error {
		if err := replay(state, first, chunk, tx.Project); err != nil {
			return err
		}
		if progress != nil {
			progress(first+int64(len(chunk)), size)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("couldn't replay the log: %w", err)
	}
	if err := tx.SetViewsCursor(size); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("couldn't commit the rebuilt views: %w", err)
	}
	return size, nil
}
