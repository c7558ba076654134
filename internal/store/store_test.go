package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/store"
)

// TestLaterSchema: a database that a later release migrated further than
// this one knows is refused, the log's and the views' alike, and says
// what to do; this release never writes a schema it does not know.
func TestLaterSchema(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"sulh.db", "sulh-views.db"} {
		file := filepath.Join(t.TempDir(), "sulh.db")
		db, err := store.OpenSQLite(ctx, file)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		raw, err := sql.Open("sqlite", "file:"+filepath.Join(filepath.Dir(file), name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec("PRAGMA user_version = 999"); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		_, err = store.OpenSQLite(ctx, file)
		if err == nil || !strings.Contains(err.Error(), "a later release of sulh made it (schema 999") ||
			strings.Contains(err.Error(), "remove this file of views") != (name == "sulh-views.db") {
			t.Fatalf("%s of a later release: %v", name, err)
		}
	}
}

func TestSQLiteLogTables(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "sulh.db")
	db, err := store.OpenSQLite(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if n, signed, err := db.Checkpoint(ctx); err != nil || n != 0 || signed != nil {
		t.Fatalf("empty database: checkpoint %d %q %v", n, signed, err)
	}
	tx, err := db.BeginLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range int64(3) {
		data := []byte{byte('a' + i)}
		if err := tx.AppendEntry(i, tlog.RecordHash(data), data, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := tx.PutHash(i, tlog.RecordHash(data)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.LeafIndex(tlog.RecordHash([]byte("z"))); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LeafIndex of a missing leaf: %v", err)
	}
	if idx, err := tx.LeafIndex(tlog.RecordHash([]byte("b"))); err != nil || idx != 1 {
		t.Fatalf("LeafIndex: %d %v", idx, err)
	}
	// The same leaf twice is refused.
	if err := tx.AppendEntry(3, tlog.RecordHash([]byte("a")), []byte("a"), time.Now()); err == nil {
		t.Fatal("a second entry with the same leaf hash was stored")
	}
	if err := tx.SetCheckpoint(3, []byte("cp")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Reopening runs no migration twice and keeps everything.
	db, err = store.OpenSQLite(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, signed, err := db.Checkpoint(ctx); err != nil || n != 3 || string(signed) != "cp" {
		t.Fatalf("checkpoint %d %q %v", n, signed, err)
	}
	var got []string
	if err := db.Entries(ctx, 0, 3, func(_ int64, d []byte) error { got = append(got, string(d)); return nil }); err != nil || strings.Join(got, "") != "abc" {
		t.Fatalf("entries %v %v", got, err)
	}
	// A gap is an error that names the missing entry or hash.
	if err := db.Entries(ctx, 0, 4, func(int64, []byte) error { return nil }); err == nil || !strings.Contains(err.Error(), "entry 3") {
		t.Fatalf("entries past the end: %v", err)
	}
	if err := db.HashRange(ctx, 0, 4, func(int64, tlog.Hash) error { return nil }); err == nil || !strings.Contains(err.Error(), "hash 3") {
		t.Fatalf("hashes past the end: %v", err)
	}
	hs, err := db.ReadHashes(ctx, []int64{2, 0})
	if err != nil || hs[0] != tlog.RecordHash([]byte("c")) || hs[1] != tlog.RecordHash([]byte("a")) {
		t.Fatalf("ReadHashes: %v", err)
	}
	if _, err := db.ReadHashes(ctx, []int64{7}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ReadHashes of a missing hash: %v", err)
	}
	if _, err := db.Entry(ctx, 9); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing entry: %v", err)
	}
	// A leaf already committed is refused by the database at Commit, and
	// nothing of the transaction is kept.
	tx, err = db.BeginLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.AppendEntry(3, tlog.RecordHash([]byte("d")), []byte("d"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := tx.AppendEntry(4, tlog.RecordHash([]byte("a")), []byte("a"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("Commit of a leaf already committed: %v", err)
	}
	if _, err := db.Entry(ctx, 3); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("entry 3 of the failed transaction: %v", err)
	}
}
