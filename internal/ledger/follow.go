package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// The log commits alone; the views follow it. A follower receives the
// effects of every committed entry from the sequencer, in log order, and
// writes their rows in transactions of its own, each of which also moves
// the views' cursor, so that after a crash the views resume exactly where
// they were: Open replays the log, as it always does, and writes the rows
// of the entries past the cursor before it serves.

// projected is a committed entry and what applying it did.
type projected struct {
	e  *mechanism.Effects
	st *statement.Statement
}

// followBatch is the most entries the follower writes in one transaction.
const followBatch = 8192

// followWait is how long the follower gathers entries before it writes
// them, unless a reader is waiting for them: the fewer its transactions,
// the less each entry costs.
const followWait = 100 * time.Millisecond

// follower writes the views behind the log.
type follower struct {
	db     ViewStore
	logger *slog.Logger
	in     chan []projected
	done   chan struct{}
	hurry  chan struct{} // a reader waits for entries not written yet

	// wmu is held through each of the follower's transactions, and by an
	// online rebuild while it switches the views.
	wmu sync.Mutex

	mu       sync.Mutex
	at       int64         // the views hold the entries [0, at)
	advanced chan struct{} // closed, and replaced, when at moves
	broken   error         // a write that failed for good
	stats    FollowStats

	cursor prometheus.Gauge
}

func newFollower(db ViewStore, logger *slog.Logger, at int64, reg prometheus.Registerer) *follower {
	f := &follower{db: db, logger: logger, in: make(chan []projected, 64), done: make(chan struct{}), hurry: make(chan struct{}, 1),
		at: at, advanced: make(chan struct{}),
		cursor: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sulh_views_cursor", Help: "Entries of the log whose rows are in the views."})}
	f.cursor.Set(float64(at))
	if reg != nil {
		reg.MustRegister(f.cursor)
	}
	return f
}

// run writes what the sequencer sends until it closes f.in.
func (f *follower) run() {
	defer close(f.done)
	wait := time.NewTimer(followWait)
	wait.Stop()
	for {
		// Entries that queued while the last transaction was written are
		// written at once; an entry that finds the follower idle waits up
		// to followWait for others to share its transaction, unless a
		// reader waits for it.
		var pending []projected
		ok := true
		select {
		case pending, ok = <-f.in:
		default:
			if pending, ok = <-f.in; ok {
				wait.Reset(followWait)
				pending, ok = f.gather(pending, wait.C)
				wait.Stop()
			}
		}
		if ok {
			pending, ok = f.gather(pending, nil)
		}
		f.writeRetrying(pending)
		if !ok {
			return
		}
	}
}

// gather appends to pending the entries f.in sends, up to followBatch:
// until wait fires or a reader waits, or, with no wait, those already
// queued. It reports false once f.in is closed.
func (f *follower) gather(pending []projected, wait <-chan time.Time) ([]projected, bool) {
	for len(pending) < followBatch {
		var more []projected
		ok := true
		if wait == nil {
			select {
			case more, ok = <-f.in:
			default:
				return pending, true
			}
		} else {
			select {
			case more, ok = <-f.in:
			case <-wait:
				return pending, true
			case <-f.hurry:
				return pending, true
			}
		}
		if !ok {
			return pending, false
		}
		pending = append(pending, more...)
	}
	return pending, true
}

// writeRetrying writes pending, trying again a few times on failure. After
// that the follower stops writing: a gap in the views would be worse than
// views that stop, and the next start catches them up from the log.
func (f *follower) writeRetrying(pending []projected) {
	if f.isBroken() {
		return
	}
	var err error
	for attempt, wait := 1, 100*time.Millisecond; attempt <= 5; attempt, wait = attempt+1, wait*2 {
		if err = f.write(context.Background(), pending); err == nil {
			return
		}
		f.logger.Error("couldn't write the views", "err", err, "entries", len(pending), "attempt", attempt)
		time.Sleep(wait)
	}
	f.logger.Error("the views stop following the log until the server restarts", "err", err)
	f.mu.Lock()
	f.broken = err
	f.mu.Unlock()
}

// write writes the rows of pending, consecutive entries, and moves the
// views' cursor past them, in one transaction. Those the views already
// hold (written by a rebuild that went live ahead of the follower) are
// skipped.
func (f *follower) write(ctx context.Context, pending []projected) error {
	f.wmu.Lock()
	defer f.wmu.Unlock()
	at, _ := f.position()
	if len(pending) > 0 && pending[0].e.Index < at {
		pending = pending[min(at-pending[0].e.Index, int64(len(pending))):]
	}
	if len(pending) == 0 {
		return nil
	}
	start := time.Now()
	tx, err := f.db.BeginViews(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, p := range pending {
		if err := tx.Project(p.e, p.st); err != nil {
			return err
		}
	}
	next := pending[len(pending)-1].e.Index + 1
	if err := tx.SetViewsCursor(next); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("couldn't commit the views: %w", err)
	}
	f.advance(next, len(pending), time.Since(start))
	return nil
}

func (f *follower) advance(at int64, entries int, took time.Duration) {
	f.mu.Lock()
	f.at = at
	f.stats.Entries += int64(entries)
	f.stats.Transactions++
	f.stats.Writing += took
	close(f.advanced)
	f.advanced = make(chan struct{})
	f.mu.Unlock()
	f.cursor.Set(float64(at))
}

// moveTo records that the views hold the entries [0, at): after a switch
// to rebuilt views.
func (f *follower) moveTo(at int64) {
	f.mu.Lock()
	f.at = at
	close(f.advanced)
	f.advanced = make(chan struct{})
	f.mu.Unlock()
	f.cursor.Set(float64(at))
}

func (f *follower) isBroken() bool {
	return f.brokenErr() != nil
}

func (f *follower) brokenErr() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.broken
}

// position returns where the views are, and a channel closed when they
// move.
func (f *follower) position() (int64, chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.at, f.advanced
}

// FollowStats is what the follower has written since the log was opened.
type FollowStats struct {
	Entries      int64         // entries whose rows it wrote
	Transactions int64         // transactions it committed
	Writing      time.Duration // the time those took, from begin to commit
}

// FollowStats returns what the follower has written since the log was
// opened, including what Open wrote to catch the views up. Entries over
// Writing is the rate at which the follower writes when it has work.
func (l *Log) FollowStats() FollowStats {
	l.follow.mu.Lock()
	defer l.follow.mu.Unlock()
	return l.follow.stats
}

// ErrViewsBehind is returned by WaitViews when the views did not reach the
// index asked for in time.
var ErrViewsBehind = errors.New("the views are behind the log")

// ViewsAt returns n such that the views hold what the log's entries
// [0, n) make.
func (l *Log) ViewsAt() int64 {
	at, _ := l.follow.position()
	return at
}

// WaitViews waits until the views hold the entries [0, n), or ctx ends:
// how a writer reads its own writes. It returns ErrViewsBehind if ctx ends
// first.
func (l *Log) WaitViews(ctx context.Context, n int64) error {
	for {
		at, moved := l.follow.position()
		if at >= n {
			return nil
		}
		select {
		case l.follow.hurry <- struct{}{}:
		default:
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return fmt.Errorf("%w: they hold %d entries of %d", ErrViewsBehind, at, n)
		}
	}
}
