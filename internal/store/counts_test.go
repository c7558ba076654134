package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/store"
)

// caseCounts reads the dashboard's counts as the views keep them
// (case_counts and standing_counts), and as they are by definition,
// counted here from every case and its categories: each case that is not
// a duplicate, by hour of event time, reporter, category (” for the case
// itself) and standing.
func caseCounts(t *testing.T, dir string) (kept, want string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+store.ViewsFile(filepath.Join(dir, datadir.DatabaseFile))+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dump := func(query string) string {
		rows, err := db.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var hour, reporter, category, standing string
			var n int64
			if err := rows.Scan(&hour, &reporter, &category, &standing, &n); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %s %q %s %d\n", hour, reporter, category, standing, n)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	kept = dump(`SELECT hour, reporter, category, standing, n FROM case_counts
		UNION ALL SELECT '*', '*', '*', standing, n FROM standing_counts ORDER BY 1, 2, 3, 4`)
	want = dump(`SELECT substr(event_at, 1, 13), reporter, '', standing, COUNT(*) FROM cases WHERE duplicate_of IS NULL
			GROUP BY 1, 2, 4
		UNION ALL SELECT substr(c.event_at, 1, 13), c.reporter, k.category, c.standing, COUNT(*)
			FROM cases c JOIN case_categories k ON k.case_id = c.id WHERE c.duplicate_of IS NULL GROUP BY 1, 2, 3, 4
		UNION ALL SELECT '*', '*', '*', standing, COUNT(*) FROM cases WHERE duplicate_of IS NULL GROUP BY standing
		ORDER BY 1, 2, 3, 4`)
	return kept, want
}

// TestCaseCounts holds the counts the follower keeps for the dashboard to
// what the cases are, after every step of the demo and of cases that move:
// a report that stands pending, a second filing of it linked as a
// duplicate after the fact and unlinked again, a case closed as out of
// scope (pending to closed), the demo's case taken to published (pending
// to verified); and the views rebuilt from the log hold the same counts,
// row for row, as those kept one statement at a time.
func TestCaseCounts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, err := demo.Create(ctx, dir, mechanism.DefaultRulebook, demo.Start, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Log.Close()
	if err := m.Members(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(step string) string {
		t.Helper()
		if err := m.Log.WaitViews(ctx, m.Log.Checkpoint().N); err != nil {
			t.Fatal(err)
		}
		kept, want := caseCounts(t, dir)
		if kept != want {
			t.Fatalf("%s: the views keep the counts\n%s\nthe cases count\n%s", step, kept, want)
		}
		return kept
	}
	check("no case")
	story, err := m.Scenario(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all := check("the demo's scenario")
	if !strings.Contains(all, `"*" verified`) || !strings.Contains(all, `"*" pending`) {
		t.Fatalf("the demo has no verified or no pending case:\n%s", all)
	}

	at := story.End
	file := func(kind, author string, fields map[string]any) int64 {
		t.Helper()
		at = at.Add(10 * time.Minute)
		r, err := m.Submit(ctx, kind, author, at, fields)
		if err != nil {
			t.Fatalf("a %s by %s: %v", kind, author, err)
		}
		return r.Index
	}
	standing := func(id int64) string {
		t.Helper()
		if err := m.Log.WaitViews(ctx, m.Log.Checkpoint().N); err != nil {
			t.Fatal(err)
		}
		c, err := m.Log.DB.Case(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(c["standing"], " ", c["duplicate_of"])
	}
	report := func() map[string]any {
		return map[string]any{
			"channel": "party", "accused": "afghanistan",
			"event":      map[string]any{"time": at.Add(-3 * time.Hour).Format(time.RFC3339), "precision": "exact"},
			"place":      map[string]any{"name": "Badani area, Chaman", "lat": 30.92, "lon": 66.45, "geo_precision": 2},
			"event_type": "explosions_remote_violence", "sub_event_type": "shelling_artillery_missile_attack",
			"categories": []string{"cross_border_fire"},
			"summary":    "Mortars fired into the Badani area near Chaman.", "language": "en",
		}
	}
	first := file(mechanism.KindReport, "pakistan-liaison-1", report())
	check("a report")
	again := file(mechanism.KindReport, "pakistan-liaison-1", report())
	check("the report filed again")
	file(mechanism.KindCaseLink, "monitors-field-1", map[string]any{"case": again, "other": first, "relation": "duplicate",
		"stands": first, "text": "One event filed twice."})
	if s := standing(again); !strings.HasSuffix(s, fmt.Sprint(first)) {
		t.Fatalf("case %d after the link: %s", again, s)
	}
	check("the second filing linked as a duplicate")
	// The dashboard's small map shows the period's latest events, each
	// once: the first filing, not the duplicate; and no more than asked.
	period := store.Period{From: at.Add(-24 * time.Hour), To: at}
	rows, err := m.Log.DB.PeriodCases(ctx, period, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || rows[0]["id"] != first {
		t.Fatalf("the period's latest cases: %v, want case %d first and not case %d", rows, first, again)
	}
	prev := ""
	for i, r := range rows {
		c, err := m.Log.DB.Case(ctx, r["id"].(int64))
		if err != nil {
			t.Fatal(err)
		}
		ev := c["event_at"].(string)
		if r["id"] == again || c["duplicate_of"] != nil || r["standing"] != c["standing"] || i > 0 && ev > prev {
			t.Errorf("the period's cases, latest first, no duplicate: %d: %v (case %v)", i, r, c)
		}
		prev = ev
	}
	if one, err := m.Log.DB.PeriodCases(ctx, period, 1); err != nil || len(one) != 1 {
		t.Errorf("PeriodCases with a limit of 1: %d rows, %v", len(one), err)
	}
	file(mechanism.KindCaseUnlink, "monitors-field-1", map[string]any{"case": again, "other": first,
		"text": "Two events after all."})
	if s := standing(again); s != "pending <nil>" {
		t.Fatalf("case %d after the unlink: %s", again, s)
	}
	check("the duplicate unlinked")
	file(mechanism.KindCaseClose, "qatar-investigator-1", map[string]any{"case": first, "reason": mechanism.CloseNotAViolation, "note": "A drill."})
	if s := standing(first); s != "closed <nil>" {
		t.Fatalf("case %d after it was closed: %s", first, s)
	}
	check("a case closed")
	third := file(mechanism.KindReport, "pakistan-liaison-1", report())
	file(mechanism.KindCaseLink, "monitors-field-1", map[string]any{"case": third, "other": again, "relation": "duplicate",
		"stands": again, "text": "One event filed twice."})
	if s := standing(third); !strings.HasSuffix(s, fmt.Sprint(again)) {
		t.Fatalf("case %d after the link: %s", third, s)
	}
	incremental := check("a third filing linked as a duplicate")

	// The views rebuilt from the log, in one pass, hold the same counts.
	if _, err := m.Log.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if rebuilt := check("the views rebuilt"); rebuilt != incremental {
		t.Fatalf("rebuilt from the log the views count\n%s\nkept as the log grew\n%s", rebuilt, incremental)
	}
}

// TestCounts holds the counts by party, category, status and stage, on
// the demo's views, to the case list: each case counted under its
// reporter, its accused and its categories, status and stage, but a case
// linked as a duplicate of another counted only among its reporter's
// duplicates; a body accused only in duplicates listed with none.
func TestCounts(t *testing.T) {
	ctx := context.Background()
	db, _ := demoViews(t)
	type party struct{ reported, accused, duplicates int64 }
	parties := map[string]*party{}
	of := func(b string) *party {
		if parties[b] == nil {
			parties[b] = &party{}
		}
		return parties[b]
	}
	want := store.CaseCounts{ByCategory: map[string]int64{}, ByStatus: map[string]int64{}, ByStage: map[string]int64{}}
	duplicates := 0
	if err := db.Each(ctx, "cases", store.Filter{}, func(r store.Row) error {
		reporter, accused := of(r["reporter"].(string)), (*party)(nil)
		if a := r["accused"].(string); a != "" {
			accused = of(a)
		}
		if r["duplicate_of"] != nil {
			reporter.duplicates++
			duplicates++
			return nil
		}
		reporter.reported++
		if accused != nil {
			accused.accused++
		}
		want.ByStatus[r["status"].(string)]++
		want.ByStage[r["stage"].(string)]++
		var cats []string
		if err := json.Unmarshal(r["categories"].(json.RawMessage), &cats); err != nil {
			return err
		}
		slices.Sort(cats)
		for _, c := range slices.Compact(cats) {
			want.ByCategory[c]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if duplicates == 0 {
		t.Fatal("the demo has no case linked as a duplicate")
	}
	var wantParties []store.Counts
	for _, b := range slices.Sorted(maps.Keys(parties)) {
		p := parties[b]
		wantParties = append(wantParties, store.Counts{Body: b, Reported: p.reported, Accused: p.accused, Duplicates: p.duplicates})
	}
	counts, err := db.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := db.CaseCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	allCounts, allCases, err := db.AllCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []any{counts, allCounts} {
		if !reflect.DeepEqual(got, wantParties) {
			t.Errorf("counts by party:\n%+v\nwant\n%+v", got, wantParties)
		}
	}
	for _, got := range []store.CaseCounts{cases, allCases} {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("counts by category, status and stage:\n%+v\nwant\n%+v", got, want)
		}
	}
}
