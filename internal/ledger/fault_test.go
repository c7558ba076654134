package ledger_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/filelog"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// faulty is log storage whose commits and reads fail when told to: a full
// disk, a lost volume.
type faulty struct {
	ledger.Storage
	failCommit, failRead, failSync atomic.Bool
	commits                        atomic.Int64
	// gate, if not nil, holds every Sync until it is closed.
	gate atomic.Pointer[chan struct{}]
}

var errDisk = errors.New("no space left on device")

func (f *faulty) BeginLog(ctx context.Context) (ledger.LogTx, error) {
	tx, err := f.Storage.BeginLog(ctx)
	if err != nil {
		return nil, err
	}
	return &faultyTx{LogTx: tx, f: f}, nil
}

func (f *faulty) Checkpoint(ctx context.Context) (int64, []byte, error) {
	if f.failRead.Load() {
		return 0, nil, errDisk
	}
	return f.Storage.Checkpoint(ctx)
}

func (f *faulty) Entries(ctx context.Context, from, to int64, fn func(int64, []byte) error) error {
	if f.failRead.Load() {
		return errDisk
	}
	return f.Storage.Entries(ctx, from, to, fn)
}

func (f *faulty) Sync(ctx context.Context) error {
	if g := f.gate.Load(); g != nil {
		<-*g
	}
	if f.failSync.Load() {
		return errDisk
	}
	return f.Storage.Sync(ctx)
}

type faultyTx struct {
	ledger.LogTx
	f *faulty
}

func (t *faultyTx) Commit() error {
	if t.f.failCommit.Load() {
		t.LogTx.Rollback()
		return errDisk
	}
	t.f.commits.Add(1)
	return t.LogTx.Commit()
}

// seeded makes a new demo mechanism with its members enrolled and closes
// it, and returns its log's files and its SQLite database of views (both
// closed with the test), its log key and the function that signs its i-th
// report.
func seeded(t testing.TB) (log *filelog.Log, db *store.DB, key string, sign func(i int) []byte) {
	t.Helper()
	ctx := context.Background()
	m, dir := newMechanism(t)
	if err := m.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	sign = func(i int) []byte { return report(t, m, "pakistan-liaison-1", i) }
	m.Log.Close()
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, datadir.DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if log, err = filelog.Open(ctx, filepath.Join(dir, datadir.LogFolder), db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	db.ReadLogFrom(log)
	b, err := os.ReadFile(filepath.Join(dir, datadir.LogKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return log, db, strings.TrimSpace(string(b)), sign
}

// openFaulty opens the log of a new demo mechanism on faulty storage.
func openFaulty(t *testing.T) (*ledger.Log, *faulty, func() *ledger.Log, func(i int) []byte) {
	t.Helper()
	ctx := context.Background()
	log, db, key, sign := seeded(t)
	f := &faulty{Storage: log}
	open := func() *ledger.Log {
		l, err := ledger.Open(ctx, f, db, key, ledger.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		return l
	}
	return open(), f, open, sign
}

// TestFailedCommitReloads checks that a batch whose commit fails is
// refused as a whole, that the state goes back to what the storage holds,
// and that the same statements are taken, at the same indexes, once the
// storage works again.
func TestFailedCommitReloads(t *testing.T) {
	ctx := context.Background()
	l, f, _, sign := openFaulty(t)
	size := l.Checkpoint().N
	f.failCommit.Store(true)
	if _, err := l.Submit(ctx, sign(1)); code(err) != statement.CodeInternal {
		t.Fatalf("a statement whose commit failed: %v, want an internal error", err)
	}
	if l.Checkpoint().N != size {
		t.Fatalf("the checkpoint moved to %d on a failed commit", l.Checkpoint().N)
	}
	f.failCommit.Store(false)
	r, err := l.Submit(ctx, sign(1))
	if err != nil {
		t.Fatalf("the same statement once the disk works: %v", err)
	}
	if r.Index != size {
		t.Errorf("it got index %d; the failed commit should have left %d free", r.Index, size)
	}
	// The state is what the storage holds: the statement is in it once.
	if _, err := l.Submit(ctx, sign(1)); code(err) != statement.CodeDuplicate {
		t.Errorf("the statement again: %v, want a duplicate", err)
	}
	if err := l.WaitViews(ctx, l.Checkpoint().N); err != nil {
		t.Fatal(err)
	}
}

// TestFailedCommitAndReload checks that when a commit fails and reading the
// log back fails too, the log refuses every statement, even once the disk
// works again, until it is opened anew, which then finds the log as it
// was before the failure.
func TestFailedCommitAndReload(t *testing.T) {
	ctx := context.Background()
	l, f, open, sign := openFaulty(t)
	size := l.Checkpoint().N
	f.failCommit.Store(true)
	f.failRead.Store(true)
	if _, err := l.Submit(ctx, sign(1)); code(err) != statement.CodeInternal {
		t.Fatalf("a statement whose commit failed: %v, want an internal error", err)
	}
	f.failCommit.Store(false)
	f.failRead.Store(false)
	before := f.commits.Load()
	for i := range 3 {
		if _, err := l.Submit(ctx, sign(2+i)); code(err) != statement.CodeInternal {
			t.Fatalf("a statement after a failed reload: %v, want an internal error until restart", err)
		}
	}
	if f.commits.Load() != before {
		t.Errorf("the broken log committed %d batches", f.commits.Load()-before)
	}
	l.Close()
	l = open()
	if l.Checkpoint().N != size {
		t.Fatalf("after restart the log has %d entries, want %d", l.Checkpoint().N, size)
	}
	r, err := l.Submit(ctx, sign(1))
	if err != nil || r.Index != size {
		t.Fatalf("after restart: %v at %d, want index %d", err, r.Index, size)
	}
}

// TestFailedSync checks that when the disk does not confirm a committed
// batch, its statements are refused and so is every statement after it,
// even once the disk works again, until the log is opened anew; and that
// the checkpoint never covers what the disk did not confirm. Submitting
// the refused statement again after the restart appends it or answers it
// as a duplicate, with its index.
func TestFailedSync(t *testing.T) {
	ctx := context.Background()
	l, f, open, sign := openFaulty(t)
	size := l.Checkpoint().N
	r, err := l.Submit(ctx, sign(1))
	if err != nil || r.Index != size {
		t.Fatalf("a statement before the failure: %v at %d, want index %d", err, r.Index, size)
	}
	f.failSync.Store(true)
	_, err = l.Submit(ctx, sign(2))
	if code(err) != statement.CodeInternal || !strings.Contains(err.Error(), "may or may not be in the log") {
		t.Fatalf("a statement whose sync failed: %v, want an internal error saying it may be in the log", err)
	}
	if l.Checkpoint().N != size+1 {
		t.Fatalf("the checkpoint is at %d; the disk confirmed %d entries", l.Checkpoint().N, size+1)
	}
	f.failSync.Store(false)
	for i := range 3 {
		if _, err := l.Submit(ctx, sign(3+i)); code(err) != statement.CodeInternal {
			t.Fatalf("a statement after a failed sync: %v, want an internal error until restart", err)
		}
	}
	if l.Checkpoint().N != size+1 {
		t.Fatalf("the checkpoint moved to %d after a failed sync", l.Checkpoint().N)
	}
	l.Close()
	l = open()
	if _, err := l.Submit(ctx, sign(1)); code(err) != statement.CodeDuplicate {
		t.Errorf("the statement acknowledged before the failure, again: %v, want a duplicate", err)
	}
	r, err = l.Submit(ctx, sign(2))
	switch {
	case err == nil && r.Index == size+1:
	case code(err) == statement.CodeDuplicate:
	default:
		t.Errorf("the unconfirmed statement, again after restart: %v at %d, want it appended at %d or a duplicate", err, r.Index, size+1)
	}
}

// TestCommitsWaitForTheDisk checks that the sequencer commits at most one
// batch beyond the one the disk is taking, and that what arrives while the
// disk is slow makes one batch, not one each.
func TestCommitsWaitForTheDisk(t *testing.T) {
	ctx := context.Background()
	l, f, _, sign := openFaulty(t)
	size := l.Checkpoint().N
	gate := make(chan struct{})
	var open sync.Once
	release := func() {
		open.Do(func() {
			f.gate.Store(nil)
			close(gate)
		})
	}
	f.gate.Store(&gate)
	t.Cleanup(release) // before the log closes, which waits for the disk
	before := f.commits.Load()
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if _, err := l.Submit(ctx, sign(i)); err != nil {
				errs <- err
			}
		})
	}
	// The first batch waits on the disk, the second is committed behind
	// it; the rest must wait for them.
	for deadline := time.Now().Add(10 * time.Second); f.commits.Load()-before < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d batches committed while the disk held the first; want 2", f.commits.Load()-before)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if c := f.commits.Load() - before; c != 2 {
		t.Fatalf("%d batches committed while the disk held the first; want 2", c)
	}
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Whatever the first two took, the rest arrived while they waited.
	if c := f.commits.Load() - before; c > 3 {
		t.Errorf("%d statements took %d batches; the ones that waited for the disk should make one", n, c)
	}
	if got := l.Checkpoint().N; got != size+n {
		t.Errorf("the log holds %d entries, want %d", got, size+n)
	}
}
