package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sulh-project/sulh/internal/bench"
	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// BenchmarkProject measures the views' writes alone: the rows of 20,000
// reports (a log made by sulh bench ledger), applied beforehand, written
// into fresh views on one goroutine in transactions of 1,024 entries, as
// the follower and a rebuild write them. Each iteration writes the whole
// log into a new file and closes it; entries/s is the rate of the writes.
func BenchmarkProject(b *testing.B) { benchmarkProject(b, false) }

// BenchmarkProjectAudit is BenchmarkProject into views that write only
// what sulh audit reads (store.AuditTables).
func BenchmarkProjectAudit(b *testing.B) { benchmarkProject(b, true) }

func benchmarkProject(b *testing.B, audit bool) {
	ctx := context.Background()
	dir := filepath.Join(b.TempDir(), "m")
	if _, err := bench.Ledger(ctx, bench.Options{Dir: dir, N: 20000, Clients: 64}); err != nil {
		b.Fatal(err)
	}
	l, err := datadir.Open(ctx, dir, ledger.Options{})
	if err != nil {
		b.Fatal(err)
	}
	type applied struct {
		e  *mechanism.Effects
		st *statement.Statement
	}
	var all []applied
	var state mechanism.State
	err = l.Entries(ctx, 0, l.Checkpoint().N, func(_ int64, data []byte) error {
		st, err := state.Open(data)
		if err != nil {
			return err
		}
		e, err := state.Apply(st)
		all = append(all, applied{e, st})
		return err
	})
	l.Close()
	if err != nil {
		b.Fatal(err)
	}
	const batch = 1024
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		db, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "sulh.db"))
		if err != nil {
			b.Fatal(err)
		}
		if audit {
			if err := db.WriteAuditTablesOnly(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		for start := 0; start < len(all); start += batch {
			tx, err := db.BeginViews(ctx)
			if err != nil {
				b.Fatal(err)
			}
			end := min(start+batch, len(all))
			for _, a := range all[start:end] {
				if err := tx.Project(a.e, a.st); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.SetViewsCursor(int64(end)); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		// Closing checkpoints the write-ahead log into the file: that
		// is part of the writes.
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(all)*b.N)/b.Elapsed().Seconds(), "entries/s")
}
