package web_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// casesPageBudget is the most a page may weigh, with all it loads, as
// transferred (gzip), before map tiles.
const casesPageBudget = 200 << 10

// casesPageWeight is what the open page and everything it loaded weighed, as
// transferred.
func casesPageWeight(t *testing.T, b *browser) int {
	return browserRun(t, b, chromedp.Evaluate[int](`performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
	  .reduce((n, e) => n + e.transferSize, 0)`))
}

// TestBrowserCaseList: changing a filter replaces the rows in place (the
// page is not reloaded) with only the cases that match, and the address
// follows, so that opening it again shows the same list; the next page
// link pages on; the list works at phone width, in Urdu from right to
// left, within its weight, every control reachable by keyboard.
func TestBrowserCaseList(t *testing.T) {
	m, _, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	b := mustBrowser(t)
	b.do(t, chromedp.Navigate(srv.URL+"/cases?lang=en"), chromedp.WaitVisible(`#case-results tbody tr`))
	if w := casesPageWeight(t, b); w > casesPageBudget {
		t.Errorf("the list weighs %d bytes, over the budget of %d", w, casesPageBudget)
	}
	accused := `[...document.querySelectorAll('#case-results tbody tr')].map(r => r.children[5].textContent)`
	before := browserRun(t, b, chromedp.Evaluate[[]string](accused))
	if len(before) < 2 || !hasString(before, "pakistan") || !hasString(before, "afghanistan") {
		t.Fatalf("the first page accuses %v; want cases against each party", before)
	}
	browserRun(t, b, chromedp.Evaluate[bool](`window.__samePage = true; const s = document.querySelector('#f-accused');
	  s.value = 'afghanistan'; s.dispatchEvent(new Event('change', {bubbles: true})); true`))
	browserRun(t, b, chromedp.Poll[bool](`location.search.includes('accused=afghanistan') &&
	  [...document.querySelectorAll('#case-results tbody tr')].every(r => r.children[5].textContent === 'afghanistan')`,
		chromedp.WithPollingTimeout(20*time.Second)))
	after := browserRun(t, b, chromedp.Evaluate[[]string](accused))
	same := browserRun(t, b, chromedp.Evaluate[bool](`window.__samePage === true`))
	href := browserRun(t, b, chromedp.Evaluate[string](`location.href`))
	if len(after) == 0 || !same {
		t.Errorf("after choosing afghanistan: %d rows, same page %v", len(after), same)
	}
	// The address is the view: opened afresh, it shows the same rows.
	b.do(t, chromedp.Navigate(href), chromedp.WaitVisible(`#case-results`))
	if again := browserRun(t, b, chromedp.Evaluate[[]string](accused)); fmt.Sprint(again) != fmt.Sprint(after) {
		t.Errorf("%s opened afresh lists %v; the filtered page listed %v", href, again, after)
	}
	if v := browserRun(t, b, chromedp.Evaluate[string](`document.querySelector('#f-accused').value`)); v != "afghanistan" {
		t.Errorf("the form opened from the address shows accused %q", v)
	}
	// Paging: the next page has other cases.
	b.do(t, chromedp.Navigate(srv.URL+"/cases?limit=5"), chromedp.WaitVisible(`a[rel=next]`))
	first := browserRun(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('tr[data-case]')].map(r => r.dataset.case)`))
	b.do(t, chromedp.Click(`a[rel=next]`), chromedp.WaitVisible(`#case-results`))
	second := browserRun(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('tr[data-case]')].map(r => r.dataset.case)`))
	if len(second) == 0 || hasString(second, first[len(first)-1]) {
		t.Errorf("the next page lists %v after %v", second, first)
	}
	if missed := tabReach(t, b); len(missed) > 0 {
		t.Errorf("not reachable by keyboard: %v", missed)
	}
	b.screenshot(t, "cases", "")

	b.do(t, chromedp.Navigate(srv.URL+"/cases?lang=ur"), chromedp.WaitVisible(`#case-results`))
	if dir := browserRun(t, b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('form.filters')).direction`)); dir != "rtl" {
		t.Errorf("the list in Urdu runs %s", dir)
	}
	b.screenshot(t, "cases-ur", "")
	b.do(t, chromedp.EmulateViewport(375, 800), chromedp.Navigate(srv.URL+"/cases?lang=en"), chromedp.WaitVisible(`#case-results`))
	if w := browserRun(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
		t.Errorf("at 375 px the list is %d px wide", w)
	}
	b.screenshot(t, "cases-phone", "")
}

// tabReach is keyboardReach for a page whose date and time fields take
// a Tab for each of their parts (day, month, year, hour, minute): it
// tabs three times as often.
func tabReach(t *testing.T, b *browser) []string {
	t.Helper()
	total := browserRun(t, b, chromedp.Evaluate[int](`(() => {
	  window.__reached = new Set();
	  document.addEventListener('focusin', e => window.__reached.add(e.target));
	  window.__focusable = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
	    .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0);
	  document.activeElement && document.activeElement.blur();
	  return window.__focusable.length;
	})()`))
	for i := 0; i < 3*total+10; i++ {
		b.do(t, chromedp.KeyEvent("\t"))
	}
	return browserRun(t, b, chromedp.Evaluate[[]string](`window.__focusable.filter(e => !window.__reached.has(e)).map(e => e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 40))`))
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestBrowserCasePage opens the demo's case 70, Pakistan's account of the
// night of 5 December at Chaman, with Afghanistan's account of Spin Boldak
// beside it: both places show, the rows on which they differ are marked,
// in words that a screen reader reads too, the history gives each
// statement's times in both zones and a link to its proof; the page fits
// a phone, runs right to left in Urdu, is within its weight, and every
// link is reachable by keyboard.
func TestBrowserCasePage(t *testing.T) {
	m, _, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	b := mustBrowser(t)
	b.do(t, chromedp.Navigate(srv.URL+"/cases/70?lang=en"), chromedp.WaitVisible(`table.accounts`))
	if w := casesPageWeight(t, b); w > casesPageBudget {
		t.Errorf("the case page weighs %d bytes, over the budget of %d", w, casesPageBudget)
	}
	cols := browserRun(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('table.accounts thead th')].map(th => th.textContent)`))
	if len(cols) < 2 || cols[0] != "Case 70" || !hasString(cols, "Case 71") {
		t.Errorf("the accounts side by side: %v; want case 70 and Afghanistan's case 71", cols)
	}
	place := browserRun(t, b, chromedp.Evaluate[[]string](`(() => {
	  const r = [...document.querySelectorAll('table.accounts tbody tr')].find(r => r.querySelector('th').textContent.startsWith('Place'));
	  return r ? [r.className, r.querySelector('th').innerText, ...[...r.querySelectorAll('td')].map(td => td.textContent)] : [];
	})()`))
	if len(place) < 4 || place[0] != "differs" || !strings.Contains(place[1], "Accounts differ") ||
		!strings.Contains(place[2], "Badani area, Chaman") || !strings.Contains(strings.Join(place[3:], " "), "Spin Boldak") {
		t.Errorf("the place row: %q; want both places, marked as differing in words", place)
	}
	// The marking is seen, not only said: the row has its own background.
	if bg := browserRun(t, b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('tr.differs td')).backgroundColor`)); bg == "rgba(0, 0, 0, 0)" || bg == "rgb(255, 255, 255)" {
		t.Errorf("a differing row has background %s", bg)
	}
	report := browserRun(t, b, chromedp.Evaluate[string](`document.querySelector('#s-70').innerText`))
	for _, s := range []string{"report", "pakistan-liaison-1", "UTC 5 December 2025, 17:00", "Pakistan 5 December 2025, 22:00", "Afghanistan 5 December 2025, 21:30", "Log index 70"} {
		if !strings.Contains(strings.Join(strings.Fields(report), " "), s) {
			t.Errorf("the history's report does not say %q:\n%s", s, report)
		}
	}
	if n := browserRun(t, b, chromedp.Evaluate[int](`document.querySelectorAll('#s-70 a[href="/explore/70"]').length`)); n == 0 {
		t.Error("the report in the history has no link to its proof")
	}
	if n := browserRun(t, b, chromedp.Evaluate[int](`document.querySelectorAll('ul.deadlines li.overdue').length`)); n == 0 {
		t.Error("no deadline of case 70 is marked overdue; the demo's are past")
	}
	if missed := b.keyboardReach(t); len(missed) > 0 {
		t.Errorf("not reachable by keyboard: %v", missed)
	}
	b.screenshot(t, "case", "case")

	b.do(t, chromedp.Navigate(srv.URL+"/cases/70?lang=ur"), chromedp.WaitVisible(`table.accounts`))
	if dir := browserRun(t, b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('main')).direction`)); dir != "rtl" {
		t.Errorf("the case page in Urdu runs %s", dir)
	}
	if badge := browserRun(t, b, chromedp.Evaluate[string](`document.querySelector('tr.differs .differs-badge').textContent`)); badge != "بیانات مختلف ہیں" {
		t.Errorf("in Urdu, a differing row says %q", badge)
	}
	b.screenshot(t, "case-ur", "")
	b.do(t, chromedp.EmulateViewport(375, 800), chromedp.Navigate(srv.URL+"/cases/70?lang=en"), chromedp.WaitVisible(`table.accounts`))
	if w := browserRun(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
		t.Errorf("at 375 px the case page is %d px wide", w)
	}
	b.screenshot(t, "case-phone", "")

	// The crossing's page, in the layout.
	b.do(t, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/crossings/torkham?lang=en"), chromedp.WaitVisible(`.sides`))
	if h1 := browserRun(t, b, chromedp.Text("h1")); h1 != "Crossing: Torkham" {
		t.Errorf("the crossing's page is titled %q", h1)
	}
	if missed := b.keyboardReach(t); len(missed) > 0 {
		t.Errorf("not reachable by keyboard: %v", missed)
	}
	b.screenshot(t, "crossing", "")
}

// TestBrowserTip sends a tip with a photo from the form, as a member of the
// public: the monitors' inbox then holds it, with the photo.
func TestBrowserTip(t *testing.T) {
	f := newTipFixture(t, false)
	b := mustBrowser(t)
	photo := filepath.Join(t.TempDir(), "crater.png")
	if err := os.WriteFile(photo, tipPNG(t, 42), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do(t, chromedp.Navigate(f.srv.URL+"/tip?lang=en"), chromedp.WaitVisible(`form.tip`))
	if w := casesPageWeight(t, b); w > casesPageBudget {
		t.Errorf("the tip form weighs %d bytes, over the budget of %d", w, casesPageBudget)
	}
	if missed := tabReach(t, b); len(missed) > 0 {
		t.Errorf("not reachable by keyboard: %v", missed)
	}
	b.do(t,
		chromedp.SendKeys(`#tip-text`, "A shell landed by the Chaman road <b>at night</b>."),
		chromedp.SendKeys(`#tip-place`, "Chaman road"),
		chromedp.SendKeys(`#tip-contact`, "via the local shura"),
		chromedp.SetUploadFiles(`#tip-photo`, []string{photo}),
	)
	b.screenshot(t, "tip", "")
	b.do(t, chromedp.Click(`form.tip button[type=submit]`), chromedp.WaitVisible(`.sent`))
	if u := browserRun(t, b, chromedp.Evaluate[string](`location.pathname + location.search`)); u != "/tip?sent=1" {
		t.Errorf("after sending, the page is %s", u)
	}
	in := f.inbox("monitors-field-1")
	if len(in.Tips) != 1 || in.Tips[0].Text != "A shell landed by the Chaman road <b>at night</b>." || in.Tips[0].Place != "Chaman road" ||
		len(in.Tips[0].Files) != 1 || in.Tips[0].Files[0].MediaType != "image/png" {
		t.Fatalf("the monitors' inbox: %+v", in.Tips)
	}
	if status, body := f.request("GET", in.Tips[0].Files[0].URL, "monitors-field-1"); status != http.StatusOK || len(body) == 0 {
		t.Errorf("the tip's photo for the monitor: %d", status)
	}
	b.do(t, chromedp.Navigate(f.srv.URL+"/tip?lang=ar"), chromedp.WaitVisible(`form.tip`))
	if dir := browserRun(t, b, chromedp.Evaluate[string](`document.documentElement.dir`)); dir != "rtl" {
		t.Errorf("the tip form in Arabic: dir %q", dir)
	}
	b.do(t, chromedp.EmulateViewport(375, 800), chromedp.Navigate(f.srv.URL+"/tip?lang=en"), chromedp.WaitVisible(`form.tip`))
	if w := browserRun(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
		t.Errorf("at 375 px the tip form is %d px wide", w)
	}
	b.screenshot(t, "tip-phone", "")
}

// The casesAttacks of TestCasesEscaping: a script, and markup that runs one when it
// is read as HTML.
var casesAttacks = []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`}

// TestCasesEscaping files a report, a reply and an actor's claim whose every
// text field holds script and HTML, and sends a tip that does: the list of
// cases, the case page and the tip form (which shows a refused tip again)
// show them as text, and no image or script of theirs is in any page.
func TestCasesEscaping(t *testing.T) {
	f := newTipFixture(t, false)
	b := mustBrowser(t)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for i, attack := range casesAttacks {
		r := map[string]any{
			"channel": "party", "accused": "afghanistan",
			"event":      map[string]any{"time": "2025-12-05T17:00:00Z", "precision": "exact"},
			"place":      map[string]any{"name": "Chaman " + attack, "lat": 30.92, "lon": 66.45, "geo_precision": 2},
			"event_type": "battles", "sub_event_type": "armed_clash",
			"actors":  []any{map[string]any{"id": "gunmen", "label": "gunmen " + attack, "role": "actor1"}},
			"summary": "Summary " + attack, "text": "Text " + attack, "language": "en",
		}
		rc, err := f.m.Submit(t.Context(), mechanism.KindReport, "pakistan-liaison-1", at.Add(time.Duration(i)*time.Minute), r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Submit(t.Context(), mechanism.KindReply, "afghanistan-liaison-1", at.Add(time.Duration(i)*time.Minute+10*time.Second), map[string]any{
			"case": rc.Index, "position": "denies", "text": "Reply " + attack, "language": "ps"}); err != nil {
			t.Fatal(err)
		}
		actor := fmt.Sprintf("escape-test-%d", i)
		if _, err := f.m.Submit(t.Context(), mechanism.KindActor, "monitors-field-1", at.Add(time.Duration(i)*time.Minute+20*time.Second), map[string]any{
			"id": actor, "type": "non_state_armed_group", "names": map[string]any{"en": "Group " + attack}, "note": "Note " + attack}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Submit(t.Context(), mechanism.KindActorClaim, "monitors-field-1", at.Add(time.Duration(i)*time.Minute+30*time.Second), map[string]any{
			"case": rc.Index, "actor": actor, "position": "claimed", "speaker": "Speaker " + attack,
			"source": map[string]any{"medium": "news_report", "via": "Via " + attack, "language": "en",
				"time":  map[string]any{"time": "2025-12-06T00:00:00Z", "precision": "day"},
				"words": "Words " + attack, "translation": "Translation " + attack}}); err != nil {
			t.Fatal(err)
		}
		pages := map[string][]string{
			"/cases?lang=en": {"Summary " + attack, "Chaman " + attack},
			fmt.Sprintf("/cases/%d?lang=en", rc.Index): {"Summary " + attack, "Text " + attack, "Chaman " + attack, "Reply " + attack,
				"Group " + attack, "Speaker " + attack, "Via " + attack, "Words " + attack, "Translation " + attack},
		}
		for page, texts := range pages {
			status, raw := f.request("GET", page+"&at_least="+fmt.Sprint(f.m.Log.Checkpoint().N-1), "")
			if status != http.StatusOK {
				t.Fatalf("%s: %d", page, status)
			}
			if strings.Contains(string(raw), attack) {
				t.Errorf("%s holds %s unescaped", page, attack)
			}
			b.do(t, chromedp.Navigate(f.srv.URL+page), chromedp.WaitVisible(`main`))
			text := browserRun(t, b, chromedp.Evaluate[string](`document.body.innerText`))
			for _, s := range texts {
				if !strings.Contains(text, s) {
					t.Errorf("%s does not show %q as text", page, s)
				}
			}
			if n := browserRun(t, b, chromedp.Evaluate[int](`document.querySelectorAll('img[src="x"], main script').length`)); n != 0 {
				t.Errorf("%s has %d elements of the attack", page, n)
			}
		}
		// A tip refused (its time is in the future) comes back in the form,
		// as text.
		ct, body := tipBody(t, [][2]string{{"text", "Tip " + attack}, {"place", "Place " + attack}, {"contact", "Contact " + attack},
			{"when", "2999-01-01T00:00"}})
		req, _ := http.NewRequest("POST", f.srv.URL+"/tip", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(string(raw), attack) ||
			!strings.Contains(string(raw), "Tip "+strings.NewReplacer("<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(attack)) {
			t.Errorf("the refused tip's form: %d, escaped: %v", resp.StatusCode, !strings.Contains(string(raw), attack))
		}
	}
}
