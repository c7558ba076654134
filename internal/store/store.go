// Package store keeps a mechanism's log, and the views that follow it, in
// SQL databases: the log's, written only by the sequencer, and the views',
// written only by the follower.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite" // the SQLite driver, registered as "sqlite"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
)

//go:embed migrations
var migrations embed.FS

// ErrNotFound is returned for an entry, hash or value that is not stored.
var ErrNotFound = ledger.ErrNotStored

// DB is the SQLite adapter of the log's storage and of the views.
var (
	_ ledger.Storage   = (*DB)(nil)
	_ ledger.ViewStore = (*DB)(nil)
)

// DB is a mechanism's storage: the log's database and, beside it, the
// views' own. The log's writes go through one connection, which makes the
// sequencer the only writer of the log; the views' writes through another,
// the follower's, so that the two commit side by side. Reads use a pool of
// their own that sees both databases.
type DB struct {
	file       string // the log's database
	w, vw, r   *sql.DB
	logWrites  map[string]*sql.Stmt // prepared on w
	viewWrites map[string]*sql.Stmt // prepared on vw
	// views counts the switches to new views (see NewViews): vw's and
	// r's connections are let go after one.
	views *generations
	// spare holds the queues of transactions that ended, for the next
	// (see queued): a few, for the log's writer, the views' and a
	// rebuild's.
	spare chan *queued

	walMu sync.Mutex
	wal   *os.File // the log's write-ahead log, which Sync flushes

	// log is where the queries read the log's entries: the database's
	// own log tables unless ReadLogFrom names other storage.
	log EntryReader

	// skip names the inserts and writes that the views' transactions
	// leave out; they then write only the commitments' deadlines. Set by
	// WriteAuditTablesOnly, nil otherwise.
	skip map[string]bool
}

// EntryReader reads the log's entries: the log's storage is one.
type EntryReader interface {
	// Entry returns entry i, or ErrNotFound.
	Entry(ctx context.Context, i int64) ([]byte, error)
}

// ReadLogFrom makes the queries read the log's entries from l, when the
// log is not in this database's own tables.
func (db *DB) ReadLogFrom(l EntryReader) { db.log = l }

// ViewsFile is the views' database that OpenSQLite keeps beside the log's
// database file.
func ViewsFile(file string) string { return strings.TrimSuffix(file, ".db") + "-views.db" }

// OpenSQLite opens (creating if needed) the SQLite database of the log at
// file, and that of the views beside it (ViewsFile), and brings their
// schemas up to date. Both, and their -wal and -shm files, are readable
// and writable by their owner only, whatever the umask.
func OpenSQLite(ctx context.Context, file string) (*DB, error) {
	views := ViewsFile(file)
	// A link to views that are gone (deleted by hand): they start again,
	// in a plain file, and the log fills them.
	if _, err := os.Stat(views); errors.Is(err, fs.ErrNotExist) {
		os.Remove(views)
	}
	live, err := liveViews(file)
	if err != nil {
		return nil, err
	}
	for _, f := range []string{file, live} {
		if err := ownerOnly(f); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	// NORMAL: in WAL mode a commit is written to the write-ahead log
	// without waiting for the disk, and Sync flushes it, so that the
	// sequencer commits the next batch while the disk takes the last. A
	// statement is acknowledged only after a Sync: it survives power loss.
	// Checkpoints of the write-ahead log into the database still sync both.
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "cache_size(-16384)")
	// A batch's multi-row inserts keep their statement journals in memory,
	// not in a temporary file each.
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_txlock", "immediate")
	db := &DB{file: file, logWrites: map[string]*sql.Stmt{}, viewWrites: map[string]*sql.Stmt{}, views: newGenerations(live), spare: make(chan *queued, 3)}
	db.log = db
	if db.w, err = openWriter(ctx, file, q, "sqlite"); err != nil {
		return nil, err
	}
	// The views can always be rebuilt from the log, and their cursor is
	// written with their rows: NORMAL may lose the last transactions to a
	// power loss, never make them disagree with their cursor, and the
	// follower writes them again from the log.
	q.Set("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// 64 MiB of page cache, so that a batch's dirty pages of the views'
	// many indexes are not spilled to the WAL before its commit.
	q.Add("_pragma", "cache_size(-65536)")
	q.Add("_pragma", "temp_store(MEMORY)")
	// The write-ahead log is copied into the file once it holds 64 MiB
	// rather than SQLite's 4 MiB: a page that many transactions change
	// (an index's last leaf, a count) is then copied back once, not at
	// each of sixteen checkpoints.
	q.Add("_pragma", "wal_autocheckpoint(16384)")
	if db.vw, err = openWriterOf(ctx, connector{q: q, gens: db.views}, "sqlite-views"); err != nil {
		db.w.Close()
		return nil, err
	}
	rq := url.Values{}
	rq.Add("_pragma", "busy_timeout(10000)")
	rq.Add("_pragma", "query_only(1)")
	db.r = sql.OpenDB(connector{file: file, q: rq, gens: db.views})
	db.r.SetMaxOpenConns(8)
	for name, q := range writes {
		target, w := db.viewWrites, db.vw
		if logWrite[name] {
			target, w = db.logWrites, db.w
		}
		if target[name], err = w.PrepareContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("couldn't prepare %s: %w", name, err)
		}
	}
	return db, nil
}

// openWriter opens the single writing connection of a database file and
// applies the dialect's migrations it lacks.
func openWriter(ctx context.Context, file string, q url.Values, dialect string) (*sql.DB, error) {
	return openWriterOf(ctx, connector{q: q, gens: newGenerations(file)}, dialect)
}

// openWriterOf is openWriter with the connections c makes.
func openWriterOf(ctx context.Context, c connector, dialect string) (*sql.DB, error) {
	w := sql.OpenDB(c)
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w, dialect); err != nil {
		w.Close()
		return nil, fmt.Errorf("couldn't prepare database %s: %w", c.gens.file, err)
	}
	return w, nil
}

// ownerOnly creates file with mode 0600 if it does not exist, and takes
// any group and other permissions away from it, and from its -wal and -shm
// if they exist. SQLite creates a database 0644 less the umask, and gives a
// new -wal or -shm its database's permissions: a database made here first
// keeps all three private.
func ownerOnly(file string) error {
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("couldn't create database %s: %w", file, err)
	}
	for _, name := range []string{file, file + "-wal", file + "-shm"} {
		fi, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("couldn't check the permissions of %s: %w", name, err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(name, perm&^0o077); err != nil {
				return fmt.Errorf("couldn't make %s readable by its owner only: %w", name, err)
			}
		}
	}
	return nil
}

// migrate applies the dialect's migrations that the database lacks.
func migrate(ctx context.Context, db *sql.DB, dialect string) error {
	dir := path.Join("migrations", dialect)
	files, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name() < files[j].Name() })
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > len(files) {
		// A later release's schema, which this one would write wrongly
		// (a view it no longer keeps by a trigger, say).
		err := fmt.Errorf("a later release of sulh made it (schema %d; this release knows up to %d): run that release", version, len(files))
		if dialect == "sqlite-views" {
			err = fmt.Errorf("%w, or remove this file of views, which the server writes again from the log", err)
		}
		return err
	}
	for i, f := range files {
		if i < version {
			continue
		}
		b, err := migrations.ReadFile(path.Join(dir, f.Name()))
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(b)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", f.Name(), err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	for _, s := range db.viewWrites {
		if s != nil {
			s.Close()
		}
	}
	for _, s := range db.logWrites {
		if s != nil {
			s.Close()
		}
	}
	err := errors.Join(db.r.Close(), db.vw.Close(), db.w.Close())
	db.walMu.Lock()
	defer db.walMu.Unlock()
	if db.wal != nil {
		err = errors.Join(err, db.wal.Close())
		db.wal = nil
	}
	return err
}

// Sync makes every committed transaction of the log's database durable: it
// flushes the write-ahead log to the disk, the first time with its folder,
// and the database file itself when there is no write-ahead log.
func (db *DB) Sync(ctx context.Context) error {
	db.walMu.Lock()
	defer db.walMu.Unlock()
	name := db.file + "-wal"
	fi, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return syncFile(db.file)
	}
	if err != nil {
		return fmt.Errorf("couldn't sync the log: %w", err)
	}
	if db.wal != nil {
		if held, err := db.wal.Stat(); err != nil || !os.SameFile(held, fi) {
			db.wal.Close()
			db.wal = nil
		}
	}
	if db.wal == nil {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("couldn't sync the log: %w", err)
		}
		// The folder holds the write-ahead log's name: sync it once, so
		// that the file is found after a power loss.
		if err := syncFile(filepath.Dir(name)); err != nil {
			f.Close()
			return err
		}
		db.wal = f
	}
	if err := db.wal.Sync(); err != nil {
		return fmt.Errorf("couldn't sync the log: %w", err)
	}
	return nil
}

// Checkpoint returns the size and text of the latest signed checkpoint, or
// size 0 and nil for an empty log.
func (db *DB) Checkpoint(ctx context.Context) (int64, []byte, error) {
	var size int64
	var signed []byte
	err := db.w.QueryRowContext(ctx, "SELECT size, signed FROM log_checkpoint WHERE id = 1").Scan(&size, &signed)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("couldn't read checkpoint: %w", err)
	}
	return size, signed, nil
}

// Entry returns the entry at index i.
func (db *DB) Entry(ctx context.Context, i int64) ([]byte, error) {
	var data []byte
	err := db.r.QueryRowContext(ctx, "SELECT data FROM log_entries WHERE idx = ?", i).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't read entry %d: %w", i, err)
	}
	return data, nil
}

// Entries calls fn for each entry with index in [from, to), in order.
func (db *DB) Entries(ctx context.Context, from, to int64, fn func(idx int64, data []byte) error) error {
	rows, err := db.r.QueryContext(ctx, "SELECT idx, data FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx", from, to)
	if err != nil {
		return fmt.Errorf("couldn't read entries: %w", err)
	}
	defer rows.Close()
	next := from
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return fmt.Errorf("couldn't read entries: %w", err)
		}
		if idx != next {
			return fmt.Errorf("entry %d is missing from the database", next)
		}
		next++
		if err := fn(idx, data); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("couldn't read entries: %w", err)
	}
	if next != to {
		return fmt.Errorf("entry %d is missing from the database", next)
	}
	return nil
}

// LeafIndex returns the index of the entry with the given leaf hash, among
// those committed and those appended in this transaction.
func (t *Tx) LeafIndex(h tlog.Hash) (int64, error) {
	if idx, ok := t.leaves[h]; ok {
		return idx, nil
	}
	var idx int64
	s, ok := t.stmts["leaf"]
	if !ok {
		s = t.tx.StmtContext(t.ctx, t.writes["leaf"])
		t.stmts["leaf"] = s
	}
	err := s.QueryRowContext(t.ctx, h[:]).Scan(&idx)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return idx, err
}

// ReadHashes returns the stored hashes with the given indexes, in order.
// It implements tlog.HashReader's method with a context.
func (db *DB) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	const chunk = 500
	for start := 0; start < len(indexes); start += chunk {
		part := indexes[start:min(start+chunk, len(indexes))]
		args := make([]any, len(part))
		for i, x := range part {
			args[i] = x
		}
		q := "SELECT id, hash FROM log_hashes WHERE id IN (?" + strings.Repeat(",?", len(part)-1) + ")"
		rows, err := db.r.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("couldn't read hashes: %w", err)
		}
		found := make(map[int64]tlog.Hash, len(part))
		for rows.Next() {
			var id int64
			var h []byte
			if err := rows.Scan(&id, &h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("couldn't read hashes: %w", err)
			}
			if len(h) != tlog.HashSize {
				rows.Close()
				return nil, fmt.Errorf("stored hash %d has %d bytes", id, len(h))
			}
			found[id] = tlog.Hash(h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("couldn't read hashes: %w", err)
		}
		for i, x := range part {
			h, ok := found[x]
			if !ok {
				return nil, fmt.Errorf("stored hash %d: %w", x, ErrNotFound)
			}
			out[start+i] = h
		}
	}
	return out, nil
}

// HashRange calls fn for each stored hash with id in [from, to), in order,
// and fails if one is missing.
func (db *DB) HashRange(ctx context.Context, from, to int64, fn func(id int64, h tlog.Hash) error) error {
	rows, err := db.r.QueryContext(ctx, "SELECT id, hash FROM log_hashes WHERE id >= ? AND id < ? ORDER BY id", from, to)
	if err != nil {
		return fmt.Errorf("couldn't read hashes: %w", err)
	}
	defer rows.Close()
	next := from
	for rows.Next() {
		var id int64
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			return fmt.Errorf("couldn't read hashes: %w", err)
		}
		if id != next || len(h) != tlog.HashSize {
			return fmt.Errorf("stored hash %d is missing or malformed", next)
		}
		next++
		if err := fn(id, tlog.Hash(h)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("couldn't read hashes: %w", err)
	}
	if next != to {
		return fmt.Errorf("stored hash %d is missing", next)
	}
	return nil
}

// HashReader returns a tlog.HashReader over the stored hashes.
func (db *DB) HashReader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		return db.ReadHashes(ctx, indexes)
	})
}

// Tx is a write transaction.
type Tx struct {
	db     *DB
	tx     *sql.Tx
	ctx    context.Context
	writes map[string]*sql.Stmt // prepared on the connection of tx
	stmts  map[string]*sql.Stmt
	skip   map[string]bool // db's (WriteAuditTablesOnly)

	*queued // nil once Commit or Rollback has handed it back
}

// queued is what Project and AppendEntry queue for flush. A Tx that ends
// hands it back, emptied, to the next one (DB.spare): the follower's
// batches then fill slices and maps already grown, rather than growing
// new ones for each transaction.
type queued struct {
	rows     map[string][]any
	newCases []pendingCase
	// The final state of what changed, in the order it first changed;
	// the maps index the slices.
	cases         map[int64]int
	caseOrder     []mechanism.CaseState
	deadlines     map[deadlineKey]int
	deadlineOrder []mechanism.Deadline
	members       map[string]int
	memberOrder   []mechanism.Member
	updates       []update
	leaves        map[tlog.Hash]int64
}

func newQueued() *queued {
	return &queued{rows: map[string][]any{}, cases: map[int64]int{}, deadlines: map[deadlineKey]int{},
		members: map[string]int{}, leaves: map[tlog.Hash]int64{}}
}

// release hands t's queue, emptied, back to its database.
func (t *Tx) release() {
	if t.queued == nil {
		return
	}
	t.reset()
	select {
	case t.db.spare <- t.queued:
	default:
	}
	t.queued = nil
}

// BeginLog starts a transaction of the log: its entries, hashes, checkpoint
// and sealed bodies. Only one can be open at a time.
func (db *DB) BeginLog(ctx context.Context) (ledger.LogTx, error) {
	return db.begin(ctx, db.w, db.logWrites)
}

// BeginViews starts a transaction of the views: rows that Project writes,
// and their cursor. Only one can be open at a time; it may be open beside
// one of the log.
func (db *DB) BeginViews(ctx context.Context) (ledger.ViewTx, error) {
	return db.begin(ctx, db.vw, db.viewWrites)
}

func (db *DB) begin(ctx context.Context, w *sql.DB, writes map[string]*sql.Stmt) (*Tx, error) {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("couldn't begin transaction: %w", err)
	}
	var q *queued
	select {
	case q = <-db.spare:
	default:
		q = newQueued()
	}
	return &Tx{db: db, tx: tx, ctx: ctx, writes: writes, stmts: map[string]*sql.Stmt{}, skip: db.skip, queued: q}, nil
}

// Commit commits the transaction. What a log transaction wrote is durable
// once a Sync after it has returned; the views' cursor is written with
// their rows, and the follower writes again whatever a power loss took.
func (t *Tx) Commit() error {
	defer t.release()
	if err := t.flush(); err != nil {
		t.tx.Rollback()
		return err
	}
	return t.tx.Commit()
}

// Rollback abandons the transaction.
func (t *Tx) Rollback() error {
	t.release()
	return t.tx.Rollback()
}

// AppendEntry stores the entry at index idx with its leaf hash, at Commit.
// The same leaf twice is refused: here within the transaction, by the
// database at Commit otherwise.
func (t *Tx) AppendEntry(idx int64, leaf tlog.Hash, data []byte, at time.Time) error {
	if prev, ok := t.leaves[leaf]; ok {
		return fmt.Errorf("couldn't store entry %d: it is entry %d again", idx, prev)
	}
	t.leaves[leaf] = idx
	t.add("entry", idx, leaf[:], data, at.UTC().Format(time.RFC3339Nano))
	return nil
}

// PutHash stores the tree hash with stored-hash index id.
func (t *Tx) PutHash(id int64, h tlog.Hash) error {
	t.add("hash", id, h[:])
	return nil
}

// SetViewsCursor records that the views hold what the entries [0, n)
// make, in the transaction that writes their rows.
func (t *Tx) SetViewsCursor(n int64) error {
	if err := t.flush(); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, "UPDATE views_state SET cursor = ? WHERE id = 1", n); err != nil {
		return fmt.Errorf("couldn't move the views' cursor: %w", err)
	}
	return nil
}

// ViewsCursor returns n such that the views hold what the entries [0, n)
// make.
func (db *DB) ViewsCursor(ctx context.Context) (int64, error) {
	var n int64
	if err := db.vw.QueryRowContext(ctx, "SELECT cursor FROM views_state WHERE id = 1").Scan(&n); err != nil {
		return 0, fmt.Errorf("couldn't read the views' cursor: %w", err)
	}
	return n, nil
}

// SetCheckpoint records the latest signed checkpoint.
func (t *Tx) SetCheckpoint(size int64, signed []byte) error {
	if err := t.exec("checkpoint", size, signed); err != nil {
		return fmt.Errorf("couldn't store checkpoint: %w", err)
	}
	return nil
}
