package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/report"
	"github.com/sulh-project/sulh/internal/web"
)

// TestPeriodicReportPublished serves the demo's monthly report twice
// (the same bytes), has a mediator publish its SHA-256 and size, and
// checks the log's publication against the bytes served.
func TestPeriodicReportPublished(t *testing.T) {
	ctx := context.Background()
	m, _, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	get := func(path string) ([]byte, http.Header) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return b, resp.Header
	}
	const path = "/reports/monthly/2025-11-15.html"
	a, h := get(path)
	b, _ := get(path)
	if !bytes.Equal(a, b) {
		t.Fatal("the same log size served two different reports")
	}
	pa, ph := get("/reports/monthly/2025-11-15.pdf")
	pb, _ := get("/reports/monthly/2025-11-15.pdf")
	if !bytes.Equal(pa, pb) || !bytes.HasPrefix(pa, []byte("%PDF-")) || ph.Get("Content-Type") != "application/pdf" || ph.Get("X-Log-Size") != h.Get("X-Log-Size") {
		t.Errorf("the PDF served twice: %d and %d bytes, %q, log size %q", len(pa), len(pb), ph.Get("Content-Type"), ph.Get("X-Log-Size"))
	}
	size := m.Log.Checkpoint().N
	if h.Get("X-Log-Size") != strconv.FormatInt(size, 10) || !bytes.Contains(a, []byte("log size "+strconv.FormatInt(size, 10))) {
		t.Errorf("the report does not state the log size %d (header %q)", size, h.Get("X-Log-Size"))
	}
	sum := sha256.Sum256(a)
	at, err := m.Log.DB.LogTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := m.Sign(mechanism.KindPublication, "qatar-investigator-1", at.Add(time.Minute), map[string]any{
		"title": "Monthly report, November 2025", "sha256": hex.EncodeToString(sum[:]), "size": len(a),
		"from": "2025-10-31T14:30:00Z", "to": "2025-11-30T14:30:00Z", "url": srv.URL + path,
	})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := m.Log.Submit(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := get("/api/v1/publications?at_least=" + strconv.FormatInt(rc.Index, 10))
	var page struct {
		Rows []struct {
			Idx    int64  `json:"idx"`
			SHA256 string `json:"sha256"`
			Size   int64  `json:"size"`
		} `json:"items"`
	}
	if err := json.Unmarshal(list, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) == 0 || page.Rows[0].Idx != rc.Index || page.Rows[0].SHA256 != hex.EncodeToString(sum[:]) || page.Rows[0].Size != int64(len(a)) {
		t.Fatalf("the log's newest publication %s does not record the report served (index %d, sha256 %x, %d bytes)", list, rc.Index, sum, len(a))
	}
	// Made again now, the report states the log's new size.
	c, h := get(path)
	if bytes.Equal(a, c) || h.Get("X-Log-Size") != strconv.FormatInt(size+1, 10) {
		t.Errorf("after the publication the report is made at %q, want %d", h.Get("X-Log-Size"), size+1)
	}
}

// TestPeriodicReportAtSize asks for the demo's reports at stated log
// sizes: the current one (from the live views) and earlier ones (from
// the log replayed to them). Each is the same bytes before and after more
// statements are appended, and from another server over the same log,
// which keeps none of them (as after a restart); a size the log does not
// hold, or that is not a size, is refused.
func TestPeriodicReportAtSize(t *testing.T) {
	ctx := context.Background()
	m, _, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	get := func(base, path string, want int) ([]byte, http.Header) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, b, want)
		}
		return b, resp.Header
	}
	n := m.Log.Checkpoint().N
	sizes := []int64{n, n - 3, n / 2}
	type key struct {
		size   int64
		format string
	}
	first := map[key][]byte{}
	for _, size := range sizes {
		for _, f := range []string{"html", "pdf", "json"} {
			path := "/reports/monthly/2025-11-15." + f + "?size=" + strconv.FormatInt(size, 10)
			b, h := get(srv.URL, path, http.StatusOK)
			if h.Get("X-Log-Size") != strconv.FormatInt(size, 10) {
				t.Errorf("%s: X-Log-Size %q", path, h.Get("X-Log-Size"))
			}
			first[key{size, f}] = b
		}
		var p struct{ LogSize int64 }
		if err := json.Unmarshal(first[key{size, "json"}], &p); err != nil || p.LogSize != size {
			t.Errorf("the report's JSON at size %d says %d (%v)", size, p.LogSize, err)
		}
		if !bytes.Contains(first[key{size, "html"}], []byte("log size "+strconv.FormatInt(size, 10))) {
			t.Errorf("the HTML report at size %d does not state it", size)
		}
	}
	if bytes.Equal(first[key{n, "json"}], first[key{n / 2, "json"}]) {
		t.Error("the report at half the log's size has the same figures as at its whole size")
	}
	// Without a size: the live views' size, the same report as at it.
	if b, _ := get(srv.URL, "/reports/monthly/2025-11-15.html", http.StatusOK); !bytes.Equal(b, first[key{n, "html"}]) {
		t.Error("the report without a size differs from the one at the views' size")
	}

	// More statements: the reports at those sizes do not change, from this
	// server or another that made none of them yet.
	at, err := m.Log.DB.LogTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := m.Sign(mechanism.KindPublication, "qatar-investigator-1", at.Add(time.Minute), map[string]any{
		"title": "Monthly report, November 2025", "sha256": strings.Repeat("ab", 32), "size": 1,
		"from": "2025-10-31T14:30:00Z", "to": "2025-11-30T14:30:00Z", "url": srv.URL + "/reports/monthly/2025-11-15.html?size=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.Submit(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if err := m.Log.WaitViews(ctx, n+1); err != nil {
		t.Fatal(err)
	}
	again := httptest.NewServer(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), prometheus.NewRegistry()))
	defer again.Close()
	for k, want := range first {
		path := "/reports/monthly/2025-11-15." + k.format + "?size=" + strconv.FormatInt(k.size, 10)
		for _, base := range []string{srv.URL, again.URL} {
			if b, _ := get(base, path, http.StatusOK); !bytes.Equal(b, want) {
				t.Errorf("%s changed after the log grew (%d bytes, were %d)", path, len(b), len(want))
			}
		}
	}

	for _, c := range []struct {
		query string
		want  int
	}{
		{"?size=" + strconv.FormatInt(n+2, 10), http.StatusNotFound},
		{"?size=0", http.StatusBadRequest},
		{"?size=-1", http.StatusBadRequest},
		{"?size=+5", http.StatusBadRequest},
		{"?size=05", http.StatusBadRequest},
		{"?size=x", http.StatusBadRequest},
		{"?size=1&size=2", http.StatusBadRequest},
		{"?from=1", http.StatusBadRequest},
	} {
		get(srv.URL, "/reports/monthly/2025-11-15.json"+c.query, c.want)
	}
	get(srv.URL, "/reports/monthly/2025-11-15.csv", http.StatusNotFound)
	get(srv.URL, "/reports/monthly/2025-11-15", http.StatusNotFound)
}

// reportReplays returns how many replays the server whose metrics reg
// holds made for reports at an earlier size.
func reportReplays(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "sulh_report_replays_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("no sulh_report_replays_total")
	return 0
}

// TestReportsOfADateMadeTogether asks for the daily report at the size the
// views hold, then, once the log has grown, for the weekly and monthly
// reports of the same date at that size: the server made them in the
// same pass as the daily one and kept them, so they cost no replay, and
// they are the bytes that another server makes of each by a replay.
func TestReportsOfADateMadeTogether(t *testing.T) {
	ctx := context.Background()
	m, _, _ := mustDemo(t, true)
	serve := func() (*httptest.Server, *prometheus.Registry) {
		reg := prometheus.NewRegistry()
		srv := httptest.NewServer(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg))
		t.Cleanup(srv.Close)
		return srv, reg
	}
	fetch := func(srv *httptest.Server, path string) []byte {
		t.Helper()
		resp, b := get(t, srv.URL+path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	n := m.Log.Checkpoint().N
	size := "?size=" + strconv.FormatInt(n, 10)
	srv, reg := serve()
	daily := fetch(srv, "/reports/daily/2025-11-15.json"+size)

	at, err := m.Log.DB.LogTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(daily)
	if _, err := m.Submit(ctx, mechanism.KindPublication, "qatar-investigator-1", at.Add(time.Minute), map[string]any{
		"title": "Daily report, 15 November 2025", "sha256": hex.EncodeToString(sum[:]), "size": n,
		"from": "2025-11-14T14:30:00Z", "to": "2025-11-15T14:30:00Z", "url": srv.URL + "/reports/daily/2025-11-15.json" + size,
	}); err != nil {
		t.Fatal(err)
	}
	if err := m.Log.WaitViews(ctx, n+1); err != nil {
		t.Fatal(err)
	}

	other, otherReg := serve()
	if b := fetch(other, "/reports/daily/2025-11-15.json"+size); !bytes.Equal(b, daily) {
		t.Error("the daily report made by a replay differs from the one made from the live views")
	}
	for _, kind := range []string{"weekly", "monthly"} {
		for _, f := range []string{"html", "pdf", "json"} {
			path := "/reports/" + kind + "/2025-11-15." + f + size
			if b := fetch(srv, path); !bytes.Equal(b, fetch(other, path)) {
				t.Errorf("%s: the report made with the daily one differs from the one made by a replay", path)
			}
		}
	}
	if r := reportReplays(t, reg); r != 0 {
		t.Errorf("the weekly and monthly reports at the size the daily one was made at took %v replays, want none", r)
	}
	if r := reportReplays(t, otherReg); r != 1 {
		t.Errorf("the reports of a date at an earlier size took %v replays, want 1", r)
	}
}

// TestPeriodicReportFigures checks the figures of the served monthly
// reports that the case and commitment lists of the API can give apart:
// the regions' counts add up to the period's events, the map draws each
// event that has a place on it, access denials and commitments due are
// those the lists have, with no script or outside image in the page.
func TestPeriodicReportFigures(t *testing.T) {
	m, _, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	page := func(path string) (string, http.Header) {
		t.Helper()
		resp, b := get(t, srv.URL+path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b), resp.Header
	}
	items := func(path string) []map[string]any {
		t.Helper()
		s, _ := page(path)
		var p struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal([]byte(s), &p); err != nil {
			t.Fatal(err)
		}
		return p.Items
	}
	section := func(s, from, to string) string {
		i, j := strings.Index(s, from), strings.Index(s, to)
		if i < 0 || j < i {
			t.Fatalf("the report has no section from %q to %q", from, to)
		}
		return s[i:j]
	}
	row := regexp.MustCompile(`<tr><td>([^<]*)</td><td class="n">(\d+)</td><td class="n">(\d+)</td>`)

	s, h := page("/reports/monthly/2025-11-15.html")
	if csp := h.Get("Content-Security-Policy"); csp != "default-src 'none'; style-src 'unsafe-inline'; sandbox" || strings.Contains(s, "<script") || strings.Contains(s, "<img") {
		t.Errorf("the report has a script or an image, or lost its CSP %q", csp)
	}
	q := url.Values{"from": {h.Get("X-Period-From")}, "to": {h.Get("X-Period-To")}, "distinct": {"true"}, "limit": {"500"}}
	cases := items("/api/v1/cases?" + q.Encode())
	located := 0
	for _, c := range cases {
		if c["lat"] != nil || c["place"] != nil {
			located++
		}
	}
	var regions int64
	for _, r := range row.FindAllStringSubmatch(section(s, `<h2 id="regions">`, `<h2 id="access">`), -1) {
		n, _ := strconv.ParseInt(r[2], 10, 64)
		regions += n
	}
	if len(cases) == 0 || regions != int64(len(cases)) {
		t.Errorf("the regions count %d events, the case list has %d", regions, len(cases))
	}
	drawn := regexp.MustCompile(`<p class="note">(\d+) of the period's incidents drawn`).FindStringSubmatch(s)
	if points := strings.Count(section(s, `<h2 id="map">`, `<ul class="legend">`), "<circle "); drawn == nil || drawn[1] != strconv.Itoa(located) || points == 0 || points > located {
		t.Errorf("the map draws %v events in %d points, the case list has %d with a place", drawn, points, located)
	}
	t.Logf("November: %d events, %d with a place on the map", len(cases), located)
	q.Set("category", "access_denied")
	denials := items("/api/v1/cases?" + q.Encode())
	if got := row.FindAllStringSubmatch(section(s, `<h2 id="access">`, `<h2 id="commitments">`), -1); len(got) != 0 || len(denials) != 0 {
		t.Errorf("access denials: the report has %v, the case list %d", got, len(denials))
	}

	// January 2026: the demo's commitment falls due.
	s, h = page("/reports/monthly/2026-01-15.html")
	var due int
	for _, c := range items("/api/v1/commitments?limit=500") {
		if d, _ := c["deadline"].(string); d >= h.Get("X-Period-From") && d < h.Get("X-Period-To") {
			due++
		}
	}
	if want := fmt.Sprintf(`<tr><td>Due</td><td class="n">%d</td>`, due); due != 1 || !strings.Contains(s, want) {
		t.Errorf("the January report lacks %q", want)
	}
}

// TestPublishedReportKept publishes a report at an earlier log size and
// restarts the server: the report a publication records is kept on the
// shelf and served from there, the same bytes without a replay, while a
// report no publication records, or one whose recorded SHA-256 is not
// the report's, is kept by nothing but memory, as is one asked for in
// great numbers.
func TestPublishedReportKept(t *testing.T) {
	ctx := context.Background()
	m, _, _ := mustDemo(t, true)
	dir := filepath.Join(t.TempDir(), "reports")
	// serve serves the log with a shelf over dir, as sulh serve does after
	// a restart: nothing kept in memory.
	serve := func() (*httptest.Server, *prometheus.Registry) {
		t.Helper()
		shelf, err := report.OpenShelf(dir)
		if err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		api := web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg)
		api.KeepPublished(shelf)
		srv := httptest.NewServer(api)
		t.Cleanup(func() { srv.Close(); shelf.Close() })
		return srv, reg
	}
	replays := func(reg *prometheus.Registry) float64 { return reportReplays(t, reg) }
	fetch := func(srv *httptest.Server, path string) ([]byte, http.Header) {
		t.Helper()
		resp, b := get(t, srv.URL+path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return b, resp.Header
	}
	kept := func() []string {
		t.Helper()
		var files []string
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				files = append(files, filepath.ToSlash(rel))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	n := m.Log.Checkpoint().N
	size := strconv.FormatInt(n-3, 10)
	srv, reg1 := serve()
	const path = "/reports/monthly/2025-11-15.html?size="
	html, h := fetch(srv, path+size)
	if replays(reg1) != 1 {
		t.Fatalf("the report at size %s made by %v replays, want 1", size, replays(reg1))
	}
	// Unpublished reports, however many, are kept by nothing but memory.
	for i := int64(1); i <= 4; i++ {
		fetch(srv, "/reports/daily/2025-11-12.json?size="+strconv.FormatInt(n-3-i, 10))
	}
	fetch(srv, path+size)
	if files := kept(); len(files) != 0 {
		t.Fatalf("reports no publication records are on the shelf: %q", files)
	}
	publish := func(sum string, url string) {
		t.Helper()
		at, err := m.Log.DB.LogTime(ctx)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := m.Sign(mechanism.KindPublication, "qatar-investigator-1", at.Add(time.Minute), map[string]any{
			"title": "Monthly report, November 2025", "sha256": sum, "size": len(html),
			"from": h.Get("X-Period-From"), "to": h.Get("X-Period-To"), "url": url,
		})
		if err != nil {
			t.Fatal(err)
		}
		rc, err := m.Log.Submit(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Log.WaitViews(ctx, rc.Index+1); err != nil {
			t.Fatal(err)
		}
	}
	// A publication whose SHA-256 is not the report's keeps nothing, nor
	// does one of the right SHA-256 at another size.
	sum := sha256.Sum256(html)
	publish(strings.Repeat("ab", 32), srv.URL+path+size)
	publish(hex.EncodeToString(sum[:]), srv.URL+path+strconv.FormatInt(n-4, 10))
	fetch(srv, path+size)
	fetch(srv, path+strconv.FormatInt(n-4, 10))
	if files := kept(); len(files) != 0 {
		t.Fatalf("reports no publication records are on the shelf: %q", files)
	}

	// Published, under the name the mediators reach the server at, the
	// report is kept once it is asked for again, in each format.
	publish(hex.EncodeToString(sum[:]), "https://sulh.example"+path+size)
	served := map[string][]byte{}
	for _, f := range []string{"html", "pdf", "json"} {
		served[f], _ = fetch(srv, "/reports/monthly/2025-11-15."+f+"?size="+size)
	}
	want := []string{"monthly/2025-11-15/" + size + "/meta.json", "monthly/2025-11-15/" + size + "/report.html",
		"monthly/2025-11-15/" + size + "/report.json", "monthly/2025-11-15/" + size + "/report.pdf"}
	if files := kept(); !slices.Equal(files, want) {
		t.Fatalf("on the shelf after the publication: %q, want %q", files, want)
	}

	// After a restart: the same bytes and headers, no replay. The
	// daily report of the same size, which no publication records, is a
	// replay.
	again, reg2 := serve()
	for f, b := range served {
		got, gh := fetch(again, "/reports/monthly/2025-11-15."+f+"?size="+size)
		if !bytes.Equal(got, b) || gh.Get("X-Log-Size") != size || gh.Get("X-Period-From") != h.Get("X-Period-From") ||
			gh.Get("X-Period-To") != h.Get("X-Period-To") {
			t.Errorf("%s after a restart: %d bytes (were %d), headers %v", f, len(got), len(b), gh)
		}
	}
	if r := replays(reg2); r != 0 {
		t.Errorf("the published report after a restart took %v replays, want none", r)
	}
	fetch(again, "/reports/daily/2025-11-15.json?size="+size)
	if r := replays(reg2); r != 1 {
		t.Errorf("an unpublished report after a restart took %v replays, want 1", r)
	}

	// A file damaged on disk: made again by a replay, served right, and
	// kept again.
	if err := os.WriteFile(filepath.Join(dir, "monthly", "2025-11-15", size, "report.pdf"), []byte("%PDF-"), 0o600); err != nil {
		t.Fatal(err)
	}
	third, reg3 := serve()
	if got, _ := fetch(third, "/reports/monthly/2025-11-15.pdf?size="+size); !bytes.Equal(got, served["pdf"]) || replays(reg3) != 1 {
		t.Errorf("a damaged PDF on the shelf: served %d bytes (want %d), %v replays", len(got), len(served["pdf"]), replays(reg3))
	}
	if files := kept(); !slices.Equal(files, want) {
		t.Fatalf("on the shelf after the damaged report was made again: %q, want %q", files, want)
	}
	fourth, reg4 := serve()
	if got, _ := fetch(fourth, "/reports/monthly/2025-11-15.pdf?size="+size); !bytes.Equal(got, served["pdf"]) || replays(reg4) != 0 {
		t.Errorf("the PDF kept again: served %d bytes (want %d), %v replays", len(got), len(served["pdf"]), replays(reg4))
	}
}

// TestPublishedReportKeptOnSubmit publishes, through the API, a report
// the server has just served at a size: it is on the shelf as soon as
// the publication is accepted, before anyone asks for it again, so that a
// restart meanwhile costs no replay.
func TestPublishedReportKeptOnSubmit(t *testing.T) {
	ctx := context.Background()
	m, _, _ := mustDemo(t, true)
	dir := filepath.Join(t.TempDir(), "reports")
	shelf, err := report.OpenShelf(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer shelf.Close()
	api := web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	api.KeepPublished(shelf)
	srv := httptest.NewServer(api)
	defer srv.Close()
	size := strconv.FormatInt(m.Log.Checkpoint().N-2, 10)
	path := "/reports/weekly/2025-11-15.pdf?size=" + size
	resp, b := get(t, srv.URL+path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	sum := sha256.Sum256(b)
	at, err := m.Log.DB.LogTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	filed := func(sha string) {
		t.Helper()
		msg, err := m.Sign(mechanism.KindPublication, "turkiye-investigator-1", at.Add(time.Minute), map[string]any{
			"title": "Weekly report", "sha256": sha, "size": len(b),
			"from": resp.Header.Get("X-Period-From"), "to": resp.Header.Get("X-Period-To"), "url": srv.URL + path,
		})
		if err != nil {
			t.Fatal(err)
		}
		r, err := http.Post(srv.URL+"/api/v1/statements", "text/plain", bytes.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("the publication: %d", r.StatusCode)
		}
	}
	meta := filepath.Join(dir, "weekly", "2025-11-15", size, "meta.json")
	// One whose SHA-256 is not the report's keeps nothing.
	filed(strings.Repeat("cd", 32))
	if _, err := os.Stat(meta); !os.IsNotExist(err) {
		t.Fatalf("a publication of another SHA-256 kept the report: %v", err)
	}
	filed(hex.EncodeToString(sum[:]))
	if _, err := os.Stat(meta); err != nil {
		t.Fatalf("the report is not on the shelf once its publication is accepted: %v", err)
	}
	for _, f := range []string{"html", "pdf", "json"} {
		if _, err := os.Stat(filepath.Join(dir, "weekly", "2025-11-15", size, "report."+f)); err != nil {
			t.Error(err)
		}
	}
}
