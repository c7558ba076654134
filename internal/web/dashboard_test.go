package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/web"
)

// dashGet fetches u and returns its status and body.
func dashGet(t *testing.T, u string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// apiCount counts the cases GET /api/v1/cases lists for q, every page.
func apiCount(t *testing.T, base string, q url.Values) int {
	t.Helper()
	return apiListCount(t, base, "cases", q)
}

// apiListCount counts what GET /api/v1/LIST?q lists, page after page.
func apiListCount(t *testing.T, base, list string, q url.Values) int {
	t.Helper()
	q.Set("limit", "500")
	n := 0
	for {
		code, body := dashGet(t, base+"/api/v1/"+list+"?"+q.Encode())
		if code != 200 {
			t.Fatalf("GET /api/v1/%s?%s: %d %s", list, q.Encode(), code, body)
		}
		var page struct {
			Items []map[string]any `json:"items"`
			Next  *int64           `json:"next"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		n += len(page.Items)
		if page.Next == nil {
			return n
		}
		q.Set("before", strconv.FormatInt(*page.Next, 10))
	}
}

var (
	windowRe  = regexp.MustCompile(`id="window" data-from="([^"]+)" data-to="([^"]+)" data-last-from="([^"]+)"`)
	partyRe   = regexp.MustCompile(`<tr data-body="([a-z0-9_-]+)"><th scope="row" dir="auto">[^<]*</th><td class="this" data-n="(\d+)">.*?<td class="last" data-n="(\d+)">`)
	overdueRe = regexp.MustCompile(`<p id="overdue" data-n="(\d+)"[^>]*><a href="([^"]+)">`)
	allRe     = regexp.MustCompile(`<tr data-standing="([a-z]+)">.*?<td class="all" data-n="(\d+)">`)
)

// TestDashboardFigures: the front page's figures for the demo, in each
// period, are those the API gives for the same filter: each party's
// reports of the period and the one before, and the cases by standing on
// the whole record; none is empty for the demo's last week.
func TestDashboardFigures(t *testing.T) {
	m, story, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	// The README says where the demo's period ends: its log's time.
	end := fmt.Sprintf("%d %s %d", story.End.Day(), story.End.Month(), story.End.Year())
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"the week to " + end, "(the demo's: " + end + ")"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not say %q: the demo's log ends on %s", want, end)
		}
	}
	if _, page := dashGet(t, srv.URL+"/?lang=en"); !strings.Contains(page, "to "+end+", compared") {
		t.Errorf("the dashboard's week does not end on %s", end)
	}
	for _, period := range []string{"day", "week", "month"} {
		code, page := dashGet(t, srv.URL+"/?lang=en&period="+period)
		if code != 200 {
			t.Fatalf("GET /?period=%s: %d\n%s", period, code, page)
		}
		w := windowRe.FindStringSubmatch(page)
		if w == nil {
			t.Fatalf("period %s: the page does not say its period", period)
		}
		parties := partyRe.FindAllStringSubmatch(page, -1)
		if len(parties) < 2 {
			t.Fatalf("period %s: %d rows of reports by party", period, len(parties))
		}
		total := 0
		for _, p := range parties {
			this, _ := strconv.Atoi(p[2])
			last, _ := strconv.Atoi(p[3])
			total += this
			if want := apiCount(t, srv.URL, url.Values{"reporter": {p[1]}, "from": {w[1]}, "to": {w[2]}, "distinct": {"true"}}); this != want {
				t.Errorf("period %s: %s reported %d this period on the page, %d in the API", period, p[1], this, want)
			}
			if want := apiCount(t, srv.URL, url.Values{"reporter": {p[1]}, "from": {w[3]}, "to": {w[1]}, "distinct": {"true"}}); last != want {
				t.Errorf("period %s: %s reported %d the period before on the page, %d in the API", period, p[1], last, want)
			}
		}
		if period == "week" && total == 0 {
			t.Errorf("the demo's last week shows no report")
		}
		for _, s := range allRe.FindAllStringSubmatch(page, -1) {
			n, _ := strconv.Atoi(s[2])
			if want := apiCount(t, srv.URL, url.Values{"standing": {s[1]}, "distinct": {"true"}}); n != want {
				t.Errorf("%s cases on the record: %d on the page, %d in the API", s[1], n, want)
			}
		}
		if !strings.Contains(page, `data-standing="verified"`) || !strings.Contains(page, `data-days=`) {
			t.Errorf("period %s: no verified case, or no days since one", period)
		}
	}
	// Names of the parties come from the rulebook.
	_, page := dashGet(t, srv.URL+"/?lang=en")
	for _, b := range m.Log.Rulebook().Bodies {
		if b.Type == mechanism.BodyParty && !strings.Contains(page, ">"+b.Name+"<") {
			t.Errorf("the page does not name the party %q", b.Name)
		}
	}
	// The count of overdue deadlines links to the API's list of them all:
	// two months after the demo's end, when its open deadlines are past.
	_, later := dashGet(t, srv.URL+"/?lang=en&at="+story.End.AddDate(0, 2, 0).Format("2006-01-02"))
	overdue := overdueRe.FindStringSubmatch(later)
	if overdue == nil {
		i := strings.Index(later, `<p id="overdue"`)
		t.Fatalf("the dashboard does not link its count of overdue deadlines to their list: %.200s", later[max(i, 0):])
	}
	link, err := url.Parse(html.UnescapeString(overdue[2]))
	if err != nil || link.Path != "/api/v1/deadlines" {
		t.Fatalf("the overdue deadlines' link: %q (%v)", overdue[2], err)
	}
	if n, _ := strconv.Atoi(overdue[1]); n == 0 || apiListCount(t, srv.URL, "deadlines", link.Query()) != n {
		t.Errorf("the dashboard counts %s overdue deadlines; its link %s lists %d", overdue[1], link, apiListCount(t, srv.URL, "deadlines", link.Query()))
	}
	for _, bad := range []string{"period=year", "at=yesterday", "at=2025-12-01&at=2025-12-02", "period=day&period=week"} {
		if code, _ := dashGet(t, srv.URL+"/?"+bad); code != 400 {
			t.Errorf("GET /?%s: %d, want 400", bad, code)
		}
	}
	if code, page := dashGet(t, srv.URL+"/?at=2025-10-26&lang=en"); code != 200 || !strings.Contains(page, "26 October 2025") {
		t.Errorf("GET /?at=2025-10-26: %d, or the page does not end its period on that day", code)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// TestDashboardAndMapEscape: a report whose every text holds script and
// HTML shows on the dashboard and the map as text; the map answers htmx
// with its list alone, and refuses what it does not take.
func TestDashboardAndMapEscape(t *testing.T) {
	m, story, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	const evil = `<script>alert(1)</script>"><img src=x onerror=alert(1)>`
	r := demo.SampleReport(evil, "afghanistan", story.End.Add(-time.Hour))
	r["place"] = map[string]any{"name": evil, "lat": 34.1, "lon": 71.1, "geo_precision": 1}
	if _, err := m.Submit(context.Background(), mechanism.KindReport, "pakistan-liaison-1", story.End.Add(time.Minute), r); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"/?lang=en", "/map?lang=en", "/map?lang=en&period=week"} {
		code, page := dashGet(t, srv.URL+u)
		if code != 200 || strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
			t.Errorf("GET %s: %d, or the report's text is not escaped", u, code)
		}
		if u != "/?lang=en" && !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("GET %s does not show the report's text as text", u)
		}
	}
	code, part := dashGet(t, srv.URL+"/map?lang=en&status=pending", "HX-Request", "true")
	if code != 200 || !strings.HasPrefix(part, `<section id="incidents"`) || strings.Contains(part, "<html") || !strings.Contains(part, "standing=pending") {
		t.Errorf("the map's list for htmx: %d\n%.300s", code, part)
	}
	for _, bad := range []string{"status=lost", "period=year", "party=nobody", "zz=1", "type=a&type=b", "category=nothing"} {
		if code, _ := dashGet(t, srv.URL+"/map?"+bad); code != 400 {
			t.Errorf("GET /map?%s: %d, want 400", bad, code)
		}
	}
}

// TestTilesCSP: without tiles, the pages' policy lets images come from
// this server only; with them, from the tile server too and no other; a
// template that is not an https URL with {z}, {x} and {y} is refused.
func TestTilesCSP(t *testing.T) {
	m, _, reg := mustDemo(t, false)
	s := web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg)
	srv := httptest.NewServer(s)
	defer srv.Close()
	csp := func() (string, string) {
		resp, err := http.Get(srv.URL + "/map")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.Header.Get("Content-Security-Policy"), string(b)
	}
	if p, page := csp(); !strings.Contains(p, "img-src 'self' data: blob:;") || strings.Contains(page, "data-tiles") {
		t.Errorf("without tiles: %q, data-tiles in the page: %v", p, strings.Contains(page, "data-tiles"))
	}
	for _, bad := range []string{"http://tile.example.org/{z}/{x}/{y}.png", "https://tile.example.org/{z}/{x}.png", "https://tile.example.org/{z}/{x}/{y}.png'; script-src *",
		"https://{s}.tile.example.org/{z}/{x}/{y}.png", "javascript:alert(1)//{z}{x}{y}", "https://user@tile.example.org/{z}/{x}/{y}.png"} {
		if err := s.UseTiles(bad); err == nil {
			t.Errorf("UseTiles(%q) is accepted", bad)
		}
	}
	if err := s.UseTiles("https://tile.example.org/{z}/{x}/{y}.png"); err != nil {
		t.Fatal(err)
	}
	if p, page := csp(); !strings.Contains(p, "img-src 'self' data: blob: https://tile.example.org;") || !strings.Contains(page, `data-tiles="https://tile.example.org/{z}/{x}/{y}.png"`) {
		t.Errorf("with tiles: %q", p)
	}
}
