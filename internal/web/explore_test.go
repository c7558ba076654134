package web_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

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
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /published lacks %q", want)
		}
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
