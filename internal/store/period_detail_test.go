package store_test

import (
	"cmp"
	"context"
	"encoding/json"
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
	type key struct {
		last                              bool
		accused, standing, place, country string
		admin1                            string
		flagged, ruled                    bool
		lat, lon                          any
	}
	type count struct{ n, first int64 }
	want := map[key]count{}
	complaints := map[string]store.PartyComplaints{}
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
		k := key{last: c.Last, accused: c.Accused, standing: c.Standing, place: c.PlaceID, country: c.Admin.Country, admin1: c.Admin.Admin1,
			flagged: c.Flagged, ruled: c.Ruled, lat: lat, lon: lon}
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
	// The complaints against each party, summed from the same counts.
	var parties []string
	var ruled int64
	for p, c := range complaints {
		parties = append(parties, p)
		ruled += c.Ruled
	}
	slices.Sort(parties)
	if len(d.Complaints) != len(parties) || ruled == 0 {
		t.Errorf("complaints against %d parties, the case list has %v (%d with a finding)", len(d.Complaints), parties, ruled)
	}
	for i, c := range d.Complaints {
		if i >= len(parties) || c != complaints[parties[i]] {
			t.Errorf("complaints %+v, the case list has %+v", c, complaints[c.Party])
		}
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

// comparePeriodCases orders counts of cases, which PeriodDetail returns in
// no order, by the lowest case.
func comparePeriodCases(a, b store.PeriodCases) int {
	return cmp.Compare(a.First, b.First)
}
