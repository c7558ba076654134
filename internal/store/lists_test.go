package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// TestEveryListParam runs every parameter of every list against the demo's
// views: each is SQL the database takes, and each keeps only rows that
// have the value asked for where the row shows it.
func TestEveryListParam(t *testing.T) {
	ctx := context.Background()
	db, _ := demoViews(t)
	for _, l := range store.Lists() {
		all, err := db.List(ctx, l.Name, store.Filter{})
		if err != nil {
			t.Fatalf("%s: %v", l.Name, err)
		}
		if len(all.Rows) == 0 {
			t.Errorf("%s lists nothing in the demo", l.Name)
		}
		for _, p := range l.Params {
			// A value from a row where the column has the parameter's
			// name, else one the parameter takes.
			v := map[store.ParamKind]string{store.Text: "pakistan", store.Integer: "1", store.Time: "2025-10-20T22:00:00+05:00"}[p.Kind]
			if p.Kind == store.OneOf {
				v = p.Allowed[len(p.Allowed)-1]
			}
			if p.Known() {
				v = "ttp" // an actor the demo names
			}
			for _, r := range all.Rows {
				if x, ok := r[p.Name]; ok && x != nil {
					if s, ok := x.(string); ok && s != "" {
						v = s
						break
					}
				}
			}
			page, err := db.List(ctx, l.Name, store.Filter{Match: []store.Match{{Param: p.Name, Value: v}}, Limit: 3, Before: 1 << 40})
			if err != nil {
				t.Errorf("%s?%s=%s: %v", l.Name, p.Name, v, err)
				continue
			}
			if l.Name == "cases" && p.Name == "party" {
				continue // a case's parties are its reporter and accused, not its column party
			}
			for _, r := range page.Rows {
				if x, ok := r[p.Name].(string); ok && p.Kind != store.Time && x != v {
					t.Errorf("%s?%s=%s lists a row with %s %q", l.Name, p.Name, v, p.Name, x)
				}
			}
		}
	}
	// Paging: every case once, newest first, however the pages fall.
	var seen []int64
	f := store.Filter{Limit: 2}
	for {
		page, err := db.List(ctx, "cases", f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rows {
			seen = append(seen, r["id"].(int64))
		}
		if page.Next == 0 {
			break
		}
		f.Before = page.Next
	}
	all, _ := db.List(ctx, "cases", store.Filter{})
	if len(seen) != len(all.Rows) {
		t.Errorf("paging by 2 gave %d cases, listing all gave %d", len(seen), len(all.Rows))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] >= seen[i-1] {
			t.Fatalf("paging gave cases out of order: %v", seen)
		}
	}
	// A bounding box keeps the cases within it.
	b := store.BBox{MinLon: 66, MinLat: 30, MaxLon: 67, MaxLat: 31.5}
	page, err := db.List(ctx, "cases", store.Filter{BBox: &b})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Rows {
		lat, lon := r["lat"].(float64), r["lon"].(float64)
		if lat < b.MinLat || lat > b.MaxLat || lon < b.MinLon || lon > b.MaxLon {
			t.Errorf("bbox %v lists case %v at %v,%v", b, r["id"], lat, lon)
		}
	}
}

// TestListRefuses checks that a filter a list does not take is refused
// with a message saying what it takes, before any SQL is run.
func TestListRefuses(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, t.TempDir()+"/sulh.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		list string
		f    store.Filter
		want string
	}{
		{"cases", *new(store.Filter).Where("stgae", "x"), `unknown parameter "stgae"; cases takes limit, before, bbox, stage`},
		{"findings", *new(store.Filter).Where("outcome", "guilty"), "outcome must be one of"},
		{"claims", *new(store.Filter).Where("case", "1 OR 1=1"), "case must be an integer"},
		{"cases", *new(store.Filter).Where("from", "yesterday"), "from: \"yesterday\" is not an RFC 3339 time"},
		{"findings", store.Filter{BBox: &store.BBox{}}, "findings cannot be filtered by bbox"},
		{"cases", *new(store.Filter).Where("stage", string(make([]byte, 201))), "too long"},
	} {
		_, err := db.List(ctx, tc.list, tc.f)
		var fe *store.FilterError
		if !errors.As(err, &fe) || !strings.Contains(fe.Msg, tc.want) {
			t.Errorf("%s %+v: %v, want a FilterError saying %q", tc.list, tc.f, err, tc.want)
		}
	}
	if _, err := db.List(ctx, "no_such_list", store.Filter{}); err == nil {
		t.Error("an unknown list is listed")
	}
}

// TestListTimesWithinASecond: the cases list's from and to compare times
// as times, also half a second after a case's whole-second event time,
// where "…:00.5Z" sorts before "…:00Z" as text.
func TestListTimesWithinASecond(t *testing.T) {
	ctx := context.Background()
	db, _ := demoViews(t)
	all, err := db.List(ctx, "cases", store.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	has := func(l store.Page, id any) bool {
		return slices.ContainsFunc(l.Rows, func(r store.Row) bool { return r["id"] == id })
	}
	tried := 0
	for _, r := range all.Rows[:min(len(all.Rows), 8)] {
		at, err := statement.ParseTime(r["event_at"].(string))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []time.Duration{-500 * time.Millisecond, 0, time.Nanosecond, 500 * time.Millisecond} {
			bound := statement.FormatTime(at.Add(d))
			from, err := db.List(ctx, "cases", store.Filter{Match: []store.Match{{Param: "from", Value: bound}}, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			to, err := db.List(ctx, "cases", store.Filter{Match: []store.Match{{Param: "to", Value: bound}}, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if has(from, r["id"]) != (d <= 0) || has(to, r["id"]) != (d > 0) {
				t.Errorf("case %v at %s: from=%s lists it %v, to=%s lists it %v", r["id"], r["event_at"], bound, has(from, r["id"]), bound, has(to, r["id"]))
			}
			tried++
		}
	}
	if tried == 0 {
		t.Fatal("the demo lists no case")
	}
}
