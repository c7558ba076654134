package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// Texts the exports' fixture files: a confidential case's summary, which
// no export may hold, and texts that a spreadsheet would run as formulas
// or a feed reader as markup.
const (
	secretSummary = "CONFIDENTIAL-exports-7f3a: the sealed allegation."
	formulaText   = "=cmd|' /C calc'!A0 and <script>alert('x')</script>"
	markupTitle   = "<script>alert('feed')</script> & =HYPERLINK(\"http://evil.example\")"
	formulaPlace  = "@SUM(1+1) near Torkham"
)

// secretFigure finds the sealed report's figure, 777, as a field of its
// own (a CSV cell, a JSON value), not inside a timestamp or a coordinate.
var secretFigure = regexp.MustCompile(`(^|[,:\[])777([,}\]\r\n]|$)`)

// mustExportsFixture is the demo with, filed after its scenario, a sealed
// report of Pakistan (a confidential case), a report whose summary and
// place start formulas, and a report published under a title with
// markup.
func mustExportsFixture(t *testing.T) (*demo.Mechanism, string) {
	t.Helper()
	ctx := context.Background()
	m, _, reg := mustDemo(t, true)
	now := time.Now().UTC().Truncate(time.Second)
	before := statement.FormatTime(now.Add(-time.Hour))

	body, _ := json.Marshal(map[string]any{"mechanism": m.Log.Rulebook().ID, "kind": mechanism.KindReport, "author": "pakistan-liaison-1",
		"at": statement.FormatTime(now), "refs": []any{}, "channel": "party", "accused": "afghanistan",
		"event":      map[string]any{"time": before, "precision": "exact"},
		"place":      map[string]any{"name": "Secret post CONFIDENTIAL-exports-7f3a", "lat": 34.5, "lon": 70.5, "geo_precision": 1},
		"event_type": "battles", "sub_event_type": "armed_clash", "summary": secretSummary, "language": "en",
		"casualties": map[string]any{"sides": []any{map[string]any{"measure": "killed_combatant", "party": "pakistan", "best": 777}}}})
	salt := bytes.Repeat([]byte{9}, 32)
	msg, err := m.Sign(mechanism.KindSealed, "pakistan-liaison-1", now, map[string]any{
		"sealed_kind": mechanism.KindReport, "visibility": []string{"qatar", "turkiye"}, "digest": mechanism.SealDigest(salt, body)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.SubmitSealed(ctx, msg, salt, body); err != nil {
		t.Fatalf("the sealed report: %v", err)
	}
	if _, err := m.Submit(ctx, mechanism.KindReport, "afghanistan-liaison-1", now, map[string]any{
		"channel": "party", "accused": "pakistan", "event": map[string]any{"time": before, "precision": "day"},
		"place":      map[string]any{"name": formulaPlace, "lat": 34.1, "lon": 71.1, "geo_precision": 2},
		"event_type": "explosions_remote_violence", "sub_event_type": "shelling_artillery_missile_attack",
		"summary": formulaText, "language": "en",
		"casualties": map[string]any{"sides": []any{map[string]any{"measure": "killed_civilian", "country": "AF", "low": 2, "best": 3, "high": 4}}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Submit(ctx, mechanism.KindPublication, "qatar-investigator-1", now, map[string]any{
		"title": markupTitle, "sha256": strings.Repeat("ab", 32), "size": 10, "from": before, "to": statement.FormatTime(now),
	}); err != nil {
		t.Fatal(err)
	}
	if err := m.Log.WaitViews(ctx, m.Log.Checkpoint().N); err != nil {
		t.Fatal(err)
	}
	return m, mustServe(t, m, reg).URL
}

// download GETs url and returns its body, wanting 200 and ctype.
func download(t *testing.T, url, ctype string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
		t.Fatalf("GET %s: %d %s: %.300s", url, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return b
}

// apiCase is a case as the public list gives it.
type apiCase struct {
	ID            int64    `json:"id"`
	Summary       string   `json:"summary"`
	EventType     string   `json:"event_type"`
	SubEventType  string   `json:"sub_event_type"`
	EventAt       string   `json:"event_at"`
	Stage         string   `json:"stage"`
	Reporter      string   `json:"reporter"`
	Accused       string   `json:"accused"`
	PlaceName     string   `json:"place_name"`
	Lat           *float64 `json:"lat"`
	Lon           *float64 `json:"lon"`
	Categories    []string `json:"categories"`
	DuplicateOf   *int64   `json:"duplicate_of"`
	ReportCount   int64    `json:"report_count"`
	GeoPrecision  *int64   `json:"geo_precision"`
	EventPrecisio string   `json:"event_precision"`
}

// apiClaim is a claim as the public list gives it.
type apiClaim struct {
	Idx                                        int64
	CaseID                                     int64 `json:"case_id"`
	Body, Kind, Measure, Party, Actor, Country string
	Low, Best, High                            *int64
}

// publicCases lists the cases the public list shows for query, every
// page of it, by id.
func publicCases(t *testing.T, base, query string) map[int64]apiCase {
	t.Helper()
	out := map[int64]apiCase{}
	var page struct {
		Items []apiCase `json:"items"`
		Next  *int64    `json:"next"`
	}
	getJSON(t, base+"/api/v1/cases?limit=500"+query, 200, &page)
	for _, c := range page.Items {
		out[c.ID] = c
	}
	if page.Next != nil {
		t.Fatalf("more than 500 cases; the test reads one page")
	}
	return out
}

// readCSV reads an export with encoding/csv: its header, its HXL row and
// its rows, each by column name.
func readCSV(t *testing.T, b []byte) (header, hxl []string, rows []map[string]string) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	if len(recs) < 2 {
		t.Fatalf("the CSV has %d records; want a header and an HXL row at least", len(recs))
	}
	header, hxl = recs[0], recs[1]
	for _, r := range recs[2:] {
		m := map[string]string{}
		for i, v := range r {
			m[header[i]] = v
		}
		rows = append(rows, m)
	}
	return header, hxl, rows
}

// noFormula fails if a cell of a CSV file would start a formula in a
// spreadsheet (OWASP, CSV injection): a cell starting with =, +, @, a
// tab or a carriage return, or with - and not a number.
func noFormula(t *testing.T, name string, b []byte) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		for j, v := range r {
			s := strings.TrimLeft(v, " ")
			if s == "" {
				continue
			}
			if strings.ContainsRune("=+@\t\r", rune(s[0])) {
				t.Errorf("%s: record %d, column %d starts a formula: %q", name, i+1, j+1, v)
			}
			if _, err := strconv.ParseFloat(s, 64); s[0] == '-' && err != nil {
				t.Errorf("%s: record %d, column %d starts a formula: %q", name, i+1, j+1, v)
			}
		}
	}
}

// TestExportCasesCSV reads /export/cases.csv back with encoding/csv: a
// header, an HXL row, and one row per case of the public list, whose
// values are the API's; each claimant's figures in columns of their own,
// as the claims list gives them; a text that would start a formula
// neutralised; the confidential case absent.
func TestExportCasesCSV(t *testing.T) {
	_, base := mustExportsFixture(t)
	cases := publicCases(t, base, "")
	b := download(t, base+"/export/cases.csv", "text/csv")
	header, hxl, rows := readCSV(t, b)
	if header[0] != "id" || hxl[0] != "#event+id" || !slices.Contains(hxl, "#geo+lat") || !slices.Contains(hxl, "#geo+lon") ||
		!slices.Contains(hxl, "#loc+name") || !slices.Contains(hxl, "#adm1+name") || !slices.Contains(hxl, "#date+occurred") {
		t.Fatalf("header %q\nHXL %q", header, hxl)
	}
	for i, tag := range hxl {
		if !strings.HasPrefix(tag, "#") || strings.ContainsAny(tag, " -") {
			t.Errorf("column %s: HXL tag %q", header[i], tag)
		}
	}
	if len(rows) != len(cases) || len(cases) < 12 {
		t.Fatalf("%d rows; the public list has %d cases", len(rows), len(cases))
	}
	seen := map[int64]bool{}
	for _, r := range rows {
		id, _ := strconv.ParseInt(r["id"], 10, 64)
		c, ok := cases[id]
		if !ok || seen[id] {
			t.Fatalf("row %v: not a case of the public list, or twice", r)
		}
		seen[id] = true
		summary := c.Summary
		if strings.HasPrefix(summary, "=") {
			summary = "'" + summary
		}
		if r["summary"] != summary || r["event_type"] != c.EventType || r["sub_event_type"] != c.SubEventType || r["stage"] != c.Stage ||
			r["reporter"] != c.Reporter || r["accused"] != c.Accused || r["event_time"] != c.EventAt || r["categories"] != strings.Join(c.Categories, ";") ||
			r["url"] != fmt.Sprintf("%s/cases/%d", base, id) || r["reports"] != strconv.FormatInt(c.ReportCount, 10) {
			t.Errorf("case %d: row %v\nAPI %+v", id, r, c)
		}
		if c.Lat != nil && (r["latitude"] != strconv.FormatFloat(*c.Lat, 'f', -1, 64) || r["longitude"] != strconv.FormatFloat(*c.Lon, 'f', -1, 64)) {
			t.Errorf("case %d: at %s, %s; the API says %v, %v", id, r["latitude"], r["longitude"], *c.Lat, *c.Lon)
		}
		if (c.DuplicateOf == nil) != (r["duplicate_of"] == "") {
			t.Errorf("case %d: duplicate_of %q; the API says %v", id, r["duplicate_of"], c.DuplicateOf)
		}
	}
	// Every figure of the claims list is in its claimant's column, the
	// latest statement's of each claimant, measure and side.
	var claims struct{ Items []apiClaim }
	getJSON(t, base+"/api/v1/claims?limit=500", 200, &claims)
	if len(claims.Items) < 20 {
		t.Fatalf("%d claims", len(claims.Items))
	}
	byID := map[string]map[string]string{}
	for _, r := range rows {
		byID[r["id"]] = r
	}
	checked := map[string]bool{}
	for _, cl := range claims.Items { // newest first: the first of each column is the latest
		whose := cl.Party + cl.Actor + cl.Country
		col := cl.Measure + "_of_" + whose + "_per_" + cl.Body
		key := strconv.FormatInt(cl.CaseID, 10) + " " + col
		if checked[key] {
			continue
		}
		checked[key] = true
		if got := byID[strconv.FormatInt(cl.CaseID, 10)][col]; got != strconv.FormatInt(*cl.Best, 10) {
			t.Errorf("case %d, %s: %q; the claims list says %d", cl.CaseID, col, got, *cl.Best)
		}
	}
	// Case 15: each side's own figures, apart.
	r15 := byID["15"]
	if r15["killed_combatant_of_afghanistan_per_pakistan"] != "200" || r15["killed_combatant_of_pakistan_per_pakistan"] != "23" ||
		r15["killed_combatant_of_pakistan_per_afghanistan"] != "58" || r15["killed_combatant_of_afghanistan_per_afghanistan"] != "9" {
		t.Errorf("case 15's figures: %v", r15)
	}
	i := slices.Index(header, "killed_combatant_of_afghanistan_per_pakistan")
	if i < 0 || hxl[i] != "#affected+killed+combatant+of_afghanistan+per_pakistan" {
		t.Errorf("the HXL tag of Pakistan's figure of Afghan combatants killed: %v", i)
	}

	var injected map[string]string
	for _, r := range rows {
		if strings.Contains(r["summary"], "cmd|") {
			injected = r
		}
	}
	if injected == nil || injected["summary"] != "'"+formulaText || injected["location"] != "'"+formulaPlace {
		t.Errorf("the formula is not neutralised: %v", injected)
	}
	noFormula(t, "cases.csv", b)
	if bytes.Contains(b, []byte("CONFIDENTIAL")) || secretFigure.Match(b) {
		t.Errorf("cases.csv holds the confidential case")
	}
}

// TestExportFilters: the exports take the case list's filters and select
// what the list selects; a filter the list refuses, they refuse alike.
func TestExportFilters(t *testing.T) {
	_, base := mustExportsFixture(t)
	for _, q := range []string{"party=afghanistan", "stage=published", "type=battles&distinct=true", "bbox=66,30,67,31.5", "from=2025-11-01T00:00:00Z"} {
		want := publicCases(t, base, "&"+q)
		_, _, rows := readCSV(t, download(t, base+"/export/cases.csv?"+q, "text/csv"))
		var got []int64
		for _, r := range rows {
			id, _ := strconv.ParseInt(r["id"], 10, 64)
			got = append(got, id)
			if _, ok := want[id]; !ok {
				t.Errorf("%s: case %d is not in the list", q, id)
			}
		}
		if len(got) != len(want) || len(want) == 0 {
			t.Errorf("%s: %d rows; the list has %d", q, len(got), len(want))
		}
		acled := download(t, base+"/export/acled.csv?"+q, "text/csv")
		if recs, _ := csv.NewReader(bytes.NewReader(acled)).ReadAll(); len(recs)-1 != len(want) {
			t.Errorf("%s: acled.csv has %d rows; the list has %d", q, len(recs)-1, len(want))
		}
	}
	for _, path := range []string{"/export/cases.csv", "/export/cases.geojson", "/export/acled.csv"} {
		for _, q := range []string{"bogus=1", "stage=nosuchstage", "actor=nobody-known", "limit=0"} {
			status, b := getWithToken(t, base+path+"?"+q, "")
			listStatus, lb := getWithToken(t, base+"/api/v1/cases?"+q, "")
			if status != 400 || listStatus != 400 || !bytes.Equal(b, lb) {
				t.Errorf("%s?%s: %d %s; the list says %d %s", path, q, status, b, listStatus, lb)
			}
		}
	}
}

// TestExportCasesGeoJSON reads /export/cases.geojson back with orb's
// geojson: a FeatureCollection of one Feature per public case, a Point at
// its place, with the CSV's columns as properties.
func TestExportCasesGeoJSON(t *testing.T) {
	_, base := mustExportsFixture(t)
	cases := publicCases(t, base, "")
	b := download(t, base+"/export/cases.geojson", "application/geo+json")
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatalf("the GeoJSON does not parse: %v", err)
	}
	if len(fc.Features) != len(cases) {
		t.Fatalf("%d features; the public list has %d cases", len(fc.Features), len(cases))
	}
	header, _, _ := readCSV(t, download(t, base+"/export/cases.csv", "text/csv"))
	located := 0
	for _, f := range fc.Features {
		id := int64(f.Properties.MustFloat64("id"))
		c, ok := cases[id]
		if !ok {
			t.Fatalf("feature %d is not a public case", id)
		}
		if len(f.Properties) != len(header) {
			t.Errorf("case %d: %d properties; the CSV has %d columns", id, len(f.Properties), len(header))
		}
		for _, h := range header {
			if _, ok := f.Properties[h]; !ok {
				t.Errorf("case %d: no property %s", id, h)
			}
		}
		if f.Properties.MustString("summary") != c.Summary || f.Properties.MustString("event_type") != c.EventType {
			t.Errorf("case %d: %v; the API says %+v", id, f.Properties, c)
		}
		if c.Lat == nil {
			if f.Geometry != nil {
				t.Errorf("case %d has no coordinates; its geometry is %v", id, f.Geometry)
			}
			continue
		}
		located++
		p, ok := f.Geometry.(orb.Point)
		if !ok || math.Abs(p.Lat()-*c.Lat) > 1e-9 || math.Abs(p.Lon()-*c.Lon) > 1e-9 {
			t.Errorf("case %d: geometry %v; the API says %v, %v", id, f.Geometry, c.Lat, c.Lon)
		}
	}
	if located < 10 {
		t.Errorf("%d cases have a Point", located)
	}
	if bytes.Contains(b, []byte("CONFIDENTIAL")) || secretFigure.Match(b) {
		t.Errorf("cases.geojson holds the confidential case")
	}
}

// acledHeader is ACLED's data export's columns, in its order (see
// report.ACLEDColumns), written out here so that the test holds the code
// to them.
var acledHeader = []string{"event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
	"actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "civilian_targeting",
	"iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
	"source", "source_scale", "notes", "fatalities", "tags", "timestamp"}

// TestExportACLED: /export/acled.csv has exactly ACLED's columns, in
// their order, one row per public case in ACLED's vocabulary; where the
// claimants' figures disagree, the lowest with the dispute in notes and
// tags.
func TestExportACLED(t *testing.T) {
	m, base := mustExportsFixture(t)
	cases := publicCases(t, base, "")
	b := download(t, base+"/export/acled.csv", "text/csv")
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], acledHeader) {
		t.Fatalf("header %q\nACLED's %q", recs[0], acledHeader)
	}
	if len(recs)-1 != len(cases) {
		t.Fatalf("%d rows; %d public cases", len(recs)-1, len(cases))
	}
	names := map[string]bool{}
	for _, et := range mechanism.EventTypes {
		for _, s := range et.SubTypes {
			names[et.Name+"/"+s.Name] = true
		}
	}
	rows := map[string]map[string]string{}
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, v := range r {
			m[acledHeader[i]] = v
		}
		rows[strings.TrimLeft(m["event_id_cnty"], "ABCDEFGHIJKLMNOPQRSTUVWXYZ")] = m
		if !names[m["event_type"]+"/"+m["sub_event_type"]] {
			t.Errorf("%s: %q / %q are not ACLED's", m["event_id_cnty"], m["event_type"], m["sub_event_type"])
		}
		if _, err := time.Parse("2006-01-02", m["event_date"]); err != nil || m["year"] != m["event_date"][:4] {
			t.Errorf("%s: date %q, year %q", m["event_id_cnty"], m["event_date"], m["year"])
		}
		if n, err := strconv.Atoi(m["fatalities"]); err != nil || n < 0 {
			t.Errorf("%s: fatalities %q", m["event_id_cnty"], m["fatalities"])
		}
	}
	for id, c := range cases {
		r, ok := rows[strconv.FormatInt(id, 10)]
		if !ok {
			t.Fatalf("case %d is not in acled.csv", id)
		}
		if c.Lat != nil && r["latitude"] != strconv.FormatFloat(*c.Lat, 'f', -1, 64) || r["location"] != strings.TrimPrefix(r["location"], "'") && !strings.HasPrefix(c.PlaceName, "@") {
			t.Errorf("case %d: %v", id, r)
		}
	}
	// Case 15: Pakistan says 23 of its soldiers and 200 Afghans were
	// killed, Afghanistan 58 Pakistanis and 9 of its own: 67 is the
	// lowest.
	r := rows["15"]
	if !strings.HasSuffix(r["event_id_cnty"], "15") || r["fatalities"] != "67" || r["tags"] != "disputed fatalities" ||
		!strings.Contains(r["notes"], "Fatalities disputed: Pakistan 223; Afghanistan 67; the lowest is given.") ||
		r["actor1"] == "" || r["inter1"] != "1" || r["disorder_type"] != "Political violence" {
		t.Errorf("case 15: %v", r)
	}
	// A case at a place of the gazetteer has its country and provinces.
	withCountry := 0
	for _, r := range rows {
		if r["country"] != "" && !strings.HasPrefix(r["location"], "'") { // the fixture's own report gives no provinces
			withCountry++
			if r["iso"] == "" || r["region"] != "South Asia" || r["admin1"] == "" || !strings.HasPrefix(r["event_id_cnty"], map[string]string{"Pakistan": "PAK", "Afghanistan": "AFG"}[r["country"]]) {
				t.Errorf("%s: country %q, iso %q, region %q, admin1 %q", r["event_id_cnty"], r["country"], r["iso"], r["region"], r["admin1"])
			}
		}
	}
	if withCountry == 0 {
		t.Errorf("no case has a country")
	}
	// event_date is the date where the event happened: in the rulebook's
	// zone of the event's country (Pakistan +05:00, Afghanistan +04:30),
	// which differs from the UTC date for an event late in the UTC day.
	zones := map[string]*time.Location{}
	for _, z := range m.Log.Rulebook().TimeZones {
		zones[z.Name], _ = z.Location()
	}
	crossed := 0
	for id, c := range cases {
		r := rows[strconv.FormatInt(id, 10)]
		at, err := statement.ParseTime(c.EventAt)
		if err != nil {
			t.Fatalf("case %d: event_at %q", id, c.EventAt)
		}
		loc := zones[r["country"]]
		if loc == nil {
			loc = time.UTC
		}
		if want := at.In(loc).Format("2006-01-02"); r["event_date"] != want {
			t.Errorf("case %d at %s in %q: event_date %s, want %s", id, c.EventAt, r["country"], r["event_date"], want)
		}
		if at.In(loc).Day() != at.UTC().Day() {
			crossed++
		}
	}
	if crossed == 0 {
		t.Error("no case's local date differs from its UTC date: the test of event_date proves nothing")
	}
	noFormula(t, "acled.csv", b)
	if bytes.Contains(b, []byte("CONFIDENTIAL")) || secretFigure.Match(b) {
		t.Errorf("acled.csv holds the confidential case")
	}
}

// atomFeed is the Atom feed as this test reads it back.
type atomFeed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Updated string   `xml:"updated"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Summary string `xml:"summary"`
		Content string `xml:"content"`
	} `xml:"entry"`
}

// TestFeedAtom parses /feed.atom back with encoding/xml: the demo's
// published finding, linked to its case's page, and its reports, newest
// first, each with a tag URI for an id; a title with markup comes back as
// the text it was, and the feed's bytes hold no markup of it.
func TestFeedAtom(t *testing.T) {
	_, base := mustExportsFixture(t)
	b := download(t, base+"/feed.atom", "application/atom+xml")
	var f atomFeed
	if err := xml.Unmarshal(b, &f); err != nil {
		t.Fatalf("the feed does not parse: %v\n%s", err, b)
	}
	if !strings.HasPrefix(f.ID, "tag:sulh.local,2025-") || f.Updated == "" || len(f.Entries) != 3 {
		t.Fatalf("feed %s updated %s with %d entries:\n%s", f.ID, f.Updated, len(f.Entries), b)
	}
	var finding, markup, demoReport bool
	for i, e := range f.Entries {
		u, err := time.Parse(time.RFC3339, e.Updated)
		if err != nil || !strings.HasPrefix(e.ID, "tag:sulh.local,") {
			t.Errorf("entry %d: id %q, updated %q", i, e.ID, e.Updated)
		}
		if i > 0 {
			prev, _ := time.Parse(time.RFC3339, f.Entries[i-1].Updated)
			if u.After(prev) {
				t.Errorf("entry %d is newer than the one before it", i)
			}
		}
		switch {
		case strings.HasSuffix(e.ID, ":pak-afg-2025/finding/46"):
			// As docs/api.md shows it: updated when case 32 was
			// published, by the statement at index 53.
			finding = len(e.Links) > 0 && e.Links[0].Href == base+"/cases/32" && e.Title == "Case 32: finding attributed to Pakistan (low confidence)" &&
				strings.Contains(e.Content, "ILLUSTRATIVE") && e.Updated == "2025-11-17T11:00:00Z"
		case strings.HasSuffix(e.ID, ":pak-afg-2025/publication/60"):
			demoReport = strings.HasPrefix(e.Title, "Demo periodic summary")
		case e.Title == markupTitle:
			markup = true
		}
	}
	if !finding || !markup || !demoReport {
		t.Errorf("finding %v, markup title %v, demo report %v:\n%s", finding, markup, demoReport, b)
	}
	if bytes.Contains(b, []byte("<script>")) || !bytes.Contains(b, []byte("&lt;script&gt;")) {
		t.Errorf("the title's markup is not escaped:\n%s", b)
	}
	if bytes.Contains(b, []byte("CONFIDENTIAL")) {
		t.Errorf("the feed holds the confidential case")
	}
}
