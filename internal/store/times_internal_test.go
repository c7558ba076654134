package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// TestTimeBounds holds atOrAfter, before and later, and after and
// atOrBefore over computed times, to time's own order,
// for times within a second of each other written as statements may write
// them (with and without fractions, with trailing zeros), and bounds
// written as statement.FormatTime writes them. Compared as text, a time
// half a second after a whole-second bound sorts before it.
func TestTimeBounds(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // each connection to :memory: is a database of its own
	if _, err := db.Exec("CREATE TABLE t (at TEXT)"); err != nil {
		t.Fatal(err)
	}
	var stored []string
	for _, second := range []string{"2025-10-20T14:29:59", "2025-10-20T14:30:00", "2025-10-20T14:30:01", "2025-12-31T23:59:59"} {
		for _, frac := range []string{"", ".0", ".000", ".05", ".1", ".10", ".2", ".25", ".250", ".5", ".500000000", ".999999999"} {
			stored = append(stored, second+frac+"Z")
		}
	}
	stored = append(stored, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000000001Z")
	// t holds every time; computed those written as statement.FormatTime
	// writes them, with no trailing zeros, as deadlines and deliveries are.
	if _, err := db.Exec("CREATE TABLE computed (at TEXT)"); err != nil {
		t.Fatal(err)
	}
	for _, s := range stored {
		if _, err := db.Exec("INSERT INTO t VALUES (?)", s); err != nil {
			t.Fatal(err)
		}
		if st, _ := statement.ParseTime(s); statement.FormatTime(st) == s {
			if _, err := db.Exec("INSERT INTO computed VALUES (?)", s); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, b := range stored {
		bt, err := statement.ParseTime(b)
		if err != nil {
			t.Fatal(err)
		}
		bound := statement.FormatTime(bt)
		var wantAfter, wantBefore int
		for _, s := range stored {
			st, _ := statement.ParseTime(s)
			if st.Before(bt) {
				wantBefore++
			} else {
				wantAfter++
			}
		}
		var atAfter, bef, sum int
		if err := db.QueryRow("SELECT (SELECT COUNT(*) FROM t WHERE "+atOrAfter("at", "?1")+"), (SELECT COUNT(*) FROM t WHERE "+before("at", "?1")+
			"), (SELECT SUM("+later("at", "?1")+") FROM t)", bound).Scan(&atAfter, &bef, &sum); err != nil {
			t.Fatal(err)
		}
		if atAfter != wantAfter || sum != wantAfter || bef != wantBefore {
			t.Errorf("bound %s: %d at or after it (%d summed), %d before; want %d and %d", bound, atAfter, sum, bef, wantAfter, wantBefore)
		}
		// after and atOrBefore, over the computed times.
		var wantLater, wantAtOrBefore, gotLater, gotAtOrBefore int
		for _, s := range stored {
			st, _ := statement.ParseTime(s)
			if statement.FormatTime(st) != s {
				continue
			}
			if st.After(bt) {
				wantLater++
			} else {
				wantAtOrBefore++
			}
		}
		if err := db.QueryRow("SELECT (SELECT COUNT(*) FROM computed WHERE "+after("at", "?1")+"), (SELECT COUNT(*) FROM computed WHERE "+atOrBefore("at", "?1")+")", bound).Scan(&gotLater, &gotAtOrBefore); err != nil {
			t.Fatal(err)
		}
		if gotLater != wantLater || gotAtOrBefore != wantAtOrBefore {
			t.Errorf("bound %s: %d after it, %d at or before; want %d and %d", bound, gotLater, gotAtOrBefore, wantLater, wantAtOrBefore)
		}
	}
}

// TestDueDeliveriesWithinASecond: a delivery due half a second after a
// whole second is not yet due at that second, and is at the next.
func TestDueDeliveriesWithinASecond(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "sulh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ds := []Delivery{{URL: "https://example.org/a", Kind: "k", Payload: []byte("{}"), NextAt: "2025-10-20T14:30:00.5Z", CreatedAt: "2025-10-20T14:29:00Z"},
		{URL: "https://example.org/b", Kind: "k", Payload: []byte("{}"), NextAt: "2025-10-20T14:30:00Z", CreatedAt: "2025-10-20T14:29:00Z"}}
	if err := db.QueueNear(ctx, ds, nil); err != nil {
		t.Fatal(err)
	}
	for now, want := range map[string]int{"2025-10-20T14:29:59.9Z": 0, "2025-10-20T14:30:00Z": 1, "2025-10-20T14:30:00.25Z": 1, "2025-10-20T14:30:00.5Z": 2, "2025-10-20T14:30:01Z": 2} {
		if got, err := db.DueDeliveries(ctx, now, 10); err != nil || len(got) != want {
			t.Errorf("at %s: %d deliveries due (%v), want %d", now, len(got), err, want)
		}
	}
}

// timeBoundSQL is what SQLite says of the conditions that timeBound works
// out in Go, for the time t and the bound b.
func timeBoundSQL(t testing.TB, db *sql.DB, at, bound string) (laterIt, atOrAfterIt, beforeIt bool) {
	t.Helper()
	if err := db.QueryRow("SELECT "+later("?1", "?2")+", "+atOrAfter("?1", "?2")+", "+before("?1", "?2"), at, bound).Scan(&laterIt, &atOrAfterIt, &beforeIt); err != nil {
		t.Fatal(err)
	}
	return laterIt, atOrAfterIt, beforeIt
}

// timeBoundTimes are times as the views may keep them, and text near
// them that they should not, for TestTimeBoundsInGo.
func timeBoundTimes() []string {
	var out []string
	for _, second := range []string{"2025-10-20T14:29:59", "2025-10-20T14:30:00", "2025-10-20T14:30:01"} {
		for _, frac := range []string{"", ".0", ".000", ".05", ".1", ".10", ".25", ".5", ".500000000", ".999999999"} {
			out = append(out, second+frac+"Z", second+frac, second+frac+"ZZ")
		}
	}
	return append(out, "", "2025", "2025-10-20T14:30:00~", "2025-10-20T14:30:00~Z", "2025-10-20T14:30:00 Z", "~", "2025-10-20T14:30:00.5Z\x00", "ÿ")
}

// TestTimeBoundsInGo holds timeBound's methods to the SQL conditions
// later, atOrAfter and before, for times and bounds as the views keep
// them, and text that is no time.
func TestTimeBoundsInGo(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	times := timeBoundTimes()
	for _, b := range times {
		bt, err := statement.ParseTime(b)
		if err != nil {
			continue
		}
		bound := statement.FormatTime(bt)
		tb := newTimeBound(bound)
		for _, at := range times {
			l, a, bf := timeBoundSQL(t, db, at, bound)
			if gl, ga, gb := tb.later([]byte(at)), tb.atOrAfter([]byte(at)), tb.before([]byte(at)); gl != l || ga != a || gb != bf {
				t.Errorf("%q against %q: later %v, at or after %v, before %v in Go; SQLite says %v, %v, %v", at, bound, gl, ga, gb, l, a, bf)
			}
		}
	}
}

// FuzzTimeBound holds timeBound's methods to the SQL for any text and
// any bound that statement.FormatTime writes.
func FuzzTimeBound(f *testing.F) {
	for _, at := range timeBoundTimes() {
		f.Add(at, int64(1760970600), int64(500000000))
	}
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	f.Fuzz(func(t *testing.T, at string, sec, nsec int64) {
		bound := statement.FormatTime(time.Unix(sec%(1<<35), nsec%1e9).UTC())
		l, a, bf := timeBoundSQL(t, db, at, bound)
		tb := newTimeBound(bound)
		if gl, ga, gb := tb.later([]byte(at)), tb.atOrAfter([]byte(at)), tb.before([]byte(at)); gl != l || ga != a || gb != bf {
			t.Errorf("%q against %q: later %v, at or after %v, before %v in Go; SQLite says %v, %v, %v", at, bound, gl, ga, gb, l, a, bf)
		}
	})
}
