package store_test

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"reflect"
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
	if n, flagged, ruled := checkPeriodCases(t, db, this, last, flag, d); n == 0 || flagged == 0 || ruled == 0 {
		t.Errorf("%d cases in October and November, %d flagged, %d ruled: the test tests little", n, flagged, ruled)
	}
	if len(d.Commitments) != 0 {
		t.Errorf("commitments due in October and November: %+v, the demo has none", d.Commitments)
	}
	// Read by the index on event time or by the whole table, the same;
	// which of them by the share of the cases in the periods.
	for _, c := range []struct {
		from, to, want string
	}{{"2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z", "cases c NOT INDEXED"}, {"2100-01-01T00:00:00Z", "2100-02-01T00:00:00Z", "cases c"}} {
		if got, err := db.CasesBetween(ctx, c.from, c.to); got != c.want || err != nil {
			t.Errorf("the cases from %s to %s read as %q (%v), want %q", c.from, c.to, got, err, c.want)
		}
	}
	slices.SortFunc(d.Cases, comparePeriodCases)
	for _, share := range []float64{0, 2} {
		restore := store.SetScanShare(share)
		other, err := db.PeriodDetail(ctx, this, last, flag)
		restore()
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(other.Cases, comparePeriodCases)
		if !reflect.DeepEqual(other, d) {
			t.Errorf("read with the share %v at which the table is read whole: %+v, not %+v", share, other, d)
		}
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

// periodCaseKey is what PeriodCases counts cases by.
type periodCaseKey struct {
	last                              bool
	accused, standing, place, country string
	admin1                            string
	flagged, ruled                    bool
	lat, lon                          any
}

// checkPeriodCases holds d's cases and complaints to the case list of the
// periods this and last: each event counted once, in the period or the
// one before by event time, with the cases of the same party, flag,
// standing and place together.
// It returns how many cases of the periods it counted, how many of them
// are flagged and how many ruled.
func checkPeriodCases(t *testing.T, db *store.DB, this, last store.Period, flag string, d *store.PeriodDetail) (cases, flagged, ruled int64) {
	t.Helper()
	ctx := context.Background()
	type count struct{ n, first int64 }
	want := map[periodCaseKey]count{}
	complaints := map[string]store.PartyComplaints{}
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
			k := periodCaseKey{last: i == 1, accused: r["accused"].(string), standing: r["standing"].(string), place: r["place_id"].(string),
				country: r["admin_country"].(string), admin1: r["admin1"].(string), flagged: slices.Contains(cats, flag), ruled: r["finding"] != nil,
				lat: r["lat"], lon: r["lon"]}
			if k.accused != "" {
				c := complaints[k.accused]
				c.Party = k.accused
				switch {
				case k.last:
					c.Last++
				default:
					c.Received++
					if k.ruled {
						c.Ruled++
					}
					switch k.standing {
					case mechanism.StandingVerified:
						c.Verified++
					case mechanism.StandingCleared:
						c.Cleared++
					case mechanism.StandingPending:
						c.Pending++
					case mechanism.StandingClosed:
						c.Closed++
					default:
						t.Errorf("case %d stands %q", id, k.standing)
					}
				}
				complaints[k.accused] = c
			}
			cases++
			if k.flagged {
				flagged++
			}
			if k.ruled {
				ruled++
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
	if len(d.Cases) != len(want) {
		t.Errorf("%v after %v: %d groups of cases, the case list gives %d", this, last, len(d.Cases), len(want))
	}
	for _, c := range d.Cases {
		var lat, lon any
		if c.Lat != nil {
			lat, lon = *c.Lat, *c.Lon
		}
		k := periodCaseKey{last: c.Last, accused: c.Accused, standing: c.Standing, place: c.PlaceID, country: c.Admin.Country, admin1: c.Admin.Admin1,
			flagged: c.Flagged, ruled: c.Ruled, lat: lat, lon: lon}
		if w, ok := want[k]; !ok || w.n != c.Count || w.first != c.First {
			t.Errorf("cases %+v: the case list has %d from %d (%v)", c, w.n, w.first, ok)
		}
		if c.Admin.Country == "" {
			t.Errorf("cases %+v: no administrative unit read from the opening report", c)
		}
	}
	// The complaints against each party, summed from the same counts.
	parties := slices.Sorted(maps.Keys(complaints))
	if len(d.Complaints) != len(parties) {
		t.Errorf("complaints against %d parties, the case list has %v", len(d.Complaints), parties)
	}
	for i, c := range d.Complaints {
		if i >= len(parties) || c != complaints[parties[i]] {
			t.Errorf("complaints %+v, the case list has %+v", c, complaints[c.Party])
		}
	}
	return cases, flagged, ruled
}

// comparePeriodCases orders counts of cases, which PeriodDetail returns in
// no order, by the lowest case.
func comparePeriodCases(a, b store.PeriodCases) int {
	return cmp.Compare(a.First, b.First)
}

// TestPeriodDetails reads several pairs of periods in one pass, each as
// PeriodDetail reads it alone and as the case list gives it: a period
// within another, periods that overlap, a period that holds no case.
func TestPeriodDetails(t *testing.T) {
	ctx := context.Background()
	db, _ := demoViews(t)
	at := func(mo time.Month, d int) time.Time { return time.Date(2025, mo, d, 14, 30, 0, 0, time.UTC) }
	pair := func(from, mid, to time.Time) store.Periods {
		return store.Periods{This: store.Period{From: mid, To: to}, Last: store.Period{From: from, To: mid}}
	}
	periods := []store.Periods{
		pair(at(11, 5), at(11, 6), at(11, 7)),    // a day, in the week
		pair(at(10, 24), at(10, 31), at(11, 7)),  // a week, ending with the day
		pair(at(10, 14), at(11, 14), at(12, 14)), // a month, overlapping the week
		pair(at(12, 28), at(12, 29), at(12, 30)), // after the demo's events
	}
	const flag = "cross_border_fire"
	ds, err := db.PeriodDetails(ctx, periods, flag)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != len(periods) {
		t.Fatalf("%d details of %d periods", len(ds), len(periods))
	}
	var counted []int64
	for i, p := range periods {
		n, _, _ := checkPeriodCases(t, db, p.This, p.Last, flag, ds[i])
		counted = append(counted, n)
		alone, err := db.PeriodDetail(ctx, p.This, p.Last, flag)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(alone.Cases, comparePeriodCases)
		slices.SortFunc(ds[i].Cases, comparePeriodCases)
		if !reflect.DeepEqual(alone, ds[i]) {
			t.Errorf("%v read with others: %+v, alone: %+v", p, ds[i], alone)
		}
	}
	// The day's cases are fewer than the week's, and those fewer than the
	// month's; after the demo, none.
	if !(0 < counted[0] && counted[0] < counted[1] && counted[1] < counted[2]) || counted[3] != 0 {
		t.Errorf("cases counted in each pair of periods: %v", counted)
	}
	if ds, err := db.PeriodDetails(ctx, nil, flag); err != nil || ds != nil {
		t.Errorf("no periods: %v, %v", ds, err)
	}
	bad := append(slices.Clone(periods), pair(at(10, 28), at(10, 27), at(10, 29)))
	if _, err := db.PeriodDetails(ctx, bad, flag); err == nil {
		t.Errorf("periods that do not follow each other, among others: no error")
	}
}
