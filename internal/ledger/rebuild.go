package ledger

import (
	"context"
	"fmt"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// rebuildAhead is how many chunks of applied entries the replay may hold
// ready for the writer.
const rebuildAhead = 4

// Rebuild empties the views and refills them by replaying and re-verifying
// every entry of the log in db, in one transaction of views: if anything
// fails, the views stay as they were. Nothing else may write the views
// meanwhile. progress, if not nil, is called with the entries done so far.
// It returns the log size replayed.
//
// The replay (verifying each chunk's signatures on every core, then
// applying its entries in order) runs ahead of the writes of the views:
// the rows of chunk k are written while chunk k+1 is verified. The rows are
// written in log order, as the follower writes them.
func Rebuild(ctx context.Context, db Storage, views ViewStore, progress func(done, total int64)) (int64, error) {
	size, _, err := db.Checkpoint(ctx)
	if err != nil {
		return 0, err
	}
	// The writes do not watch ctx, which costs the SQLite driver a
	// goroutine for each; the loop below does, between chunks.
	tx, err := views.BeginViews(context.WithoutCancel(ctx))
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if err := tx.ClearViews(); err != nil {
		return 0, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	applied := make(chan []projected, rebuildAhead)
	replayed := make(chan error, 1)
	go func() {
		defer close(applied)
		state := &mechanism.State{}
		replayed <- chunks(ctx, db, size, func(first int64, chunk [][]byte) error {
			out := make([]projected, 0, len(chunk))
			err := replay(state, first, chunk, func(e *mechanism.Effects, st *statement.Statement) error {
				out = append(out, projected{e, st})
				return nil
			})
			if err != nil {
				return err
			}
			select {
			case applied <- out:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var done int64
	var writeErr error
	for out := range applied {
		if writeErr == nil {
			writeErr = ctx.Err()
		}
		if writeErr != nil {
			continue // let the replay see the cancellation and stop
		}
		for _, p := range out {
			if writeErr = tx.Project(p.e, p.st); writeErr != nil {
				cancel()
				break
			}
		}
		done += int64(len(out))
		if progress != nil && writeErr == nil {
			progress(done, size)
		}
	}
	if err := <-replayed; err != nil && writeErr == nil {
		return 0, fmt.Errorf("couldn't replay the log: %w", err)
	}
	if writeErr != nil {
		return 0, writeErr
	}
	if err := tx.SetViewsCursor(size); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("couldn't commit the rebuilt views: %w", err)
	}
	return size, nil
}
