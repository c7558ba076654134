package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// rebuildAhead is how many chunks of applied entries the replay may hold
// ready for the writer.
const rebuildAhead = 4

// rebuildGap is how many entries an online rebuild may still lack when it
// stops the follower to switch: those it writes while the follower waits.
const rebuildGap = 4096

// Rebuild writes the views anew by replaying and re-verifying every entry
// of the log in db, into views of their own beside the live ones, then
// switches to them: if anything fails, the live views stay as they were.
// Nothing else may write the log or the views meanwhile (Log.Rebuild is
// the rebuild of a log that is open). progress, if not nil, is called
// with the entries done so far. It returns the log size replayed.
func Rebuild(ctx context.Context, db Storage, views ViewBuilder, progress func(done, total int64)) (int64, error) {
	size, _, err := db.Checkpoint(ctx)
	if err != nil {
		return 0, err
	}
	nv, err := views.NewViews(ctx)
	if err != nil {
		return 0, err
	}
	defer nv.Discard()
	r := &rebuilder{db: db, views: nv, state: &mechanism.State{}}
	if err := r.replayTo(ctx, size, progress); err != nil {
		return 0, err
	}
	if err := nv.Install(context.WithoutCancel(ctx)); err != nil {
		return 0, err
	}
	return size, nil
}

// ErrRebuilding is returned by Log.Rebuild while another rebuild runs.
var ErrRebuilding = errors.New("the views are already being rebuilt")

// Rebuild writes the views anew while the log takes statements: it
// replays and re-verifies every entry into views of their own beside the
// live ones, as Rebuild does, then the entries appended meanwhile, again
// and again until fewer than a few thousand are left. Then it holds the
// follower between two of its transactions, writes what the new views
// still lack, and switches the follower and every read to them (reads in
// progress finish on the old views). Statements are taken throughout; the
// views stop moving only for the switch. If anything fails before the
// switch, the live views stay as they were; if ctx ends, the rebuild
// stops. It returns the entries the new views held when they went live.
func (l *Log) Rebuild(ctx context.Context, progress func(done, total int64)) (int64, error) {
	views, ok := l.follow.db.(ViewBuilder)
	if !ok {
		return 0, errors.New("these views cannot be rebuilt while the log is open")
	}
	if !l.rebuilding.CompareAndSwap(false, true) {
		return 0, ErrRebuilding
	}
	defer l.rebuilding.Store(false)
	size := func() int64 {
		if cp := l.Checkpoint(); cp != nil {
			return cp.N
		}
		return 0
	}
	nv, err := views.NewViews(ctx)
	if err != nil {
		return 0, err
	}
	defer nv.Discard()
	r := &rebuilder{db: l.db, views: nv, state: &mechanism.State{}}
	synced := false
	for {
		if err := r.replayTo(ctx, size(), progress); err != nil {
			return 0, err
		}
		if size()-r.at > rebuildGap {
			continue
		}
		if synced {
			break
		}
		// Make the bulk durable now, so that the switch has little to
		// sync, then write what came in meanwhile.
		if err := nv.Sync(ctx); err != nil {
			return 0, err
		}
		synced = true
	}

	f := l.follow
	f.wmu.Lock()
	defer f.wmu.Unlock()
	at, _ := f.position()
	if err := f.brokenErr(); err != nil {
		return 0, fmt.Errorf("the views stopped following the log (%w): restart the server, which writes what they lack", err)
	}
	if r.at < at {
		if err := r.replayTo(ctx, at, progress); err != nil {
			return 0, err
		}
	}
	if err := nv.Install(context.WithoutCancel(ctx)); err != nil {
		return 0, err
	}
	// The new views may hold entries that the follower has yet to write:
	// it skips them.
	f.moveTo(r.at)
	l.logger.Info("switched to the rebuilt views", "entries", r.at, "the follower was at", at)
	return r.at, nil
}

// rebuilder replays the log into new views.
type rebuilder struct {
	db    Storage
	views NewViews
	state *mechanism.State // the state after the entries [0, at)
	at    int64            // the new views hold the entries [0, at)
}

// replayTo replays the entries [r.at, to) and writes their rows, in one
// transaction that moves the new views' cursor to to. After an error, r
// is not to be used again.
//
// The replay (verifying each chunk's signatures on every core, then
// applying its entries in order) runs ahead of the writes of the views:
// the rows of chunk k are written while chunk k+1 is verified. The rows are
// written in log order, as the follower writes them.
func (r *rebuilder) replayTo(ctx context.Context, to int64, progress func(done, total int64)) error {
	if to <= r.at {
		return nil
	}
	r.state.Grow(int(to - r.at))
	// The writes do not watch ctx, which costs the SQLite driver a
	// goroutine for each; the loop below does, between chunks.
	tx, err := r.views.BeginViews(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	defer tx.Rollback()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	applied := make(chan []projected, rebuildAhead)
	replayed := make(chan error, 1)
	go func() {
		defer close(applied)
		replayed <- chunksFrom(ctx, r.db, r.at, to, func(first int64, chunk [][]byte) error {
			out := make([]projected, 0, len(chunk))
			err := replay(r.state, first, chunk, func(e *mechanism.Effects, st *statement.Statement) error {
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
	done := r.at
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
			progress(done, to)
		}
	}
	if err := <-replayed; err != nil && writeErr == nil {
		return fmt.Errorf("couldn't replay the log: %w", err)
	}
	if writeErr != nil {
		return writeErr
	}
	if err := tx.SetViewsCursor(to); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("couldn't commit the rebuilt views: %w", err)
	}
	r.at = to
	return nil
}

// ReplayTo writes into views, which must be empty, the rows of the log's
// first size entries, replayed and re-verified as Rebuild does, and
// installs them: the views of the log as it was at that size, beside the
// live ones, which it does not touch. It returns the core's state after
// those entries. size must be at most the log's checkpoint's.
func (l *Log) ReplayTo(ctx context.Context, views ViewBuilder, size int64) (*mechanism.State, error) {
	if cp := l.Checkpoint(); size < 0 || cp == nil && size > 0 || cp != nil && size > cp.N {
		return nil, fmt.Errorf("couldn't replay the log to size %d: it does not hold that many entries", size)
	}
	nv, err := views.NewViews(ctx)
	if err != nil {
		return nil, err
	}
	defer nv.Discard()
	r := &rebuilder{db: l.db, views: nv, state: &mechanism.State{}}
	if err := r.replayTo(ctx, size, nil); err != nil {
		return nil, err
	}
	if err := nv.Install(context.WithoutCancel(ctx)); err != nil {
		return nil, err
	}
	return r.state, nil
}
