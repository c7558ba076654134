package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/report"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// TestPeriodicDetail files, after the demo's scenario, an access denial,
// an event whose place has no province, a commitment met by an action
// and one not yet met, then makes the weekly report that holds them all
// and checks each new figure against the case and commitment lists, the
// HTML and the PDF.
func TestPeriodicDetail(t *testing.T) {
	ctx := context.Background()
	m := mustDemo(t)
	db, rb := m.Log.DB, m.Log.Rulebook()
	at, err := db.LogTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	submit := func(kind, author string, when time.Time, fields map[string]any) int64 {
		t.Helper()
		msg, err := m.Sign(kind, author, when, fields)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := m.Log.Submit(ctx, msg)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		return rc.Index
	}
	event := func(accused, place string, admin []map[string]string, categories ...string) map[string]any {
		p := map[string]any{"name": place, "lat": 34.1, "lon": 71.09, "geo_precision": 2}
		if admin != nil {
			p["admin"] = admin
		}
		return map[string]any{
			"channel": "monitor", "accused": accused, "language": "en",
			"event":      map[string]any{"time": statement.FormatTime(at.Add(-time.Hour)), "precision": "exact"},
			"place":      p,
			"event_type": "strategic_developments", "sub_event_type": "other", "categories": categories,
			"summary": "Monitors turned back at <b>the gate</b> & sent home",
		}
	}
	submit(mechanism.KindReport, "monitors-field-1", at.Add(time.Minute),
		event("afghanistan", "Torkham gate", []map[string]string{{"country": "AF", "admin1": "Nangarhar"}}, report.AccessDenied))
	submit(mechanism.KindReport, "monitors-field-1", at.Add(2*time.Minute), event("pakistan", "A ridge on the frontier", nil, report.AccessDenied))
	group := map[string]any{"id": "ttp", "label": "TTP"}
	met := submit(mechanism.KindCommitment, "afghanistan-liaison-1", at.Add(3*time.Minute), map[string]any{
		"group": group, "deadline": statement.FormatTime(at.Add(48 * time.Hour)), "text": "Closes the camps named."})
	submit(mechanism.KindAction, "afghanistan-liaison-1", at.Add(4*time.Minute), map[string]any{
		"commitment": met, "group": group, "time": statement.FormatTime(at), "text": "Closed the camps named."})
	open := submit(mechanism.KindCommitment, "pakistan-liaison-1", at.Add(5*time.Minute), map[string]any{
		"group": group, "deadline": statement.FormatTime(at.Add(72 * time.Hour)), "text": "Hands over the <suspects>."})
	if err := m.Log.WaitViews(ctx, m.Log.Checkpoint().N); err != nil {
		t.Fatal(err)
	}

	date := at.In(time.FixedZone("", 5*3600)).AddDate(0, 0, 6).Format("2006-01-02")
	p, err := report.Make(ctx, db, rb, report.Weekly, date)
	if err != nil {
		t.Fatal(err)
	}
	from, to, lastFrom := statement.FormatTime(p.From), statement.FormatTime(p.To), statement.FormatTime(p.LastFrom)

	// Regions: each case of the list in its province, read here from the
	// opening report's own JSON.
	want := map[string][2]int64{}
	for i, span := range [][2]string{{from, to}, {lastFrom, from}} {
		var f store.Filter
		f.Where("from", span[0])
		f.Where("to", span[1])
		f.Where("distinct", "true")
		if err := db.Each(ctx, "cases", f, func(r store.Row) error {
			opening, _ := r["opening"].(string)
			body := opening[strings.Index(opening, "\n")+1 : strings.Index(opening, "\n\n")]
			var rep struct {
				Place struct {
					Admin []struct{ Country, Admin1 string }
				}
			}
			if err := json.Unmarshal([]byte(body), &rep); err != nil {
				return err
			}
			key := ""
			if len(rep.Place.Admin) > 0 && rep.Place.Admin[0].Admin1 != "" {
				key = rep.Place.Admin[0].Country + "/" + rep.Place.Admin[0].Admin1
			}
			n := want[key]
			n[i]++
			want[key] = n
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string][2]int64{}
	for _, c := range p.ByRegion {
		got[c.Key] = [2]int64{c.This, c.Last}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("by region %v, the case list has %v", got, want)
	}
	if n := got[""]; n[0] < 1 || p.ByRegion[len(p.ByRegion)-1].Key != "" || p.ByRegion[len(p.ByRegion)-1].Name != report.UnknownRegion {
		t.Errorf("the event with no province is not counted last as %q: %+v", report.UnknownRegion, p.ByRegion)
	}

	// Access denials: the case list's events of the category, by party.
	if !p.HasAccessCategory || len(p.AccessDenials) != 2 {
		t.Fatalf("access denials %+v, want afghanistan and pakistan", p.AccessDenials)
	}
	for _, c := range p.AccessDenials {
		this := count(t, db, "category", report.AccessDenied, "accused", c.Key, "from", from, "to", to, "distinct", "true")
		last := count(t, db, "category", report.AccessDenied, "accused", c.Key, "from", lastFrom, "to", from, "distinct", "true")
		if c.This != this || c.Last != last || this < 1 {
			t.Errorf("access denials by %s: %d and %d before, the case list has %d and %d", c.Key, c.This, c.Last, this, last)
		}
	}

	// Commitments: the commitment list's, by deadline, with its status.
	var due, done int64
	if err := db.Each(ctx, "commitments", store.Filter{}, func(r store.Row) error {
		if d, _ := r["deadline"].(string); d >= from && d < to {
			due++
			if r["status"] == mechanism.DeadlineMet {
				done++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if p.Due.This != due || p.Met.This != done || due != 2 || done != 1 {
		t.Errorf("commitments due %d, met %d; the commitment list has %d and %d (want 2 and 1)", p.Due.This, p.Met.This, due, done)
	}
	if len(p.Commitments) != 2 || p.Commitments[0].Index != met || p.Commitments[0].Status != mechanism.DeadlineMet || p.Commitments[0].Closed == nil ||
		p.Commitments[1].Index != open || p.Commitments[1].Status != mechanism.DeadlineOpen || p.Commitments[1].Closed != nil {
		t.Errorf("commitments %+v, want %d met and %d open", p.Commitments, met, open)
	}

	// The map: every event of the period has coordinates here, each
	// counted once on the point of its rounded place and standing.
	var events int64
	points := map[[2]float64]map[string]bool{}
	for _, in := range p.Incidents {
		events += in.Count
		k := [2]float64{in.Lat, in.Lon}
		if points[k] == nil {
			points[k] = map[string]bool{}
		}
		if in.Count < 1 || points[k][in.Standing] {
			t.Errorf("the map's point %+v is empty or drawn twice", in)
		}
		points[k][in.Standing] = true
	}
	if events != count(t, db, "from", from, "to", to, "distinct", "true") || p.Unlocated != 0 {
		t.Errorf("%d events on the map and %d without coordinates", events, p.Unlocated)
	}

	// The HTML shows each figure, escaped, and the same bytes again.
	b, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	again, err := report.Make(ctx, db, rb, report.Weekly, date)
	if err != nil {
		t.Fatal(err)
	}
	if b2, err := again.HTML(); err != nil || string(b2) != string(b) {
		t.Errorf("the same log size made two different reports (%v)", err)
	}
	s := string(b)
	cell := func(name string, this, last int64) string {
		return fmt.Sprintf(`<tr><td>%s</td><td class="n">%d</td><td class="n">%d</td>`, html.EscapeString(name), this, last)
	}
	for _, c := range append(append([]report.Change{}, p.ByRegion...), p.AccessDenials...) {
		if !strings.Contains(s, cell(c.Name, c.This, c.Last)) {
			t.Errorf("the report lacks the row %s", cell(c.Name, c.This, c.Last))
		}
	}
	for _, want := range []string{"(the cut-off, 19:30 in Pakistan)", cell("Due", 2, p.Due.Last), cell("Met", 1, p.Met.Last), "Nangarhar, Afghanistan",
		fmt.Sprintf(`<td class="n">%d</td><td>Afghanistan</td><td>TTP</td>`, met), `<polygon points="`, `<polyline points="`} {
		if !strings.Contains(s, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(s, "ZgotmplZ") {
		t.Error("the template refused a value it should write (ZgotmplZ)")
	}
	if n := strings.Count(s, "<circle "); n != len(p.Incidents) {
		t.Errorf("the map draws %d points of %d incidents", n, len(p.Incidents))
	}
	if strings.Count(s, "<svg ") != 3 {
		t.Errorf("the report has %d SVG images, want two charts and a map", strings.Count(s, "<svg "))
	}

	t.Logf("weekly report to %s: regions %+v; access denials %+v; commitments due %d, met %d; %d incidents", date, p.ByRegion, p.AccessDenials, p.Due.This, p.Met.This, len(p.Incidents))

	// The PDF says the same.
	pdf, err := p.PDF()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	txt, err := exec.Command("pdftotext", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, txt)
	}
	for _, want := range []string{"Events by region", "Nangarhar, Afghanistan", report.UnknownRegion, "Access denied to monitors, by party",
		"Commitments due and met", "Map of the period's incidents", fmt.Sprintf("log size %d", p.LogSize)} {
		if !strings.Contains(string(txt), want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
}
