package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// TestProjectionInAnyBatches: the views of a log do not depend on how the
// follower batches its transactions. The demo's log, which links,
// unlinks and links again, closes cases and files every kind, is written
// into fresh views one statement a transaction, seven at a time, and all
// at once; the three digests are one.
func TestProjectionInAnyBatches(t *testing.T) {
	ctx := context.Background()
	entries := demoEntries(t)

	digest := func(batch int) [32]byte {
		t.Helper()
		db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "sulh.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		projectAll(t, db, entries, batch)
		size, d, err := db.Digest(ctx)
		if err != nil || size != int64(len(entries)) {
			t.Fatalf("digest of %d entries: %v", size, err)
		}
		return d
	}
	want := digest(len(entries))
	for _, batch := range []int{1, 7} {
		if got := digest(batch); got != want {
			t.Errorf("the views written %d statements a transaction have the digest %x; all at once, %x", batch, got, want)
		}
	}
}

// projectAll writes the rows of entries into db's views, batch of them a
// transaction.
func projectAll(t *testing.T, db *store.DB, entries [][]byte, batch int) {
	t.Helper()
	ctx := context.Background()
	var state mechanism.State
	var tx ledger.ViewTx
	for i, e := range entries {
		st, err := state.Open(e)
		if err != nil {
			t.Fatal(err)
		}
		eff, err := state.Apply(st)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if tx == nil {
			if tx, err = db.BeginViews(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Project(eff, st); err != nil {
			t.Fatal(err)
		}
		if (i+1)%batch == 0 || i == len(entries)-1 {
			if err := tx.SetViewsCursor(int64(i + 1)); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			tx = nil
		}
	}
}

// demoEntries returns the entries of the demo's log.
func demoEntries(t *testing.T) [][]byte {
	t.Helper()
	ctx := context.Background()
	m, _, err := demo.Full(ctx, t.TempDir(), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var entries [][]byte
	err = m.Log.Entries(ctx, 0, m.Log.Checkpoint().N, func(_ int64, data []byte) error {
		entries = append(entries, data)
		return nil
	})
	m.Log.Close()
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// TestConflictLeavesTheViews: a transaction of the views that writes a
// row twice (here, a statement projected twice) fails as a whole, and
// leaves the views as the transaction before it left them; the next one
// writes as if it had never run.
func TestConflictLeavesTheViews(t *testing.T) {
	ctx := context.Background()
	entries := demoEntries(t)
	half := len(entries) / 2
	var state mechanism.State
	type applied struct {
		e  *mechanism.Effects
		st *statement.Statement
	}
	var all []applied
	for i, data := range entries {
		st, err := state.Open(data)
		if err != nil {
			t.Fatal(err)
		}
		e, err := state.Apply(st)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		all = append(all, applied{e, st})
	}
	write := func(db *store.DB, from, to int, twice int) error {
		tx, err := db.BeginViews(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for i := from; i < to; i++ {
			if err := tx.Project(all[i].e, all[i].st); err != nil {
				return err
			}
			if i == twice {
				if err := tx.Project(all[i].e, all[i].st); err != nil {
					return err
				}
			}
		}
		if err := tx.SetViewsCursor(int64(to)); err != nil {
			return err
		}
		return tx.Commit()
	}
	open := func() *store.DB {
		db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "sulh.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}

	want := open()
	if err := write(want, 0, half, -1); err != nil {
		t.Fatal(err)
	}
	_, wantHalf, err := want.Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(want, half, len(entries), -1); err != nil {
		t.Fatal(err)
	}
	_, wantAll, err := want.Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}

	db := open()
	if err := write(db, 0, half, -1); err != nil {
		t.Fatal(err)
	}
	if err := write(db, half, len(entries), half); err == nil {
		t.Fatal("a statement projected twice in one transaction was written")
	}
	if size, d, err := db.Digest(ctx); err != nil || size != int64(half) || d != wantHalf {
		t.Fatalf("after the failed transaction the views hold %d entries, digest %x (%v); want %d, %x", size, d, err, half, wantHalf)
	}
	if err := write(db, half, len(entries), -1); err != nil {
		t.Fatal(err)
	}
	if size, d, err := db.Digest(ctx); err != nil || size != int64(len(entries)) || d != wantAll {
		t.Fatalf("after the next transaction the views hold %d entries, digest %x (%v); want %d, %x", size, d, err, len(entries), wantAll)
	}
}
