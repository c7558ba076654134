package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/bench"
	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/store"
)

// BenchmarkPeriodDetail reads the cases of the daily, weekly and monthly
// periods that end with the log's time, from the views of 50,000 reports
// (a log made by sulh bench ledger, whose events fall within 34 hours of
// each other: each period holds them all), as the latest three reports
// read them: one by one, and together in one pass. cases/s counts each
// case once for each period read.
func BenchmarkPeriodDetail(b *testing.B) {
	ctx := context.Background()
	dir := filepath.Join(b.TempDir(), "m")
	const n = 50000
	if _, err := bench.Ledger(ctx, bench.Options{Dir: dir, N: n, Clients: 64}); err != nil {
		b.Fatal(err)
	}
	l, err := datadir.Open(ctx, dir, ledger.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if err := l.Log.WaitViews(ctx, l.Log.Checkpoint().N); err != nil {
		b.Fatal(err)
	}
	at, err := l.DB.LogTime(ctx)
	if err != nil {
		b.Fatal(err)
	}
	end := at.Add(time.Hour)
	const day = 24 * time.Hour
	var periods []store.Periods
	for _, span := range []time.Duration{day, 7 * day, 30 * day} {
		periods = append(periods, store.Periods{
			Last: store.Period{From: end.Add(-2 * span), To: end.Add(-span)},
			This: store.Period{From: end.Add(-span), To: end},
		})
	}
	const flag = "cross_border_fire"
	check := func(ds []*store.PeriodDetail) {
		for _, d := range ds {
			var cases int64
			for _, c := range d.Cases {
				cases += c.Count
			}
			if cases != n {
				b.Fatalf("%d cases in the periods, want %d", cases, n)
			}
		}
	}
	b.Run("one-by-one", func(b *testing.B) {
		for b.Loop() {
			var ds []*store.PeriodDetail
			for _, p := range periods {
				d, err := l.DB.PeriodDetail(ctx, p.This, p.Last, flag)
				if err != nil {
					b.Fatal(err)
				}
				ds = append(ds, d)
			}
			check(ds)
		}
		b.ReportMetric(float64(b.N*n*len(periods))/b.Elapsed().Seconds(), "cases/s")
	})
	b.Run("together", func(b *testing.B) {
		for b.Loop() {
			ds, err := l.DB.PeriodDetails(ctx, periods, flag)
			if err != nil {
				b.Fatal(err)
			}
			check(ds)
		}
		b.ReportMetric(float64(b.N*n*len(periods))/b.Elapsed().Seconds(), "cases/s")
	})
}
