// Package datadir opens a mechanism kept in a local data folder: the log
// and its views in SQLite databases, the log key, and the lock that keeps
// a second process out. It plugs the SQLite adapter into the ledger.
package datadir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sulh-project/sulh/internal/filelog"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// Files in a mechanism's data folder.
const (
	DatabaseFile = "sulh.db"
	LogKeyFile   = "log.key"
	LockFile     = "sulh.lock"
	// LogFolder holds the log's entries, hashes and checkpoint
	// (filelog); the database keeps its sealed bodies.
	LogFolder = "log"
	// ReportsFolder holds the published reports (report.Shelf).
	ReportsFolder = "reports"
)

var _ filelog.Side = (*store.DB)(nil)

// Node is an open mechanism: its log, the files that hold it, and the
// database that holds the views and what is kept beside the log.
type Node struct {
	*ledger.Log
	DB          *store.DB
	files       *filelog.Log
	dir         string
	unlock      func()
	stopControl func() // set by ServeControl
}

// Dir is the data folder.
func (n *Node) Dir() string { return n.dir }

// Close stops the control socket and a rebuild in progress, closes the
// log, then the database, and releases the folder.
func (n *Node) Close() {
	if n.stopControl != nil {
		n.stopControl()
	}
	n.Log.Close()
	n.files.Close()
	n.DB.Close()
	n.unlock()
}

// Exists reports whether dir holds a mechanism.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, DatabaseFile))
	return err == nil
}

// Init creates a mechanism in dir, which must not hold one: a database, a
// new log key named after the rulebook's log origin, and genesis, the signed
// rulebook statement, as entry 0. The folder is made mode 0700, the key and
// the database files 0600. It returns the open mechanism.
func Init(ctx context.Context, dir string, genesis []byte, opts ledger.Options) (*Node, error) {
	if Exists(dir) {
		return nil, fmt.Errorf("%s already holds a mechanism", dir)
	}
	var empty mechanism.State
	st, err := empty.Open(genesis)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the genesis rulebook: %w", err)
	}
	check := empty
	if _, err := check.Apply(st); err != nil {
		return nil, fmt.Errorf("the genesis rulebook is refused: %w", err)
	}
	// The folder holds the log key and sealed bodies: its owner's only,
	// even if it was there before.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("couldn't create data folder: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("couldn't make the data folder readable by its owner only: %w", err)
	}
	keyPath := filepath.Join(dir, LogKeyFile)
	if _, err := statement.GenerateKey(check.Rulebook.LogOrigin, keyPath); err != nil {
		return nil, fmt.Errorf("couldn't create the log key: %w", err)
	}
	n, err := Open(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	if _, err := n.Submit(ctx, genesis); err != nil {
		n.Close()
		return nil, fmt.Errorf("couldn't append the genesis rulebook: %w", err)
	}
	return n, nil
}

// Open opens the mechanism in dir.
func Open(ctx context.Context, dir string, opts ledger.Options) (*Node, error) {
	b, err := os.ReadFile(filepath.Join(dir, LogKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no mechanism (no %s); create one with sulh init or sulh demo", dir, LogKeyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't read the log key: %w", err)
	}
	// One process sequences a log: a second would fight it for every index.
	db, files, unlock, err := openLocked(ctx, dir, opts.Logger)
	if err != nil {
		return nil, err
	}
	l, err := ledger.Open(ctx, files, db, strings.TrimSpace(string(b)), opts)
	if err != nil {
		files.Close()
		db.Close()
		unlock()
		return nil, err
	}
	return &Node{Log: l, DB: db, files: files, dir: dir, unlock: unlock}, nil
}

// RebuildResult is what Rebuild did.
type RebuildResult struct {
	Size          int64    // entries replayed
	Before, After [32]byte // the state digest before and after
}

// Rebuild writes the views of the mechanism in dir anew, by replaying and
// re-verifying every entry of its log into a file of their own, then
// switches to them (see ledger.Rebuild): if anything fails, the views stay
// as they were. It returns ErrBusy if a server is using dir (RebuildOnline
// asks it to rebuild). progress, if not nil, is called with the entries
// done so far.
func Rebuild(ctx context.Context, dir string, progress func(done, total int64)) (*RebuildResult, error) {
	if !Exists(dir) {
		return nil, fmt.Errorf("%s holds no mechanism", dir)
	}
	db, files, unlock, err := openLocked(ctx, dir, nil)
	if err != nil {
		return nil, err
	}
	defer unlock()
	defer db.Close()
	defer files.Close()
	// The digest of the views before is read at the end, beside that of
	// the views after: the replay keeps both cores busy, and a digest
	// only one. Its snapshot is taken first, and the rebuild's switch
	// leaves the old views to it until it is done.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	digestBefore, err := db.BeginDigest(ctx)
	if err != nil {
		return nil, err
	}
	type digest struct {
		d   [32]byte
		err error
	}
	read := make(chan digest, 1)
	readBefore := func() {
		_, d, err := digestBefore()
		read <- digest{d, err}
	}
	size, err := ledger.Rebuild(ctx, files, db, progress)
	if err != nil {
		cancel()
		readBefore() // lets its snapshot go
		return nil, err
	}
	go readBefore()
	_, after, err := db.Digest(ctx)
	if err != nil {
		cancel()
	}
	b := <-read
	if err == nil {
		err = b.err
	}
	if err != nil {
		return nil, err
	}
	before := b.d
	return &RebuildResult{Size: size, Before: before, After: after}, nil
}

// OpenViews opens the database of the mechanism in dir to read, with the
// log's entries as far as its checkpoint on the disk: what a command
// reads while a server may be running. The function it returns closes
// them.
func OpenViews(ctx context.Context, dir string) (*store.DB, func(), error) {
	if !Exists(dir) {
		return nil, nil, fmt.Errorf("%s holds no mechanism", dir)
	}
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, DatabaseFile))
	if err != nil {
		return nil, nil, err
	}
	r, err := filelog.OpenReader(filepath.Join(dir, LogFolder))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A folder that an earlier release kept, not opened since: its
		// log is in the database.
		return db, func() { db.Close() }, nil
	case err != nil:
		db.Close()
		return nil, nil, err
	}
	db.ReadLogFrom(r)
	return db, func() { db.Close(); r.Close() }, nil
}

// Digest returns the log size and the state digest of the views of the
// mechanism in dir (see store.DB.Digest). It only reads, so a server may
// be running: the views follow the log a moment behind, so it waits, up
// to catchUp, for them to hold every entry the log held when it began,
// and says how far behind they are if they do not.
func Digest(ctx context.Context, dir string) (int64, [32]byte, error) {
	db, closeViews, err := OpenViews(ctx, dir)
	if err != nil {
		return 0, [32]byte{}, err
	}
	defer closeViews()
	logSize, err := filelog.Size(filepath.Join(dir, LogFolder))
	if errors.Is(err, fs.ErrNotExist) {
		// A folder that an earlier release kept, not opened since.
		logSize, _, err = db.Checkpoint(ctx)
	}
	if err != nil {
		return 0, [32]byte{}, err
	}
	deadline := time.Now().Add(catchUp)
	for {
		size, d, err := db.Digest(ctx)
		if err != nil || size >= logSize {
			return size, d, err
		}
		if time.Now().After(deadline) {
			return 0, [32]byte{}, fmt.Errorf("the views hold %d of the log's %d entries after %v: start the server to let them catch up, or run sulh rebuild", size, logSize, catchUp)
		}
		select {
		case <-ctx.Done():
			return 0, [32]byte{}, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// catchUp is how long Digest waits for the views to catch up with the log.
const catchUp = 10 * time.Second

// ErrBusy is returned when another process holds the data folder.
var ErrBusy = errors.New("the data folder is in use")

type busyError struct{ dir string }

func (e *busyError) Error() string {
	return "another sulh process is using " + e.dir + "; stop it first"
}

func (e *busyError) Is(target error) bool { return target == ErrBusy }

// openLocked opens the database and the log's files of dir, holding the
// lock that keeps a server out.
func openLocked(ctx context.Context, dir string, logger *slog.Logger) (*store.DB, *filelog.Log, func(), error) {
	lock, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("couldn't open lock file: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, nil, nil, &busyError{dir}
	}
	// Views a crash left half built, or a switch left behind.
	if err := store.RemoveStaleViews(filepath.Join(dir, DatabaseFile)); err != nil {
		lock.Close()
		return nil, nil, nil, err
	}
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, DatabaseFile))
	if err != nil {
		lock.Close()
		return nil, nil, nil, err
	}
	files, err := openLog(ctx, dir, db, logger)
	if err != nil {
		db.Close()
		lock.Close()
		return nil, nil, nil, err
	}
	db.ReadLogFrom(files)
	return db, files, func() { lock.Close() }, nil
}

// openLog opens the log's files in dir. A log that a release before
// 2026-12-02 kept in the database moves into them first, once: the copy is
// renamed into place only when whole and on the disk, and the database's
// log tables are emptied after it.
func openLog(ctx context.Context, dir string, db *store.DB, logger *slog.Logger) (*filelog.Log, error) {
	files := filepath.Join(dir, LogFolder)
	if !filelog.Exists(files) {
		size, _, err := db.Checkpoint(ctx)
		if err != nil {
			return nil, err
		}
		if size > 0 {
			if logger == nil {
				logger = slog.New(slog.DiscardHandler)
			}
			logger.Info("moving the log from the database into its own files, once", "entries", size, "folder", files)
			start := time.Now()
			if err := filelog.Import(ctx, files, db, db, func(done, total int64) {
				logger.Info("moving the log", "done", done, "of", total)
			}); err != nil {
				return nil, err
			}
			if err := db.DropLog(ctx); err != nil {
				return nil, err
			}
			logger.Info("moved the log into its own files", "entries", size, "took", time.Since(start).Round(time.Millisecond).String())
		}
	}
	return filelog.Open(ctx, files, db)
}
