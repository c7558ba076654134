package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// TestDashboard holds the dashboard's figures, on the demo's views, to
// figures counted here from every row of the cases and deadlines lists:
// each event once, by event time, in the period and the one before it;
// the standings as the core wrote them; the overdue deadlines as
// mechanism.Overdue says.
func TestDashboard(t *testing.T) {
	ctx := context.Background()
	db, story := demoViews(t)
	at, err := db.LogTime(ctx)
	if err != nil || !at.Equal(story.End) {
		t.Fatalf("LogTime = %v, %v; the scenario's last statement is at %v", at, err, story.End)
	}
	const day = 24 * time.Hour
	for _, span := range []time.Duration{day, 7 * day, 30 * day} {
		to := at.Add(time.Second)
		q := store.DashboardQuery{This: store.Period{From: to.Add(-span), To: to}, Last: store.Period{From: to.Add(-2 * span), To: to.Add(-span)},
			Weeks: 12, At: at, Overdue: 3, Upcoming: 5}
		d, err := db.Dashboard(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		all, err := db.List(ctx, "cases", store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		reporters, categories, standings := map[string][2]int64{}, map[string][2]int64{}, map[string][2]int64{}
		total := map[string]int64{}
		weekly := int64(0)
		for _, r := range all.Rows {
			if r["duplicate_of"] != nil {
				continue
			}
			total[r["standing"].(string)]++
			ev, err := statement.ParseTime(r["event_at"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if !ev.Before(to) || ev.Before(to.Add(-12*7*day)) {
				continue
			}
			weekly++
			var p int
			switch {
			case !ev.Before(q.This.From):
				p = 0
			case !ev.Before(q.Last.From):
				p = 1
			default:
				continue
			}
			add := func(m map[string][2]int64, k string) { c := m[k]; c[p]++; m[k] = c }
			add(reporters, r["reporter"].(string))
			add(standings, r["standing"].(string))
			var cats []string
			json.Unmarshal(r["categories"].(json.RawMessage), &cats)
			for _, c := range cats {
				add(categories, c)
			}
		}
		for name, tc := range map[string]struct {
			got  []store.Figure
			want map[string][2]int64
		}{"reporter": {d.ByReporter, reporters}, "category": {d.ByCategory, categories}, "standing": {d.ByStanding, standings}} {
			if len(tc.got) != len(tc.want) {
				t.Errorf("%v: by %s: %+v, want %v", span, name, tc.got, tc.want)
			}
			for _, f := range tc.got {
				if w := tc.want[f.Key]; f.This != w[0] || f.Last != w[1] {
					t.Errorf("%v: by %s, %s: %d and %d, want %d and %d", span, name, f.Key, f.This, f.Last, w[0], w[1])
				}
			}
		}
		if len(d.Standing) != len(total) {
			t.Errorf("standings on the record: %v, want %v", d.Standing, total)
		}
		for k, n := range total {
			if d.Standing[k] != n {
				t.Errorf("standing %s: %d on the record, want %d", k, d.Standing[k], n)
			}
		}
		var sum int64
		for _, w := range d.Weekly {
			sum += w.Count
		}
		if sum != weekly {
			t.Errorf("%v: the weeks count %d events, the cases in those weeks are %d", span, sum, weekly)
		}
		if span == 7*day && (len(reporters) == 0 || reporters["pakistan"][0]+reporters["afghanistan"][0] == 0) {
			t.Errorf("the demo's last week has no report by either party: %v", reporters)
		}
		// Overdue: every open deadline whose time passed, no other, and
		// the first three of them listed.
		checkOverdue(t, db, d, at, 3)
		for _, u := range d.Upcoming {
			if !u.Due.After(at) || u.Status != mechanism.DeadlineOpen {
				t.Errorf("an upcoming deadline that is not: %+v", u)
			}
		}
		// Without the deadlines, the rest stands as it was.
		if len(d.Upcoming) == 0 {
			t.Fatalf("%v: the demo has no deadline upcoming", span)
		}
		q.NoDeadlines = true
		nd, err := db.Dashboard(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		d.OverdueCount, d.OverdueReplies, d.Overdue, d.Upcoming, d.Missed = 0, 0, nil, nil, nil
		if !reflect.DeepEqual(nd, d) {
			t.Errorf("%v: without the deadlines %+v, with them less them %+v", span, nd, d)
		}
	}
	// The case taken to the last stage is verified, and counts for its
	// categories.
	c, err := db.Case(ctx, story.Published)
	if err != nil {
		t.Fatal(err)
	}
	if c["standing"] != mechanism.StandingVerified {
		t.Fatalf("the published case %d stands %v", story.Published, c["standing"])
	}
	if p, _ := db.Case(ctx, story.Pending); p["standing"] != mechanism.StandingPending {
		t.Errorf("the case in investigation stands %v", p["standing"])
	}
	d, err := db.Dashboard(ctx, store.DashboardQuery{This: store.Period{From: at.Add(-7 * day), To: at}, Last: store.Period{From: at.Add(-14 * day), To: at.Add(-7 * day)}, At: at})
	if err != nil {
		t.Fatal(err)
	}
	var cats []string
	json.Unmarshal(c["categories"].(json.RawMessage), &cats)
	for _, cat := range cats {
		found := false
		for _, l := range d.LastVerified {
			found = found || l.Category == cat && !l.EventAt.IsZero()
		}
		if !found {
			t.Errorf("category %s: no verified case, yet case %d is verified: %+v", cat, story.Published, d.LastVerified)
		}
	}
	if len(d.Crossings) == 0 || d.Last == nil {
		t.Errorf("the demo's crossings %d and last meeting %v", len(d.Crossings), d.Last)
	}
	// Periods that do not follow each other are refused.
	if _, err := db.Dashboard(ctx, store.DashboardQuery{This: store.Period{From: at, To: at.Add(day)}, Last: store.Period{From: at.Add(-2 * day), To: at.Add(-day)}}); err == nil {
		t.Error("a gap between the periods is not refused")
	}
}

// checkOverdue holds the dashboard's overdue figures to every deadline of
// the views, each decided by mechanism.Overdue as of at: their count, the
// reply windows among them, and the first n listed, those due first.
func checkOverdue(t *testing.T, db *store.DB, d *store.Dashboard, at time.Time, n int) {
	t.Helper()
	dls, err := db.List(context.Background(), "deadlines", store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var dues []time.Time
	var replies int64
	for _, r := range dls.Rows {
		due, _ := statement.ParseTime(r["due"].(string))
		if mechanism.Overdue(r["status"].(string), due, at) {
			dues = append(dues, due)
			if r["name"] == mechanism.DeadlineReply {
				replies++
			}
		}
	}
	if d.OverdueCount != int64(len(dues)) || d.OverdueReplies != replies {
		t.Errorf("at %v: %d deadlines overdue, %d of them replies; want %d and %d", at, d.OverdueCount, d.OverdueReplies, len(dues), replies)
	}
	slices.SortFunc(dues, time.Time.Compare)
	if len(d.Overdue) != min(n, len(dues)) {
		t.Fatalf("at %v: %d overdue deadlines listed, want %d", at, len(d.Overdue), min(n, len(dues)))
	}
	for i, dl := range d.Overdue {
		if !dl.OverdueAtNow || !dl.Due.Equal(dues[i]) {
			t.Errorf("at %v: overdue deadline %d listed is due %v (overdue %v), want the one due %v", at, i, dl.Due, dl.OverdueAtNow, dues[i])
		}
	}
}

// TestDashboardOverdueWithinASecond holds the overdue deadlines to
// mechanism.Overdue when the dashboard's time falls within the second of
// a deadline's, where the views' times, written with as many decimals as
// they need, do not sort as time does ("…:05Z" after "…:05.5Z").
func TestDashboardOverdueWithinASecond(t *testing.T) {
	ctx := context.Background()
	db, _ := demoViews(t)
	dls, err := db.List(ctx, "deadlines", store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var due time.Time
	for _, r := range dls.Rows {
		if r["status"] == mechanism.DeadlineOpen {
			due, _ = statement.ParseTime(r["due"].(string))
			break
		}
	}
	if due.IsZero() {
		t.Fatal("the demo has no open deadline")
	}
	const day = 24 * time.Hour
	for _, at := range []time.Time{due, due.Add(time.Nanosecond), due.Add(500 * time.Millisecond), due.Truncate(time.Second), due.Truncate(time.Second).Add(time.Second - 1), due.Add(-time.Nanosecond)} {
		d, err := db.Dashboard(ctx, store.DashboardQuery{This: store.Period{From: at.Add(-7 * day), To: at}, Last: store.Period{From: at.Add(-14 * day), To: at.Add(-7 * day)},
			At: at, Overdue: 1000, Upcoming: 1000})
		if err != nil {
			t.Fatal(err)
		}
		checkOverdue(t, db, d, at, 1000)
		for _, u := range d.Upcoming {
			if u.Due.Before(at) || u.OverdueAtNow {
				t.Errorf("at %v: an upcoming deadline that is overdue: %+v", at, u)
			}
		}
	}
}

// demoViews returns the views of a new demo mechanism whose scenario has
// run, once they hold every statement, and the scenario's story.
func demoViews(t *testing.T) (*store.DB, *demo.Story) {
	t.Helper()
	m, story, err := demo.Full(context.Background(), t.TempDir(), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	return m.Log.DB, story
}
