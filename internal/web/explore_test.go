package web_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// getPage gets a page and returns its status and body.
func getPage(t *testing.T, url string) (int, string) {
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
	return resp.StatusCode, string(b)
}

// TestExplorePages renders the explorer and the page of every statement
// of the demo: each shows its entry exactly as the log holds it, and the
// inclusion proof that golang.org/x/mod/sumdb/tlog computes from the
// served tiles; the checkpoint's signature line is marked as the log's
// own; paging goes back to index 0; bad indexes are refused.
func TestExplorePages(t *testing.T) {
	m, story, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	c := &tilesClient{t: t, base: srv.URL}
	v, err := note.NewVerifier(m.Log.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	tree := c.checkpoint(v)
	hr := tlog.TileHashReader(tree, c)

	status, body := getPage(t, srv.URL+"/explore")
	if status != http.StatusOK {
		t.Fatalf("GET /explore: %d", status)
	}
	body = html.UnescapeString(body)
	cp := string(c.get("/log/checkpoint"))
	text, sig, _ := strings.Cut(cp, "\n\n")
	for _, want := range []string{text, strings.TrimSuffix(sig, "\n"), "The log's own key",
		fmt.Sprintf(`href="/explore/%d"`, tree.N-1), fmt.Sprintf(`href="/explore?before=%d"`, tree.N-25), `hx-select="#entries tbody tr"`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /explore lacks %q", want)
		}
	}
	// The pages of the list reach index 0, each link once.
	seen := map[int64]bool{}
	for before := tree.N; ; {
		_, body := getPage(t, fmt.Sprintf("%s/explore?before=%d", srv.URL, before))
		for i := range tree.N {
			if strings.Contains(body, fmt.Sprintf(`href="/explore/%d"`, i)) {
				if seen[i] {
					t.Errorf("statement %d listed twice", i)
				}
				seen[i] = true
			}
		}
		if before <= 25 {
			if !strings.Contains(html.UnescapeString(body), "The list reaches the log's first statement.") {
				t.Errorf("the last page does not say it reached the first statement")
			}
			break
		}
		before -= 25
	}
	if int64(len(seen)) != tree.N {
		t.Errorf("the explorer's pages list %d statements of %d", len(seen), tree.N)
	}

	for i := range tree.N {
		status, body := getPage(t, fmt.Sprintf("%s/explore/%d", srv.URL, i))
		if status != http.StatusOK {
			t.Fatalf("GET /explore/%d: %d %s", i, status, body)
		}
		body = html.UnescapeString(body)
		entries := c.get("/log/" + tilePath(tlog.Tile{H: 8, L: -1, N: i / 256, W: int(min(256, tree.N-i/256*256))}))
		entry := bundleEntry(t, entries, int(i%256))
		if !strings.Contains(body, `<pre class="note" id="entry-text" dir="ltr">`+string(entry)+`</pre>`) {
			t.Errorf("GET /explore/%d does not show the entry as signed", i)
		}
		if !strings.Contains(body, tlog.RecordHash(entry).String()) {
			t.Errorf("GET /explore/%d does not show its leaf hash", i)
		}
		proof, err := tlog.ProveRecord(tree.N, i, hr)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range proof {
			if !strings.Contains(body, `<li><code class="hash">`+h.String()+`</code></li>`) {
				t.Errorf("GET /explore/%d lacks proof hash %s", i, h)
			}
		}
	}
	// A statement of the published case links to it; its finding's page
	// names both mediators as signers toward the finding's quorum.
	_, body = getPage(t, fmt.Sprintf("%s/explore/%d", srv.URL, story.Published))
	if !strings.Contains(body, fmt.Sprintf(`href="/cases/%d"`, story.Published)) {
		t.Errorf("the report that opened case %d does not link to it", story.Published)
	}
	for _, tt := range []struct {
		path   string
		status int
	}{
		{fmt.Sprintf("/explore/%d", tree.N), 404},
		{"/explore/-1", 404},
		{"/explore/x", 404},
		{"/explore?before=0", 400},
		{"/explore?before=x", 400},
	} {
		if status, _ := getPage(t, srv.URL+tt.path); status != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.path, status, tt.status)
		}
	}
}

// bundleEntry is entry k of a c2sp.org/tlog-tiles entry bundle.
func bundleEntry(t *testing.T, bundle []byte, k int) []byte {
	t.Helper()
	for i := 0; len(bundle) >= 2; i++ {
		n := int(bundle[0])<<8 | int(bundle[1])
		if len(bundle) < 2+n {
			break
		}
		if i == k {
			return bundle[2 : 2+n]
		}
		bundle = bundle[2+n:]
	}
	t.Fatalf("the bundle has no entry %d", k)
	return nil
}

// TestPublishedPage shows the demo's published finding with its case,
// outcome, confidence, rationale as written, both mediators and its log
// index; the demo's publication with its hash; and the counts by body.
func TestPublishedPage(t *testing.T) {
	m, story, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	status, body := getPage(t, srv.URL+"/published")
	if status != http.StatusOK {
		t.Fatalf("GET /published: %d %s", status, body)
	}
	body = html.UnescapeString(body)
	c, err := m.Log.DB.Case(context.Background(), story.Published)
	if err != nil {
		t.Fatal(err)
	}
	finding := c["finding"].(int64)
	f, err := m.Log.DB.List(context.Background(), "findings", storeFilter("case", fmt.Sprint(story.Published)))
	if err != nil || len(f.Rows) == 0 {
		t.Fatalf("the published case's findings: %v", err)
	}
	pubs, err := m.Log.DB.List(context.Background(), "publications", storeFilter())
	if err != nil || len(pubs.Rows) == 0 {
		t.Fatalf("the publications: %v", err)
	}
	for _, want := range []string{
		fmt.Sprintf(`<a href="/cases/%d">Case %d</a>`, story.Published, story.Published),
		"A violation, attributed to Pakistan",
		"<code>low</code>",
		f.Rows[0]["rationale"].(string),
		"qatar-investigator-1", "turkiye-investigator-1",
		fmt.Sprintf(`<a href="/explore/%d">Statement %d</a>`, finding, finding),
		fmt.Sprintf(`<a href="/explore/%d">Statement %d</a>`, story.Publication, story.Publication),
		pubs.Rows[0]["sha256"].(string),
		"Cases that accuse it",
		`aria-current="page">Published</a>`,
		// The latest reports: the demo's log time is 6 December 2025,
		// 12:10 UTC, before that day's cut-off.
		`<a href="/reports/daily/2025-12-06.html">daily</a>`,
		`<a href="/reports/weekly/2025-12-06.html">weekly</a>`,
		`<a href="/reports/monthly/2025-12-06.html">monthly</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /published lacks %q", want)
		}
	}
	for _, kind := range []string{"daily", "weekly", "monthly"} {
		if status, body := getPage(t, srv.URL+"/reports/"+kind+"/2025-12-06.html"); status != http.StatusOK || !strings.Contains(body, "log size") {
			t.Errorf("the latest %s report: %d %.200s", kind, status, body)
		}
	}
	// /reports/ is the published record's reports.
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(srv.URL + "/reports/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/published#reports" {
		t.Errorf("GET /reports/: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// Only the published case's finding is there: the demo's other
	// findings, if any, are on cases not yet published.
	if n := strings.Count(body, `<article class="finding"`); n != 1 {
		t.Errorf("GET /published shows %d findings; the demo publishes 1", n)
	}
	for _, tt := range []struct {
		path   string
		status int
	}{{"/published?before=x", 400}, {"/published?before=0", 400}, {fmt.Sprintf("/published?before=%d", finding), 200}} {
		if status, _ := getPage(t, srv.URL+tt.path); status != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.path, status, tt.status)
		}
	}
	if _, body := getPage(t, fmt.Sprintf("%s/published?before=%d", srv.URL, finding)); strings.Contains(body, `<article class="finding"`) ||
		!strings.Contains(body, "No finding has been published yet.") {
		t.Errorf("the page of findings before the only one is not empty")
	}
}

// storeFilter is a filter of a list: pairs of a parameter and its value.
func storeFilter(pairs ...string) store.Filter {
	var f store.Filter
	for i := 0; i+1 < len(pairs); i += 2 {
		f.Match = append(f.Match, store.Match{Param: pairs[i], Value: pairs[i+1]})
	}
	return f
}

// evil is text that a page that does not escape would run or break on.
const evil = `<script>alert(1)</script> "><img src=x onerror=alert(1)>`

// publishCase files a report and takes its case through every stage to
// publication with a finding whose rationale is rationale; it returns the
// case and the finding's index. With sealed, the finding is filed sealed
// (the rulebook must keep findings confidential) and the board's
// endorsement discloses it; stop, if not empty, is the stage to stop
// before.
func publishCase(t *testing.T, m *demo.Mechanism, summary, rationale string, sealed bool, stop string) (int64, int64) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	submit := func(kind, author string, fields map[string]any, cosigners ...string) int64 {
		t.Helper()
		r, err := m.Submit(ctx, kind, author, now, fields, cosigners...)
		if err != nil {
			t.Fatalf("%s by %s: %v", kind, author, err)
		}
		return r.Index
	}
	c := submit(mechanism.KindReport, "pakistan-liaison-1", map[string]any{"channel": "party", "accused": "afghanistan",
		"event": map[string]any{"time": statement.FormatTime(now.Add(-time.Hour)), "precision": "exact"},
		"place": map[string]any{"name": "Angoor Adda", "geo_precision": 2}, "event_type": "battles", "sub_event_type": "armed_clash",
		"summary": summary, "language": "en"})
	advance := func(to, by string) bool {
		if to == stop {
			return false
		}
		submit(mechanism.KindCaseAdvance, by, map[string]any{"case": c, "to": to})
		return true
	}
	for _, to := range []string{"preliminary", "investigation", "draft"} {
		advance(to, "qatar-investigator-1")
	}
	body, _ := json.Marshal(map[string]any{"mechanism": m.Log.Rulebook().ID, "kind": mechanism.KindFinding, "author": "qatar-investigator-1",
		"at": statement.FormatTime(now), "refs": []any{}, "case": c, "outcome": "attributed", "party": "afghanistan", "confidence": "moderate",
		"rationale": rationale, "rulebook_version": m.Log.Rulebook().Version})
	salt := bytes.Repeat([]byte{5}, 32)
	var finding int64
	if sealed {
		msg, err := m.Sign(mechanism.KindSealed, "qatar-investigator-1", now, map[string]any{"sealed_kind": mechanism.KindFinding, "case": c,
			"visibility": []string{"turkiye", "board", "pakistan", "afghanistan"}, "digest": mechanism.SealDigest(salt, body)}, "turkiye-investigator-1")
		if err != nil {
			t.Fatal(err)
		}
		r, err := m.Log.SubmitSealed(ctx, msg, salt, body)
		if err != nil {
			t.Fatalf("the sealed finding: %v", err)
		}
		finding = r.Index
	} else {
		finding = submit(mechanism.KindFinding, "qatar-investigator-1", map[string]any{"case": c, "outcome": "attributed", "party": "afghanistan",
			"confidence": "moderate", "rationale": rationale, "rulebook_version": m.Log.Rulebook().Version}, "turkiye-investigator-1")
	}
	if !advance("party_reply", "qatar-investigator-1") {
		return c, finding
	}
	// The accused party replies; a sealed finding's blame is not known
	// until it is disclosed, so each party may reply, and each does.
	repliers := []string{"afghanistan-liaison-1"}
	if sealed {
		repliers = append(repliers, "pakistan-liaison-1")
	}
	for _, p := range repliers {
		submit(mechanism.KindReply, p, map[string]any{"case": c, "position": "no_comment", "text": "Noted, " + p + ".", "language": "en"})
	}
	if !advance("technical_committee", "qatar-investigator-1") || !advance("board", "qatar-investigator-1") {
		return c, finding
	}
	endorse := map[string]any{"case": c, "finding": finding}
	if sealed {
		endorse["salt"], endorse["body"] = hex.EncodeToString(salt), json.RawMessage(body)
	}
	submit(mechanism.KindEndorsement, "board-qatar-1", endorse, "board-turkiye-1")
	advance("published", "board-qatar-1")
	if err := m.Log.WaitViews(ctx, m.Log.Checkpoint().N); err != nil {
		t.Fatal(err)
	}
	return c, finding
}

// TestPublishedConfidential: a finding filed sealed stays off the
// published record and out of the explorer's pages while it is sealed,
// even once its case reached the board; the endorsement that discloses it
// and the case's publication put it there.
func TestPublishedConfidential(t *testing.T) {
	ctx := context.Background()
	var rb map[string]any
	if err := json.Unmarshal(mechanism.DefaultRulebook, &rb); err != nil {
		t.Fatal(err)
	}
	rb["confidential_findings"] = true
	template, _ := json.Marshal(rb)
	reg := prometheus.NewRegistry()
	m, err := demo.Create(ctx, t.TempDir(), template, demo.Start, ledger.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	if err := m.Members(ctx); err != nil {
		t.Fatal(err)
	}
	srv := mustServe(t, m, reg)
	const secret = "CONFIDENTIAL: the crater faces Afghan positions."
	c, finding := publishCase(t, m, "Fire on a border post.", secret, true, "technical_committee")
	check := func(when string) {
		t.Helper()
		for _, path := range []string{"/published", "/explore", fmt.Sprintf("/explore/%d", finding), fmt.Sprintf("/explore/%d", c)} {
			status, body := getPage(t, srv.URL+path)
			if status != http.StatusOK || strings.Contains(body, "CONFIDENTIAL") {
				t.Errorf("%s: GET %s: %d, shows the sealed finding: %v", when, path, status, strings.Contains(body, "CONFIDENTIAL"))
			}
		}
		if _, body := getPage(t, srv.URL+"/published"); strings.Contains(body, fmt.Sprintf(`href="/explore/%d"`, finding)) {
			t.Errorf("%s: the published record links to the sealed finding", when)
		}
	}
	check("sealed, in party reply")
	if _, body := getPage(t, fmt.Sprintf("%s/explore/%d", srv.URL, finding)); !strings.Contains(body, "This statement is sealed") {
		t.Errorf("the sealed finding's page does not say it is sealed")
	}

	// Another case, published: its sealed finding is disclosed by the
	// endorsement, and only then on the record.
	c2, finding2 := publishCase(t, m, "Shelling near Chaman.", "Disclosed: the shells came from the west.", true, "")
	_, body := getPage(t, srv.URL+"/published")
	if !strings.Contains(body, fmt.Sprintf(`href="/cases/%d"`, c2)) || !strings.Contains(body, fmt.Sprintf(`href="/explore/%d"`, finding2)) ||
		!strings.Contains(body, "Disclosed: the shells came from the west.") {
		t.Errorf("the disclosed, published finding is not on the record")
	}
	check("beside a published one")
}

// TestExploreEscapes files a case whose summary and finding's rationale
// are script and markup, publishes it, and holds the explorer, the
// statements' pages and the published record to show them as text, in
// the page's source and in Chromium's DOM.
func TestExploreEscapes(t *testing.T) {
	m, _, reg := mustDemo(t, false)
	srv := mustServe(t, m, reg)
	c, finding := publishCase(t, m, evil, evil, false, "")
	paths := []string{"/published", "/explore", fmt.Sprintf("/explore/%d", c), fmt.Sprintf("/explore/%d", finding)}
	for _, path := range paths {
		status, body := getPage(t, srv.URL+path)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, status)
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || strings.Contains(body, `"><img`) {
			t.Errorf("GET %s shows the text as markup", path)
		}
	}
	_, body := getPage(t, srv.URL+"/published")
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("the published record does not show the rationale as text")
	}
	b := mustBrowser(t)
	for _, path := range paths {
		b.do(t, chromedp.Navigate(srv.URL+path), chromedp.WaitVisible("main"))
		injected := browserRun(t, b, chromedp.Evaluate[int](`document.querySelectorAll('main img, main script').length`))
		if injected != 0 {
			t.Errorf("%s: the text became %d elements", path, injected)
		}
	}
	b.do(t, chromedp.Navigate(srv.URL+"/published"), chromedp.WaitVisible("blockquote.content"))
	if got := browserRun(t, b, chromedp.Text("blockquote.content")); got != evil {
		t.Errorf("the rationale reads %q, want it as written", got)
	}
}
