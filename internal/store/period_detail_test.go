package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// TestPeriodDetail holds the period's cases and commitments, on the
// demo's views, to the case and commitment lists: each event counted once,
// in the period or the one before by event time, with the cases of the
// same party, flag, standing and place together; each commitment whose
// deadline falls in the period, with its deadline's status.
func TestPeriodDetail(t *testing.T) {
	ctx := context.Background()
	db, _ := demoViews(t)
	day := func(mo time.Month, d int) time.Time { return time.Date(2025, mo, d, 14, 30, 0, 0, time.UTC) }
	last, this := store.Period{From: day(10, 1), To: day(11, 1)}, store.Period{From: day(11, 1), To: day(12, 1)}
	const flag = "cross_border_fire"
	d, err := db.PeriodDetail(ctx, this, last, flag)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		last                              bool
		accused, standing, place, country string
		admin1                            string
		flagged                           bool
		lat, lon                          any
	}
	type count struct{ n, first int64 }
	want := map[key]count{}
	flagged := 0
	for i, p := range []store.Period{this, last} {
		var f store.Filter
		f.Where("from", statement.FormatTime(p.From))
		f.Where("to", statement.FormatTime(p.To))
		f.Where("distinct", "true")
		if err := db.Each(ctx, "cases", f, func(r store.Row) error {
			id, _ := r["id"].(int64)
			var cats []string
			if err := json.Unmarshal(r["categories"].(json.RawMessage), &cats); err != nil {
				return err
			}
			k := key{last: i == 1, accused: r["accused"].(string), standing: r["standing"].(string), place: r["place_id"].(string),
				country: r["admin_country"].(string), admin1: r["admin1"].(string), flagged: slices.Contains(cats, flag), lat: r["lat"], lon: r["lon"]}
			if k.flagged {
				flagged++
			}
			c, ok := want[k]
			if !ok || id < c.first {
				c.first = id
			}
			c.n++
			want[k] = c
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(d.Cases) != len(want) || len(want) == 0 || flagged == 0 {
		t.Errorf("%d groups of cases, the case list gives %d (%d flagged cases)", len(d.Cases), len(want), flagged)
	}
	for _, c := range d.Cases {
		var lat, lon any
		if c.Lat != nil {
			lat, lon = *c.Lat, *c.Lon
		}
		k := key{last: c.Last, accused: c.Accused, standing: c.Standing, place: c.PlaceID, country: c.Admin.Country, admin1: c.Admin.Admin1, flagged: c.Flagged, lat: lat, lon: lon}
		if w, ok := want[k]; !ok || w.n != c.Count || w.first != c.First {
			t.Errorf("cases %+v: the case list has %d from %d (%v)", c, w.n, w.first, ok)
		}
		if c.Admin.Country == "" {
			t.Errorf("cases %+v: no administrative unit read from the opening report", c)
		}
	}
	if len(d.Commitments) != 0 {
		t.Errorf("commitments due in October and November: %+v, the demo has none", d.Commitments)
	}

	// January 2026: the demo's commitment falls due, not yet met.
	jan := store.Period{From: time.Date(2025, 12, 31, 14, 30, 0, 0, time.UTC), To: time.Date(2026, 1, 31, 14, 30, 0, 0, time.UTC)}
	d, err = db.PeriodDetail(ctx, jan, store.Period{From: day(12, 1), To: jan.From}, flag)
	if err != nil {
		t.Fatal(err)
	}
	var rows []store.Row
	if err := db.Each(ctx, "commitments", store.Filter{}, func(r store.Row) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || len(d.Commitments) != 1 {
		t.Fatalf("commitments %+v, the list has %v", d.Commitments, rows)
	}
	c := d.Commitments[0]
	if c.Index != rows[0]["idx"] || c.Party != rows[0]["body"] || c.Deadline != rows[0]["deadline"] || c.Status != rows[0]["status"] || c.Status != mechanism.DeadlineOpen || c.Last || c.Closed != nil {
		t.Errorf("commitment %+v, the list has %v", c, rows[0])
	}

	// Periods that do not follow each other are refused.
	for _, p := range [][2]store.Period{{this, this}, {last, store.Period{From: this.To, To: this.From}}} {
		if _, err := db.PeriodDetail(ctx, p[0], p[1], flag); err == nil {
			t.Errorf("%v after %v: no error", p[0], p[1])
		}
	}
}
