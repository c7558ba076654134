// Package store keeps a mechanism's log and its views in one SQL database,
// so that a statement and everything it changes are written in one
// transaction.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite" // the SQLite driver, registered as "sqlite"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

//go:embed migrations
var migrations embed.FS

// ErrNotFound is returned for an entry, hash or value that is not stored.
var ErrNotFound = errors.New("not found")

// DB is a mechanism's database. Writes go through one connection, which
// makes the sequencer the only writer; reads use a pool of their own.
type DB struct {
	w, r *sql.DB
}

// OpenSQLite opens (creating if needed) the SQLite database at file and
// brings its schema up to date.
func OpenSQLite(ctx context.Context, file string) (*DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL: a committed transaction survives power loss, so an
	// acknowledged statement is durable.
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_txlock", "immediate")
	w, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("couldn't open database %s: %w", file, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w, "sqlite"); err != nil {
		w.Close()
		return nil, fmt.Errorf("couldn't prepare database %s: %w", file, err)
	}
	q.Set("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("couldn't open database %s: %w", file, err)
	}
	r.SetMaxOpenConns(8)
	return &DB{w: w, r: r}, nil
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
	return errors.Join(db.r.Close(), db.w.Close())
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

// LeafIndex returns the index of the entry with the given leaf hash.
func (t *Tx) LeafIndex(h tlog.Hash) (int64, error) {
	var idx int64
	err := t.leaf.QueryRowContext(t.ctx, h[:]).Scan(&idx)
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
	tx                                *sql.Tx
	ctx                               context.Context
	entry, hash, leaf, member, report *sql.Stmt
}

// Begin starts a write transaction. Only one can be open at a time.
func (db *DB) Begin(ctx context.Context) (*Tx, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("couldn't begin transaction: %w", err)
	}
	t := &Tx{tx: tx, ctx: ctx}
	for _, p := range []struct {
		s **sql.Stmt
		q string
	}{
		{&t.entry, "INSERT INTO log_entries (idx, leaf_hash, data, logged_at) VALUES (?, ?, ?, ?)"},
		{&t.hash, "INSERT INTO log_hashes (id, hash) VALUES (?, ?)"},
		{&t.leaf, "SELECT idx FROM log_entries WHERE leaf_hash = ?"},
		{&t.member, `INSERT INTO members (name, body, roles, label, key, active, enrolled, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET body = excluded.body, roles = excluded.roles, label = excluded.label,
			key = excluded.key, active = excluded.active, enrolled = excluded.enrolled, revoked = excluded.revoked`},
		{&t.report, "INSERT INTO reports (idx, author, body, at, summary) VALUES (?, ?, ?, ?, ?)"},
	} {
		if *p.s, err = tx.PrepareContext(ctx, p.q); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("couldn't prepare statement: %w", err)
		}
	}
	return t, nil
}

// Commit commits the transaction; once it returns nil, what it wrote is durable.
func (t *Tx) Commit() error { return t.tx.Commit() }

// Rollback abandons the transaction.
func (t *Tx) Rollback() error { return t.tx.Rollback() }

// AppendEntry stores the entry at index idx with its leaf hash.
func (t *Tx) AppendEntry(idx int64, leaf tlog.Hash, data []byte, at time.Time) error {
	if _, err := t.entry.ExecContext(t.ctx, idx, leaf[:], data, at.UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("couldn't store entry %d: %w", idx, err)
	}
	return nil
}

// PutHash stores the tree hash with stored-hash index id.
func (t *Tx) PutHash(id int64, h tlog.Hash) error {
	if _, err := t.hash.ExecContext(t.ctx, id, h[:]); err != nil {
		return fmt.Errorf("couldn't store hash %d: %w", id, err)
	}
	return nil
}

// SetCheckpoint records the latest signed checkpoint.
func (t *Tx) SetCheckpoint(size int64, signed []byte) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO log_checkpoint (id, size, signed) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET size = excluded.size, signed = excluded.signed`, size, signed)
	if err != nil {
		return fmt.Errorf("couldn't store checkpoint: %w", err)
	}
	return nil
}

// Project updates the views for statement st, which s has just applied at
// index idx.
func (t *Tx) Project(s *mechanism.State, st *statement.Statement, idx int64) error {
	var err error
	for _, m := range s.Changed() {
		if err = t.putMember(m); err != nil {
			return fmt.Errorf("couldn't update views for entry %d: %w", idx, err)
		}
	}
	switch st.Kind {
	case mechanism.KindReport:
		var r struct {
			statement.Fields
			Summary string `json:"summary"`
			Text    string `json:"text"`
		}
		if err = st.Decode(&r); err != nil {
			break
		}
		m, _ := s.Member(st.Author)
		_, err = t.report.ExecContext(t.ctx, idx, st.Author, m.Body, st.At, r.Summary)
	}
	if err != nil {
		return fmt.Errorf("couldn't update views for entry %d: %w", idx, err)
	}
	return nil
}

func (t *Tx) putMember(m *mechanism.Member) error {
	active := 0
	if m.Active() {
		active = 1
	}
	var revoked any
	if m.Revoked >= 0 {
		revoked = m.Revoked
	}
	_, err := t.member.ExecContext(t.ctx, m.Name, m.Body, strings.Join(m.Roles, ","), m.Label, m.Key.VKey, active, m.Enrolled, revoked)
	return err
}
