package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

// xssText is what every text field of the forms' tests holds: a script and
// an element that would run one; both must show as text.
const xssText = `<script>alert(1)</script> "><img src=x onerror=alert(1)>`

// formsRun drives the forms of one served demo in one browser.
type formsRun struct {
	t   *testing.T
	b   *browser
	m   *demo.Mechanism
	url string
}

// importKeys keeps the demo members' key files in the browser, as a member
// imports a backup, and returns every form their secrets could travel in.
func (f *formsRun) importKeys(names ...string) [][]byte {
	f.t.Helper()
	var secrets [][]byte
	for _, name := range names {
		keyFile, err := os.ReadFile(filepath.Join(f.m.Keys.Dir, name+".key"))
		if err != nil {
			f.t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.SplitN(strings.TrimSpace(string(keyFile)), "+", 5)[4])
		if err != nil || len(raw) != 33 {
			f.t.Fatalf("demo key file %s: %v", name, err)
		}
		secrets = append(secrets, secretForms(raw[1:])...)
		secrets = append(secrets, keyFile, bytes.TrimSpace(keyFile))
		got := browserRun(f.t, f.b, chromedp.Evaluate[string](`(async () => {
		  const s = await import('`+web.AssetURL("js/sign.js")+`');
		  return (await s.importKeyText(`+jsString(string(keyFile))+`)).name;
		})()`, chromedp.EvalAwaitPromise))
		if got != name {
			f.t.Fatalf("imported %q as %q", name, got)
		}
	}
	return secrets
}

// open opens a form page with the key of member chosen.
func (f *formsRun) open(path, member string) {
	f.t.Helper()
	f.b.do(f.t, chromedp.Navigate(f.url+path),
		chromedp.WaitReady(chromedp.CSS(`#sf-key option[value="`+member+`"]`)))
	f.set("#sf-key", member)
}

// set gives a field a value as a member would, with its input and change
// events.
func (f *formsRun) set(sel, value string) {
	f.t.Helper()
	browserRun(f.t, f.b, chromedp.Evaluate[bool](`(() => {
	  const e = document.querySelector(`+jsString(sel)+`);
	  if (!e) throw new Error('no field '+`+jsString(sel)+`);
	  e.value = `+jsString(value)+`;
	  e.dispatchEvent(new Event('input', {bubbles: true}));
	  e.dispatchEvent(new Event('change', {bubbles: true}));
	  return true;
	})()`))
}

// eval runs js in the page.
func eval[T any](f *formsRun, js string) T {
	f.t.Helper()
	return browserRun(f.t, f.b, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// preview shows what will be signed and returns the text the page shows.
func (f *formsRun) preview() string {
	f.t.Helper()
	f.b.do(f.t, chromedp.Click(chromedp.CSS("#sf-preview")), chromedp.WaitVisible(chromedp.CSS("#sf-review")))
	return eval[string](f, `document.querySelector('#sf-text').textContent`)
}

// confirmAndSign ticks the confirmation and signs.
func (f *formsRun) confirmAndSign() {
	f.t.Helper()
	f.b.do(f.t, chromedp.Click(chromedp.CSS("#sf-confirm")), chromedp.Click(chromedp.CSS("#sf-sign")))
}

// receipt waits for the server's answer and returns the index it gives;
// a refusal fails the test with the server's message.
func (f *formsRun) receipt() int64 {
	f.t.Helper()
	browserRun(f.t, f.b, chromedp.Poll[bool](`!!document.querySelector('#sf-receipt-h, #sf-refusal-message')`, chromedp.WithPollingTimeout(30*time.Second)))
	if msg := eval[string](f, `(document.querySelector('#sf-refusal-message') || {}).textContent || ''`); msg != "" {
		f.t.Fatalf("the server refused the form's statement: %s", msg)
	}
	var n int64
	if _, err := fmt.Sscan(eval[string](f, `document.querySelector('#sf-result').dataset.index`), &n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// file previews, signs, submits and checks that the log holds exactly the
// text the preview showed, byte for byte, signed by signers; it returns the
// statement's index.
func (f *formsRun) file(signers ...string) int64 {
	f.t.Helper()
	shown := f.preview()
	f.confirmAndSign()
	n := f.receipt()
	f.checkLogged(n, shown, signers...)
	// The receipt shows the text as text.
	if got := eval[string](f, `document.querySelector('#sf-filed').textContent`); got != shown {
		f.t.Errorf("the receipt shows\n%s\nnot what was signed\n%s", got, shown)
	}
	return n
}

// checkLogged holds the log's entry n to the text shown and its signers.
func (f *formsRun) checkLogged(n int64, shown string, signers ...string) {
	f.t.Helper()
	var stored []byte
	if err := f.m.Log.Entries(f.t.Context(), n, n+1, func(_ int64, data []byte) error {
		stored = data
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
	text, _, ok := strings.Cut(string(stored), "\n\n")
	if !ok || text+"\n" != shown {
		f.t.Fatalf("entry %d's text is not what the preview showed:\nlogged:\n%s\nshown:\n%s", n, stored, shown)
	}
	if _, err := statement.Parse(stored); err != nil {
		f.t.Fatal(err)
	}
	var names []string
	_, sigs, _ := strings.Cut(string(stored), "\n\n")
	for _, line := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
		names = append(names, strings.Fields(line)[1])
	}
	if !slices.Equal(names, signers) {
		f.t.Errorf("entry %d is signed by %v, want %v", n, names, signers)
	}
}

// api reads a JSON answer of the server's API.
func (f *formsRun) api(path string, v any) {
	f.t.Helper()
	resp, err := http.Get(f.url + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		f.t.Fatalf("GET %s: %v", path, err)
	}
}

func (f *formsRun) stage(c int64) string {
	f.t.Helper()
	var got struct{ Stage string }
	f.api(fmt.Sprintf("/api/v1/cases/%d", c), &got)
	return got.Stage
}

// advance moves case c one stage on with the case.advance form, as member,
// and checks the case's stage in the API.
func (f *formsRun) advance(c int64, member, want string) {
	f.t.Helper()
	f.open("/file/case.advance", member)
	f.set("#f-case", fmt.Sprint(c))
	browserRun(f.t, f.b, chromedp.Poll[bool](`document.querySelector('#f-to').value !== ''`))
	if to := eval[string](f, `document.querySelector('#f-to').value`); to != want {
		f.t.Fatalf("case %d in stage %s: the form offers %q as the next stage, want %q", c, f.stage(c), to, want)
	}
	f.set("#f-note", "Moved on from the browser. "+xssText)
	f.file(member)
	if got := f.stage(c); got != want {
		f.t.Fatalf("case %d is in stage %q after the advance, want %q", c, got, want)
	}
}

// logSize is how many entries the log holds.
func (f *formsRun) logSize() int64 { return f.m.Log.Checkpoint().N }

// quorum files the statement of the open form as the first signer and
// co-signs it as second on /file/cosign, checking that the co-signer sees
// and signs the same text.
func (f *formsRun) quorum(first, second string) int64 {
	f.t.Helper()
	shown := f.preview()
	before := f.logSize()
	f.confirmAndSign()
	f.b.do(f.t, chromedp.WaitVisible(chromedp.CSS("#sf-handover")))
	note := eval[string](f, `document.querySelector('#sf-note').value`)
	if f.logSize() != before {
		f.t.Fatal("the first signature submitted the statement before its co-signature")
	}
	if !strings.HasPrefix(note, shown+"\n\u2014 "+first+" ") {
		f.t.Fatalf("the note handed over is not the text shown, signed by %s:\n%s", first, note)
	}
	f.open("/file/cosign", second)
	f.set("#cs-note", note)
	f.b.do(f.t, chromedp.Click(chromedp.CSS("#cs-read")), chromedp.WaitVisible(chromedp.CSS("#cs-review")))
	if got := eval[string](f, `document.querySelector('#cs-text').textContent`); got != shown {
		f.t.Fatalf("the co-signer is shown\n%s\nnot the text signed\n%s", got, shown)
	}
	if n := eval[int](f, `document.querySelectorAll('#cs-signers li.status-ok').length`); n != 1 {
		f.t.Fatalf("the co-signer sees %d verified signatures, want 1", n)
	}
	f.b.do(f.t, chromedp.Click(chromedp.CSS("#cs-confirm")), chromedp.Click(chromedp.CSS("#cs-sign")))
	n := f.receipt()
	f.checkLogged(n, shown, first, second)
	return n
}

// TestBrowserForms files, through the forms and with demo members' keys
// imported into the browser, a statement of every kind that has a form,
// following a case from a report through its reply, its advances, a
// finding signed by a mediator of each mediator body and an endorsement
// signed by two board members, then published, found on the public page
// and its inclusion proof verified in the browser, in English and in Urdu;
// and a crossing status, a commitment, an action and a verification. Each is checked in the API. The text the
// preview shows is byte for byte the logged entry's; script and HTML in
// every text field show as text; a form changed after its preview is not
// signed; a co-signer cannot change the text; and no private key reaches
// the server.
func TestBrowserForms(t *testing.T) {
	m, _, reg := mustDemo(t, true)
	rec := &requestRecorder{}
	srv := httptest.NewServer(rec.wrap(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg)))
	t.Cleanup(srv.Close)
	f := &formsRun{t: t, b: mustBrowser(t), m: m, url: srv.URL}
	f.b.do(t, chromedp.Navigate(srv.URL+"/file"))
	secrets := f.importKeys("pakistan-liaison-1", "afghanistan-liaison-1", "qatar-investigator-1", "turkiye-investigator-1",
		"monitors-field-1", "board-qatar-1", "board-turkiye-1")

	// The index shows the forms of the chosen key's member only.
	for _, c := range []struct {
		member string
		want   []string
	}{
		{"pakistan-liaison-1", []string{"report", "reply", "crossing.status", "commitment", "action", "evidence", "cosign"}},
		{"qatar-investigator-1", []string{"report", "verification", "case.advance", "finding", "action", "meeting", "case.close", "publication", "evidence", "case.link", "case.unlink", "place", "actor", "actor.claim", "cosign"}},
		{"board-qatar-1", []string{"case.advance", "endorsement", "penalty", "evidence", "cosign"}},
		{"monitors-field-1", []string{"report", "verification", "crossing.status", "action", "evidence", "case.link", "case.unlink", "place", "actor", "actor.claim", "cosign"}},
	} {
		f.open("/file", c.member)
		got := eval[[]string](f, `[...document.querySelectorAll('#sf-kinds li')].filter(li => !li.hidden).map(li => li.querySelector('a').getAttribute('href').slice(6))`)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s is offered the forms %v, want %v", c.member, got, c.want)
		}
	}

	// A report by Pakistan's liaison officer, its place found by an alias.
	f.open("/file/report", "pakistan-liaison-1")
	if ch := eval[[]string](f, `[...document.querySelectorAll('#f-channel option')].filter(o => !o.hidden).map(o => o.value)`); !slices.Equal(ch, []string{"party"}) {
		t.Errorf("a party's member is offered the channels %v", ch)
	}
	f.set("#f-accused", "afghanistan")
	f.set("#f-event-time", "2025-12-10T04:30")
	f.set("#f-event-precision", "exact")
	f.b.do(t, chromedp.SendKeys(chromedp.CSS("#f-place-q"), "Torkham Gate"), chromedp.Click(chromedp.CSS("#f-place-q ~ .sf-search-go")),
		chromedp.WaitVisible(chromedp.CSS(`.sf-place[data-id="torkham"]`)))
	if txt := eval[string](f, `document.querySelector('.sf-place[data-id="torkham"]').textContent`); !strings.Contains(txt, "Torkham") || !strings.Contains(txt, "km") {
		t.Errorf("the place found says %q: its name and its distance from the line", txt)
	}
	f.b.do(t, chromedp.Click(chromedp.CSS(`.sf-place[data-id="torkham"]`)))
	f.set("#f-event-type", "battles")
	if subs := eval[[]string](f, `[...document.querySelectorAll('#f-sub-event-type option')].filter(o => !o.hidden && o.value).map(o => o.value)`); !slices.Equal(subs, []string{"armed_clash", "government_regains_territory", "non_state_actor_overtakes_territory"}) {
		t.Errorf("battles offers the sub-event types %v", subs)
	}
	f.set("#f-sub-event-type", "armed_clash")
	f.b.do(t, chromedp.Click(chromedp.CSS(`input[data-path="categories"][value="cross_border_fire"]`)),
		chromedp.Click(chromedp.CSS(`input[data-path="clauses"][value="c1"]`)),
		chromedp.Click(chromedp.CSS("#f-add-side")))
	f.set(`#f-sides [data-path="measure"]`, "injured_combatant")
	f.set(`#f-sides [data-path="party"]`, "pakistan")
	f.set(`#f-sides [data-path="best"]`, "2")
	f.set("#f-origin", "afghanistan")
	f.set("#f-origin-place", "Nangarhar "+xssText)
	f.b.do(t, chromedp.SendKeys(chromedp.CSS("#f-summary"), "Filed from the report form: fire at Torkham. "+xssText))
	f.set("#f-text", "The full account. "+xssText)
	f.b.screenshot(t, "report-form", "report-form")
	if missed := f.b.keyboardReach(t); len(missed) > 0 {
		t.Errorf("not reachable by keyboard on the report form: %v", missed)
	}
	shown := f.preview()
	var want map[string]any
	json.Unmarshal([]byte(strings.Split(shown, "\n")[1]), &want)
	for _, k := range []string{"mechanism", "author", "at", "refs", "channel", "accused", "event", "place", "event_type", "sub_event_type", "categories", "clauses", "casualties", "origin", "summary", "text", "language"} {
		if _, ok := want[k]; !ok {
			t.Errorf("the report's preview has no %q: %s", k, shown)
		}
	}
	if p, _ := want["place"].(map[string]any); p["id"] != "torkham" || p["geo_precision"] != 1.0 {
		t.Errorf("the place chosen from the search is %v", p)
	}
	if c, _ := json.Marshal(want["casualties"]); string(c) != `{"sides":[{"best":2,"measure":"injured_combatant","party":"pakistan"}]}` {
		t.Errorf("the casualties read %s", c)
	}
	f.confirmAndSign()
	report := f.receipt()
	f.checkLogged(report, shown, "pakistan-liaison-1")
	if href := eval[string](f, `document.querySelector('#sf-case-link').getAttribute('href')`); href != fmt.Sprintf("/cases/%d", report) {
		t.Errorf("the receipt links the case as %q", href)
	}
	if href := eval[string](f, `document.querySelector('#sf-entry-link').getAttribute('href')`); href != fmt.Sprintf("/explore/%d", report) {
		t.Errorf("the receipt links the entry as %q", href)
	}
	var c struct {
		Stage, Accused, Reporter string
	}
	f.api(fmt.Sprintf("/api/v1/cases/%d", report), &c)
	if c.Stage != "received" || c.Accused != "afghanistan" || c.Reporter != "pakistan" {
		t.Fatalf("case %d: %+v", report, c)
	}

	// A refusal names every field's problem next to the field.
	f.open("/file/report", "pakistan-liaison-1")
	f.set("#f-event-time", "2025-12-10T04:30")
	f.set("#f-place-name", "Nowhere")
	f.set("#f-place-lat", "91")
	f.set("#f-event-type", "battles")
	f.set("#f-sub-event-type", "armed_clash")
	f.set("#f-language", "english!")
	f.preview()
	f.confirmAndSign()
	browserRun(t, f.b, chromedp.Poll[bool](`!!document.querySelector('#sf-refusal-message')`))
	problems := eval[[]string](f, `[...document.querySelectorAll('.sf-problem')].map(p => p.closest('[data-for]').dataset.for)`)
	for _, want := range []string{"summary", "language", "place"} {
		if !slices.Contains(problems, want) {
			t.Errorf("the refusal's problems are shown at %v, not at %q: %s", problems, want, eval[string](f, `document.querySelector('#sf-refusal-message').textContent`))
		}
	}
	if n := eval[int](f, `document.querySelectorAll('[aria-invalid="true"]').length`); n == 0 {
		t.Error("no field is marked invalid")
	}

	// The accused party replies; Pakistan is not offered the form's fields
	// for a case... the server refuses it, which the page shows.
	f.open(fmt.Sprintf("/file/reply?case=%d", report), "afghanistan-liaison-1")
	browserRun(t, f.b, chromedp.Poll[bool](`document.querySelector('#f-case-info').textContent !== ''`))
	f.b.do(t, chromedp.Click(chromedp.CSS(`input[data-path="positions"][value="denies"]`)))
	f.set("#f-text", "No Afghan forces fired. "+xssText)
	// Tampered after the preview, in the page, without a change event:
	// nothing is signed.
	before := f.logSize()
	f.preview()
	eval[bool](f, `(() => { document.querySelector('#f-text').value = 'Something else entirely.'; return true; })()`)
	f.confirmAndSign()
	f.b.do(t, chromedp.WaitVisible(chromedp.CSS("#sf-changed")))
	if f.logSize() != before {
		t.Fatal("a form changed after its preview was signed and submitted")
	}
	// The shown text tampered with: nothing is signed either.
	f.set("#f-text", "No Afghan forces fired. "+xssText)
	f.preview()
	eval[bool](f, `(() => { document.querySelector('#sf-text').textContent = document.querySelector('#sf-text').textContent.replace('No Afghan', 'Afghan'); return true; })()`)
	f.confirmAndSign()
	f.b.do(t, chromedp.WaitVisible(chromedp.CSS("#sf-changed")))
	if f.logSize() != before {
		t.Fatal("a preview changed in the page was signed and submitted")
	}
	reply := f.file("afghanistan-liaison-1")
	var replies struct{ Items []struct{ Idx int64 } }
	f.api(fmt.Sprintf("/api/v1/replies?case=%d", report), &replies)
	if len(replies.Items) != 1 || replies.Items[0].Idx != reply {
		t.Fatalf("case %d's replies: %+v, want the one at %d", report, replies, reply)
	}

	// The mediators take the case through the workflow to a draft finding.
	f.advance(report, "qatar-investigator-1", "preliminary")
	f.advance(report, "turkiye-investigator-1", "investigation")
	f.advance(report, "qatar-investigator-1", "draft")

	// A finding signed by Qatar's investigator, co-signed by Türkiye's.
	f.open(fmt.Sprintf("/file/finding?case=%d", report), "qatar-investigator-1")
	f.set("#f-outcome", "attributed")
	f.set("#f-party", "afghanistan")
	f.set("#f-confidence", "moderate")
	f.set("#f-rationale", "The observer's bearing points west of the border. "+xssText)
	f.b.do(t, chromedp.Click(chromedp.CSS(`input[data-path="clauses"][value="c1"]`)))
	// A co-signer cannot change the text: a note whose text was changed is
	// not offered for co-signature.
	f.preview()
	f.confirmAndSign()
	f.b.do(t, chromedp.WaitVisible(chromedp.CSS("#sf-handover")))
	note := eval[string](f, `document.querySelector('#sf-note').value`)
	f.open("/file/cosign", "turkiye-investigator-1")
	f.set("#cs-note", strings.Replace(note, `"confidence":"moderate"`, `"confidence":"high"`, 1))
	f.b.do(t, chromedp.Click(chromedp.CSS("#cs-read")), chromedp.WaitVisible(chromedp.CSS("#cs-bad")))
	if eval[bool](f, `!document.querySelector('#cs-sign').hidden`) {
		t.Error("a note whose text was changed is offered for co-signature")
	}
	// Read as given, then changed in the page: not co-signed.
	f.set("#cs-note", note)
	f.b.do(t, chromedp.Click(chromedp.CSS("#cs-read")), chromedp.WaitVisible(chromedp.CSS("#cs-review")))
	eval[bool](f, `(() => { const n = document.querySelector('#cs-note'); n.value = n.value.replace('"outcome":"attributed"', '"outcome":"cleared"'); return true; })()`)
	before = f.logSize()
	f.b.do(t, chromedp.Click(chromedp.CSS("#cs-confirm")), chromedp.Click(chromedp.CSS("#cs-sign")), chromedp.WaitVisible(chromedp.CSS("#sf-changed")))
	if f.logSize() != before {
		t.Fatal("a note changed after it was read was co-signed")
	}
	f.open(fmt.Sprintf("/file/finding?case=%d", report), "qatar-investigator-1")
	f.set("#f-outcome", "attributed")
	f.set("#f-party", "afghanistan")
	f.set("#f-confidence", "moderate")
	f.set("#f-rationale", "The observer's bearing points west of the border. "+xssText)
	f.b.do(t, chromedp.Click(chromedp.CSS(`input[data-path="clauses"][value="c1"]`)))
	finding := f.quorum("qatar-investigator-1", "turkiye-investigator-1")
	var findings struct {
		Items []struct {
			Idx     int64
			Signers []struct{ Name, Body string }
		}
	}
	f.api(fmt.Sprintf("/api/v1/findings?case=%d", report), &findings)
	if len(findings.Items) != 1 || findings.Items[0].Idx != finding || len(findings.Items[0].Signers) != 2 ||
		findings.Items[0].Signers[0].Body != "qatar" || findings.Items[0].Signers[1].Body != "turkiye" {
		t.Fatalf("case %d's findings: %+v", report, findings)
	}

	// Through the party's reply to the board, and the board's endorsement
	// signed by two of its members.
	f.advance(report, "qatar-investigator-1", "party_reply")
	f.open(fmt.Sprintf("/file/reply?case=%d", report), "afghanistan-liaison-1")
	f.b.do(t, chromedp.Click(chromedp.CSS(`input[data-path="positions"][value="rejects_charge"]`)),
		chromedp.Click(chromedp.CSS(`input[data-path="positions"][value="condemns"]`)))
	f.set("#f-text", "We reject the finding. "+xssText)
	f.file("afghanistan-liaison-1")
	f.advance(report, "turkiye-investigator-1", "technical_committee")
	f.advance(report, "qatar-investigator-1", "board")
	f.open(fmt.Sprintf("/file/endorsement?case=%d", report), "board-qatar-1")
	browserRun(t, f.b, chromedp.Poll[bool](`document.querySelector('#f-finding').value !== ''`))
	if got := eval[string](f, `document.querySelector('#f-finding').value`); got != fmt.Sprint(finding) {
		t.Errorf("the endorsement names finding %s, want %d", got, finding)
	}
	f.set("#f-text", "The board endorses the finding. "+xssText)
	f.quorum("board-qatar-1", "board-turkiye-1")
	var endorsed struct{ Endorsed *int64 }
	f.api(fmt.Sprintf("/api/v1/cases/%d", report), &endorsed)
	if endorsed.Endorsed == nil {
		t.Fatalf("case %d is not endorsed", report)
	}

	// Published by the board, the finding filed from these forms is on the
	// public page; a reader without an account follows it to its statement
	// and verifies its inclusion proof in the browser, then reads the same
	// page in Urdu, right to left.
	f.advance(report, "board-qatar-1", "published")
	f.b.do(t, chromedp.Navigate(srv.URL+"/published"), chromedp.WaitVisible("article.finding"))
	link := fmt.Sprintf(`article.finding a[href="/explore/%d"]`, finding)
	if !eval[bool](f, fmt.Sprintf(`document.querySelector(%s) !== null`, jsString(link))) {
		t.Fatalf("the public page does not list finding %d:\n%s", finding, eval[string](f, `document.querySelector('main').innerText`))
	}
	f.b.do(t, chromedp.Click(link), chromedp.WaitVisible("#verify-button"),
		chromedp.Click("#verify-button"), chromedp.WaitVisible("#verify-result[data-result]"))
	if r := eval[string](f, `document.getElementById('verify-result').dataset.result`); r != "verified" {
		t.Errorf("finding %d filed from the forms, verified in the browser: %s (%s)", finding, r,
			eval[string](f, `document.getElementById('verify-result').innerText`))
	}
	r := verifyInBrowser(t, f.b, fmt.Sprintf("%s/explore/%d?lang=ur", srv.URL, finding), "", "")
	if dir := eval[string](f, `document.documentElement.dir`); r.Result != "verified" || dir != "rtl" ||
		!strings.HasPrefix(r.Verdict, "تصدیق ہو گئی") {
		t.Errorf("finding %d in Urdu: dir %q, %+v", finding, dir, r)
	}
	f.b.do(t, chromedp.Navigate(srv.URL+"/published?lang=en"), chromedp.WaitVisible("article.finding"))

	// A crossing status, found by the crossing's name.
	f.open("/file/crossing.status", "pakistan-liaison-1")
	f.b.do(t, chromedp.SendKeys(chromedp.CSS("#f-crossing-q"), "Torkham"), chromedp.Click(chromedp.CSS("#f-crossing-q ~ .sf-search-go")),
		chromedp.WaitVisible(chromedp.CSS(`.sf-place[data-id="torkham"]`)), chromedp.Click(chromedp.CSS(`.sf-place[data-id="torkham"]`)))
	f.set("#f-status", "restricted")
	f.set("#f-allowed", "refugees_leaving")
	f.set("#f-since", "2025-12-10T05:00")
	f.set("#f-since-precision", "exact")
	f.set("#f-text", "Open only to refugees. "+xssText)
	status := f.file("pakistan-liaison-1")
	var crossing struct {
		Sides []struct {
			Idx          int64
			Side, Status string
		}
	}
	f.api("/api/v1/crossings/torkham", &crossing)
	if !slices.ContainsFunc(crossing.Sides, func(s struct {
		Idx          int64
		Side, Status string
	}) bool {
		return s.Idx == status && s.Side == "pakistan" && s.Status == "restricted"
	}) {
		t.Errorf("Torkham's sides: %+v, want Pakistan's restricted at %d", crossing.Sides, status)
	}

	// A commitment by Afghanistan, and its action.
	f.open("/file/commitment", "afghanistan-liaison-1")
	f.set("#f-group-id", "ttp")
	f.set("#f-group-label", "Tehreek-e-Taliban Pakistan "+xssText)
	f.set("#f-place-name", "Kunar "+xssText)
	f.set("#f-place-gp", "3")
	f.set("#f-deadline", time.Now().UTC().AddDate(0, 2, 0).Format("2006-01-02T15:04"))
	f.set("#f-deadline-precision", "day")
	f.set("#f-text", "Relocate fighters away from the border. "+xssText)
	f.b.do(t, chromedp.Click(chromedp.CSS(`input[data-path="clauses"][value="c4"]`)))
	commitment := f.file("afghanistan-liaison-1")
	var commitments struct{ Items []struct{ Idx int64 } }
	f.api("/api/v1/commitments?limit=500", &commitments)
	if !slices.ContainsFunc(commitments.Items, func(i struct{ Idx int64 }) bool { return i.Idx == commitment }) {
		t.Errorf("the commitments do not list %d", commitment)
	}
	f.open("/file/action", "afghanistan-liaison-1")
	f.set("#f-commitment", fmt.Sprint(commitment))
	f.set("#f-group-id", "ttp")
	f.set("#f-group-label", "Tehreek-e-Taliban Pakistan")
	f.set("#f-time", time.Now().UTC().Add(-24*time.Hour).Format("2006-01-02T15:04"))
	f.set("#f-time-precision", "day")
	f.set("#f-text", "Forty families relocated. "+xssText)
	action := f.file("afghanistan-liaison-1")
	var actions struct{ Items []struct{ Idx int64 } }
	f.api("/api/v1/actions?limit=500", &actions)
	if !slices.ContainsFunc(actions.Items, func(i struct{ Idx int64 }) bool { return i.Idx == action }) {
		t.Errorf("the actions do not list %d", action)
	}

	// The monitors verify the demo's evidence item.
	sum := sha256.Sum256(demo.EvidenceNotes)
	f.open("/file/verification", "monitors-field-1")
	f.set("#f-ev", hex.EncodeToString(sum[:]))
	f.set("#f-analyst", "Field monitor "+xssText)
	f.set("#f-date", time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04"))
	f.set("#f-source-result", "passed")
	f.set("#f-source-notes", "Found at the outlets. "+xssText)
	f.set("#f-technical-result", "passed")
	f.set("#f-content-result", "inconclusive")
	f.set("#f-result", "inconclusive")
	verification := f.file("monitors-field-1")
	var verifications struct{ Items []struct{ Idx int64 } }
	f.api("/api/v1/verifications?limit=500", &verifications)
	if !slices.ContainsFunc(verifications.Items, func(i struct{ Idx int64 }) bool { return i.Idx == verification }) {
		t.Errorf("the verifications do not list %d", verification)
	}

	// Script and HTML never became elements on any page the test saw (a
	// failed <img src=x> load or a CSP violation would have failed it).
	if n := eval[int](f, `document.querySelectorAll('img[src="x"], #sf-result script, #sf-text *').length`); n != 0 {
		t.Errorf("the page holds %d elements made from statement text", n)
	}

	// A member whose body may not file a kind is not given its form.
	f.open("/file/finding", "pakistan-liaison-1")
	if !eval[bool](f, `document.querySelector('#sf-fields').hidden && !document.querySelector('#sf-notallowed').hidden`) {
		t.Error("a party's member is given the finding form")
	}

	if req, found := rec.containsAny(secrets...); found {
		t.Fatalf("the server received a private key in:\n%s", req)
	}
}

// TestBrowserFormsPage checks the report form's weight, its right-to-left
// layout in Urdu and its layout at a phone's width, and that its map picker
// loads the offline basemap and sets the coordinates.
func TestBrowserFormsPage(t *testing.T) {
	m, _, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	f := &formsRun{t: t, b: mustBrowser(t), m: m, url: srv.URL}
	f.b.do(t, chromedp.Navigate(srv.URL+"/file"))
	f.importKeys("pakistan-liaison-1")
	f.open("/file/report", "pakistan-liaison-1")
	weight := eval[float64](f, `(() => {
	  const all = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')];
	  return all.reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0);
	})()`)
	t.Logf("the report form weighs %.0f bytes as transferred", weight)
	if weight <= 0 || weight > 200<<10 {
		t.Errorf("the report form weighs %.0f bytes, over the budget of 200 KB (or nothing was measured)", weight)
	}
	// The map: Leaflet and the world-atlas basemap load when it opens; a
	// click sets the coordinates.
	f.b.do(t, chromedp.Click(chromedp.CSS("#f-map-box summary")), chromedp.WaitVisible(chromedp.CSS("#f-map .leaflet-interactive")))
	f.set("#f-place-id", "torkham")
	f.b.do(t, chromedp.Click(chromedp.CSS("#f-map")))
	lat := eval[string](f, `document.querySelector('#f-place-lat').value`)
	if lat == "" || eval[string](f, `document.querySelector('#f-place-id').value`) != "" {
		t.Errorf("a click on the map gives latitude %q and keeps the gazetteer's id", lat)
	}
	f.b.screenshot(t, "report-form-map", "")

	f.b.do(t, chromedp.Navigate(srv.URL+"/file/report?lang=ur"), chromedp.WaitVisible(chromedp.CSS("#sf-fields")))
	if dir := eval[string](f, `getComputedStyle(document.querySelector('#sf-form')).direction`); dir != "rtl" {
		t.Errorf("the Urdu form lays out %s", dir)
	}
	f.b.screenshot(t, "report-form-ur", "")
	f.b.do(t, chromedp.EmulateViewport(375, 800), chromedp.Navigate(srv.URL+"/file/report?lang=en"), chromedp.WaitVisible(chromedp.CSS("#sf-fields")))
	if w := eval[int](f, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("at 375 px the report form is %d px wide", w)
	}
	f.b.screenshot(t, "report-form-phone", "")
}

// TestBrowserFormsUpload uploads an evidence file with forms.js's upload
// code, which reports progress and answers the file's hash, here with an
// API token's Authorization header, as an API client would. The form
// itself, without a session, says clearly that the upload needs one; with
// one, TestBrowserReportWithPhoto files a report with a photo.
func TestBrowserFormsUpload(t *testing.T) {
	e := mustEvidenceServer(t, 8<<20, nil)
	f := &formsRun{t: t, b: mustBrowser(t), m: e.m, url: e.url}
	f.b.do(t, chromedp.Navigate(e.url+"/file"))
	f.importKeys("pakistan-liaison-1")
	f.open("/file/report", "pakistan-liaison-1")
	content := bytes.Repeat([]byte("Notes of the field team, line by line.\n"), 50000) // about 2 MB
	sum := sha256.Sum256(content)
	var got struct {
		Status   int
		SHA256   string
		Progress [][2]float64
	}
	js := `(async () => {
	  const forms = await import('` + web.AssetURL("js/forms.js") + `');
	  const text = ` + jsString(string(content[:39])) + `.repeat(50000);
	  const file = new File([text], 'notes.txt', {type: 'text/plain'});
	  const progress = [];
	  const res = await forms.uploadEvidence(file, {headers: {Authorization: 'Bearer ` + e.tokens["pakistan-liaison-1"] + `'}, onProgress: (l, t) => progress.push([l, t])});
	  return JSON.stringify({status: res.status, sha256: res.body.sha256, progress});
	})()`
	if err := json.Unmarshal([]byte(eval[string](f, js)), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != http.StatusCreated || got.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("the upload answered %d with hash %q, want 201 and %x", got.Status, got.SHA256, sum)
	}
	if len(got.Progress) == 0 || got.Progress[len(got.Progress)-1][0] != float64(len(content)) {
		t.Errorf("the upload reported progress %v, ending short of %d bytes", got.Progress, len(content))
	}
	// The form's own upload, without a session: a clear refusal.
	dir := t.TempDir()
	path := filepath.Join(dir, "photo.txt")
	if err := os.WriteFile(path, []byte("a small file"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.b.do(t, chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{path}), chromedp.Click(chromedp.CSS("#f-upload")),
		chromedp.WaitVisible(chromedp.CSS("#f-upload-status.status-bad")))
	if msg := eval[string](f, `document.querySelector('#f-upload-status').textContent`); !strings.Contains(msg, "signed in") || !strings.Contains(msg, "401") {
		t.Errorf("the form says %q of an upload without a session", msg)
	}
}
