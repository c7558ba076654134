package web_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pageWeight is what a page and everything it loaded weigh as
// transferred, in bytes, leaving out the files named by skip (such as the
// basemap, the map's offline tiles).
func pageWeight(t *testing.T, b *browser, skip string) int {
	t.Helper()
	return browserRun(t, b, chromedp.Evaluate[int](`(() => {
	  const nav = performance.getEntriesByType('navigation')[0];
	  let n = nav ? nav.transferSize : 0;
	  for (const r of performance.getEntriesByType('resource')) {
	    if (`+strconv.Quote(skip)+` && r.name.includes(`+strconv.Quote(skip)+`)) continue;
	    n += r.transferSize;
	  }
	  return n;
	})()`))
}

// foreignRequests lists what the page requested from other hosts.
func foreignRequests(t *testing.T, b *browser) []string {
	t.Helper()
	return browserRun(t, b, chromedp.Evaluate[[]string](`performance.getEntriesByType('resource').map(r => r.name).filter(n => new URL(n).origin !== location.origin)`))
}

// pageBudget is the most a page may weigh before map tiles.
const pageBudget = 200 << 10

// TestBrowserDashboard opens the dashboard on the demo: the figures the
// page shows are the API's, the chart is an image with a title and a
// table, nothing is requested from another host, the page weighs less
// than its budget, every link and control is reachable by keyboard, Urdu
// lays it out right to left, and it fits a phone's width.
func TestBrowserDashboard(t *testing.T) {
	m, _, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	b := mustBrowser(t)
	b.do(t, chromedp.Navigate(srv.URL+"/?lang=en"), chromedp.WaitVisible("#by-party"))
	from := browserRun(t, b, chromedp.Evaluate[string](`document.getElementById('window').dataset.from`))
	to := browserRun(t, b, chromedp.Evaluate[string](`document.getElementById('window').dataset.to`))
	rows := browserRun(t, b, chromedp.Evaluate[map[string]int](`Object.fromEntries([...document.querySelectorAll('#by-party tr[data-body]')].map(r => [r.dataset.body, +r.querySelector('td.this').dataset.n]))`))
	if len(rows) < 2 {
		t.Fatalf("reports by party: %v", rows)
	}
	total := 0
	for body, n := range rows {
		total += n
		if want := apiCount(t, srv.URL, url.Values{"reporter": {body}, "from": {from}, "to": {to}, "distinct": {"true"}}); n != want {
			t.Errorf("%s: %d reports this period on the page, %d in the API", body, n, want)
		}
	}
	if total == 0 {
		t.Error("the dashboard shows no report for the demo's last week")
	}
	verified := browserRun(t, b, chromedp.Evaluate[int](`+document.querySelector('#by-standing tr[data-standing="verified"] td.all').dataset.n`))
	if want := apiCount(t, srv.URL, url.Values{"standing": {"verified"}, "distinct": {"true"}}); verified != want || verified == 0 {
		t.Errorf("verified cases: %d on the page, %d in the API", verified, want)
	}
	chart := browserRun(t, b, chromedp.Evaluate[[]string](`[document.getElementById('chart').getAttribute('role'), document.getElementById('chart-title').textContent, String(document.querySelectorAll('#chart-table tbody tr').length), String(document.querySelectorAll('#chart rect.bar').length)]`))
	if chart[0] != "img" || chart[1] == "" || chart[2] != "12" || chart[3] == "0" {
		t.Errorf("the chart: role %q, title %q, %s rows in its table, %s bars", chart[0], chart[1], chart[2], chart[3])
	}
	dots := browserRun(t, b, chromedp.Evaluate[int](`document.querySelectorAll('#smallmap circle.incident').length + document.querySelectorAll('#smallmap rect.crossing').length`))
	if dots == 0 {
		t.Error("the small map shows neither incidents nor crossings")
	}
	if f := foreignRequests(t, b); len(f) > 0 {
		t.Errorf("the dashboard requested from other hosts: %v", f)
	}
	if w := pageWeight(t, b, ""); w > pageBudget || w == 0 {
		t.Errorf("the dashboard weighs %d bytes; the budget is %d", w, pageBudget)
	} else {
		t.Logf("the dashboard weighs %d bytes as transferred", w)
	}
	b.screenshot(t, "dashboard", "dashboard")
	if missed := b.keyboardReach(t); len(missed) > 0 {
		t.Errorf("not reachable by keyboard: %v", missed)
	}
	// Urdu: right to left, numbers in its digits.
	b.do(t, chromedp.Navigate(srv.URL+"/?lang=ur"), chromedp.WaitVisible("#by-party"))
	dir := browserRun(t, b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('main')).direction`))
	if dir != "rtl" {
		t.Errorf("the dashboard in Urdu is laid out %s", dir)
	}
	b.screenshot(t, "dashboard-ur", "")
	// A phone: nothing wider than the screen.
	b.do(t, chromedp.EmulateViewport(375, 800), chromedp.Navigate(srv.URL+"/?lang=en"), chromedp.WaitVisible("#by-party"))
	if w := browserRun(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
		t.Errorf("at 375 px wide the dashboard is %d px wide", w)
	}
	b.screenshot(t, "dashboard-phone", "")
}

// TestBrowserMap opens the map on the demo: it draws a marker for every
// demo case that has a place and one for each crossing, requests nothing
// from another host by default, and a filter changes both the markers and
// the list; the list and the controls are reachable by keyboard, and the
// map fits a phone's width.
func TestBrowserMap(t *testing.T) {
	m, _, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	b := mustBrowser(t)
	b.do(t, chromedp.Navigate(srv.URL+"/map?lang=en"), chromedp.WaitVisible("#map"))
	waitMarkers(t, b)
	shown := browserRun(t, b, chromedp.Evaluate[[]int](`sulhMap.cases()`))
	listed := browserRun(t, b, chromedp.Evaluate[[]int](`[...document.querySelectorAll('#incidents li[data-case]')].map(l => +l.dataset.case)`))
	withPlace := placedCases(t, srv.URL, url.Values{"distinct": {"true"}})
	if len(shown) == 0 || !equalSets(shown, withPlace) {
		t.Errorf("the map shows cases %v; the API's cases with a place are %v", shown, withPlace)
	}
	if len(listed) < len(shown) {
		t.Errorf("the list shows %d cases, the map %d", len(listed), len(shown))
	}
	crossings := browserRun(t, b, chromedp.Evaluate[int](`sulhMap.crossings()`))
	if want := browserRun(t, b, chromedp.Evaluate[int](`document.querySelectorAll('#map-crossings li[data-lat]').length`)); crossings == 0 || crossings != want {
		t.Errorf("the map shows %d crossings, the list %d with a place", crossings, want)
	}
	basemap := browserRun(t, b, chromedp.Evaluate[int](`document.querySelectorAll('.basemap-pane path').length`))
	if basemap == 0 {
		t.Error("the offline basemap drew no country")
	}
	if f := foreignRequests(t, b); len(f) > 0 {
		t.Errorf("the map requested from other hosts: %v", f)
	}
	if w := pageWeight(t, b, "countries-50m.json"); w > pageBudget || w == 0 {
		t.Errorf("the map weighs %d bytes before its basemap; the budget is %d", w, pageBudget)
	} else {
		t.Logf("the map weighs %d bytes as transferred, before its basemap", w)
	}
	b.screenshot(t, "map", "map")

	// A filter changes the list (htmx) and the markers. SetValue sends
	// the change event itself, as a user's choice does: once. A second
	// event would swap the list twice, and the markers would be read
	// again after the wait.
	b.do(t, chromedp.SetValue("#f-status", "verified"),
		chromedp.WaitVisible(`#incidents[data-query*="standing=verified"]`))
	waitMarkers(t, b)
	shown = browserRun(t, b, chromedp.Evaluate[[]int](`sulhMap.cases()`))
	listed = browserRun(t, b, chromedp.Evaluate[[]int](`[...document.querySelectorAll('#incidents li[data-case]')].map(l => +l.dataset.case)`))
	verified := placedCases(t, srv.URL, url.Values{"distinct": {"true"}, "standing": {"verified"}})
	if len(verified) == 0 || !equalSets(shown, verified) || !equalSets(listed, verified) {
		t.Errorf("filtered on verified: the map shows %v, the list %v; the API's verified cases with a place are %v", shown, listed, verified)
	}
	if u := browserRun(t, b, chromedp.Evaluate[string](`location.search`)); !strings.Contains(u, "status=verified") {
		t.Errorf("the filter is not in the address: %q", u)
	}
	if missed := b.keyboardReach(t); len(missed) > 0 {
		t.Errorf("not reachable by keyboard: %v", missed)
	}
	b.do(t, chromedp.Navigate(srv.URL+"/map?lang=ur"), chromedp.WaitVisible("#map"))
	waitMarkers(t, b)
	if dir := browserRun(t, b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.map-side')).direction`)); dir != "rtl" {
		t.Errorf("the map's list in Urdu is laid out %s", dir)
	}
	b.do(t, chromedp.EmulateViewport(375, 800), chromedp.Navigate(srv.URL+"/map?lang=en"), chromedp.WaitVisible("#map"))
	waitMarkers(t, b)
	if w := browserRun(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
		t.Errorf("at 375 px wide the map page is %d px wide", w)
	}
	b.screenshot(t, "map-phone", "")
}

// waitMarkers waits for the map to have read its markers for the query
// the list shows now: after a filter, htmx settles the new list before
// the map starts to load its markers, so a count from the last query
// does not do.
func waitMarkers(t *testing.T, b *browser) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	const done = `(() => { const m = document.getElementById('map').dataset, l = document.getElementById('incidents');
		return l !== null && m.loadedQuery === l.dataset.query && document.querySelectorAll('.basemap-pane path').length > 0; })()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](done, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		t.Fatalf("the map never drew its markers and basemap: %v", err)
	}
	b.check(t)
}

// placedCases are the ids of the cases the API lists for q that have a
// place with coordinates, their own or their gazetteer place's.
func placedCases(t *testing.T, base string, q url.Values) []int {
	t.Helper()
	q.Set("limit", "500")
	_, body := dashGet(t, base+"/api/v1/cases?"+q.Encode())
	var page struct {
		Items []struct {
			ID    int      `json:"id"`
			Lat   *float64 `json:"lat"`
			Place *struct {
				Lat float64 `json:"lat"`
			} `json:"place"`
		} `json:"items"`
	}
	if err := jsonUnmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, c := range page.Items {
		if c.Lat != nil || c.Place != nil {
			out = append(out, c.ID)
		}
	}
	return out
}

func equalSets(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[int]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		if seen[x]--; seen[x] < 0 {
			return false
		}
	}
	return true
}
