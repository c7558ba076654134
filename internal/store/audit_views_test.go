package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/report"
	"github.com/sulh-project/sulh/internal/store"
)

// TestAuditTables replays the demo's log into views that write only
// store.AuditTables, as sulh audit's do, and holds them to answer as the
// whole views do for every figure an audit compares and every periodic
// report of each day of the demo; and to leave out the rest.
func TestAuditTables(t *testing.T) {
	ctx := context.Background()
	m, _, err := demo.Full(ctx, t.TempDir(), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	whole := m.Log.DB
	partFile := filepath.Join(t.TempDir(), "audit.db")
	part, err := store.OpenSQLite(ctx, partFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { part.Close() })
	if err := part.WriteAuditTablesOnly(ctx); err != nil {
		t.Fatal(err)
	}
	size := m.Log.Checkpoint().N
	state, err := m.Log.ReplayTo(ctx, part, size)
	if err != nil {
		t.Fatal(err)
	}

	same := func(what string, read func(db *store.DB) (any, error)) {
		t.Helper()
		w, err := read(whole)
		if err != nil {
			t.Fatalf("%s of the whole views: %v", what, err)
		}
		p, err := read(part)
		if err != nil {
			t.Fatalf("%s of the audit's views: %v", what, err)
		}
		if !reflect.DeepEqual(w, p) {
			t.Errorf("%s: the whole views give\n%+v\nthe audit's\n%+v", what, w, p)
		}
	}
	same("the views' cursor", func(db *store.DB) (any, error) { return db.ViewsCursor(ctx) })
	same("the log's time", func(db *store.DB) (any, error) { return db.LogTime(ctx) })
	same("the cases by party", func(db *store.DB) (any, error) { return db.Counts(ctx) })
	same("the cases by category, status and stage", func(db *store.DB) (any, error) { return db.CaseCounts(ctx) })
	same("the places added", func(db *store.DB) (any, error) { return db.AddedPlaces(ctx, -1) })
	each := func(db *store.DB, list string) ([]store.Row, error) {
		var rows []store.Row
		err := db.Each(ctx, list, store.Filter{}, func(r store.Row) error { rows = append(rows, r); return nil })
		return rows, err
	}
	for _, list := range []string{"findings", "penalties", "commitments", "crossings", "publications"} {
		same("the list of "+list, func(db *store.DB) (any, error) {
			rows, err := each(db, list)
			if err == nil && len(rows) == 0 {
				t.Errorf("the demo has no %s", list)
			}
			return rows, err
		})
	}
	// Every report of every kind, for each day from a week before the
	// demo's first event to a week after its last.
	cases, err := each(whole, "cases")
	if err != nil {
		t.Fatal(err)
	}
	var first, last string
	for _, c := range cases {
		at := c["event_at"].(string)
		if first == "" || at < first {
			first = at
		}
		last = max(last, at)
	}
	from, err1 := time.Parse(time.DateOnly, first[:10])
	to, err2 := time.Parse(time.DateOnly, last[:10])
	if err1 != nil || err2 != nil {
		t.Fatalf("the demo's events are from %q to %q", first, last)
	}
	reports := 0
	for d := from.AddDate(0, 0, -7); !d.After(to.AddDate(0, 0, 7)); d = d.AddDate(0, 0, 1) {
		for _, kind := range []string{report.Daily, report.Weekly, report.Monthly} {
			date := d.Format(time.DateOnly)
			same(kind+" report of "+date, func(db *store.DB) (any, error) {
				return report.Make(ctx, db, state.Rulebook, kind, date)
			})
			reports++
		}
	}
	t.Logf("%d reports from %s to %s, the same", reports, from.Format(time.DateOnly), to.Format(time.DateOnly))

	// What no audit reads is left out: the events, and the deadlines but
	// the commitments'.
	if ev, err := whole.Events(ctx, 0, size); err != nil || len(ev) == 0 {
		t.Fatalf("the whole views' events: %d, %v", len(ev), err)
	}
	if ev, err := part.Events(ctx, 0, size); err != nil || len(ev) != 0 {
		t.Errorf("the audit's views hold %d events (%v), want none", len(ev), err)
	}
	wd, err := each(whole, "deadlines")
	if err != nil {
		t.Fatal(err)
	}
	pd, err := each(part, "deadlines")
	if err != nil {
		t.Fatal(err)
	}
	wd = slices.DeleteFunc(wd, func(r store.Row) bool { return r["name"] != mechanism.DeadlineCommitment })
	if len(wd) == 0 || !reflect.DeepEqual(wd, pd) {
		t.Errorf("the audit's views hold the deadlines\n%v\nwant the commitments' of the whole views\n%v", pd, wd)
	}

	// Nor has it the indexes of the case list's filters, but those its
	// reads use.
	x, err := sql.Open("sqlite", "file:"+store.ViewsFile(partFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for ix, want := range map[string]bool{"cases_lat": false, "cases_reporter": false, "cases_event_at": true, "cases_stage": true} {
		var n int
		if err := x.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?", ix).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n == 1) != want {
			t.Errorf("the audit's views have the index %s: %v, want %v", ix, n == 1, want)
		}
	}
}
