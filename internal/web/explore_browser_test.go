package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/torchwood"
	"github.com/chromedp/chromedp"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

// verifyResult is what the verify button reported on a statement's page.
type verifyResult struct {
	Result, Reason, Verdict string
	Checks                  []string // the data-check of each step, in order
}

// verifyInBrowser opens url (a statement's page), gives the key and the
// witness keys, presses Verify and returns what the page says.
func verifyInBrowser(t *testing.T, b *browser, url, key, witnesses string, quorum ...string) verifyResult {
	t.Helper()
	b.do(t, chromedp.Navigate(url), chromedp.WaitVisible("#verify-button"))
	for _, q := range quorum {
		b.do(t, chromedp.SetValue("#witness-quorum", q))
	}
	if key != "" {
		b.do(t, chromedp.SetValue("#trusted-key", key))
	}
	if witnesses != "" {
		b.do(t, chromedp.SetValue("#witness-keys", witnesses))
	}
	b.do(t, chromedp.Click("#verify-button"), chromedp.WaitVisible("#verify-result[data-result]"))
	return browserRun(t, b, chromedp.Evaluate[verifyResult](`(() => { const r = document.getElementById('verify-result');
	  return {Result: r.dataset.result, Reason: r.dataset.reason || '', Verdict: r.querySelector('.verdict').textContent,
	    Checks: [...r.querySelectorAll('li')].map(li => li.dataset.check)}; })()`))
}

// pageWeightJS is what the page and everything it loaded weigh, as
// transferred (or, for what came from the cache, as encoded).
const pageWeightJS = `(() => { const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  return all.reduce((n, e) => n + Math.max(e.transferSize, e.encodedBodySize), 0); })()`

// TestBrowserExplorer opens the log explorer, pages back with htmx,
// opens the published finding's statement and verifies it in the browser,
// in English and in Urdu, within the weight budget, at desktop and phone
// widths, every link reachable by keyboard.
func TestBrowserExplorer(t *testing.T) {
	m, story, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	b := mustBrowser(t)
	c, err := m.Log.DB.Case(context.Background(), story.Published)
	if err != nil {
		t.Fatal(err)
	}
	finding := c["finding"].(int64)

	b.do(t, chromedp.Navigate(srv.URL+"/explore"), chromedp.WaitVisible("#entries"))
	if w := browserRun(t, b, chromedp.Evaluate[int](pageWeightJS)); w > 200_000 || w == 0 {
		t.Errorf("the explorer weighs %d bytes; the budget is 200,000", w)
	}
	if missed := b.keyboardReach(t); len(missed) > 0 {
		t.Errorf("explorer: not reachable by keyboard: %v", missed)
	}
	b.screenshot(t, "explorer", "explorer")
	rows := func() int {
		return browserRun(t, b, chromedp.Evaluate[int](`document.querySelectorAll('#entries tbody tr').length`))
	}
	if n := rows(); n != 25 {
		t.Fatalf("the explorer lists %d statements; want 25", n)
	}
	b.do(t, chromedp.Click("#older a"), chromedp.WaitVisible(`#entries a[href="/explore/32"]`))
	if n := rows(); n != 50 {
		t.Errorf("after Older, the explorer lists %d statements; want 50", n)
	}
	if href := browserRun(t, b, chromedp.Evaluate[string](`document.querySelector('#older a').getAttribute('href')`)); href != fmt.Sprintf("/explore?before=%d", m.Log.Checkpoint().N-50) {
		t.Errorf("after Older, the next Older link is %q", href)
	}

	page := fmt.Sprintf("%s/explore/%d", srv.URL, finding)
	b.do(t, chromedp.Navigate(page), chromedp.WaitVisible("#verify-button"))
	if w := browserRun(t, b, chromedp.Evaluate[int](pageWeightJS)); w > 200_000 {
		t.Errorf("a statement's page weighs %d bytes; the budget is 200,000", w)
	}
	r := verifyInBrowser(t, b, page, "", "")
	if r.Result != "verified" || !strings.HasPrefix(r.Verdict, "Verified") ||
		strings.Join(r.Checks, " ") != "key-page cp-ok entry-ok leaf proof-ok" {
		t.Errorf("verify on the finding's page: %+v", r)
	}
	if missed := b.keyboardReach(t); len(missed) > 0 {
		t.Errorf("statement page: not reachable by keyboard: %v", missed)
	}
	b.screenshot(t, "statement-verified", "")

	// With the log's key pasted, as a reader who got it elsewhere would.
	if r := verifyInBrowser(t, b, page, m.Log.VerifierKey(), ""); r.Result != "verified" || r.Checks[0] != "key-pasted" {
		t.Errorf("verify with the pasted log key: %+v", r)
	}

	// In Urdu, right to left, the verdict in Urdu.
	r = verifyInBrowser(t, b, page+"?lang=ur", "", "")
	dir := browserRun(t, b, chromedp.Evaluate[string](`document.documentElement.dir`))
	if r.Result != "verified" || !strings.HasPrefix(r.Verdict, "تصدیق ہو گئی") || dir != "rtl" {
		t.Errorf("verify in Urdu: dir %q, %+v", dir, r)
	}
	b.screenshot(t, "statement-ur", "")

	// At a phone's width nothing overflows the page sideways.
	b.do(t, chromedp.EmulateViewport(375, 800), chromedp.Navigate(srv.URL+"/explore?lang=en"), chromedp.WaitVisible("#entries"))
	if w := browserRun(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
		t.Errorf("at 375 px the explorer is %d px wide", w)
	}
	b.screenshot(t, "explorer-phone", "")
	b.do(t, chromedp.Navigate(page), chromedp.WaitVisible("#verify-button"))
	if w := browserRun(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
		t.Errorf("at 375 px a statement's page is %d px wide", w)
	}
}

// TestBrowserPublished opens the published record, reaches every link by
// keyboard, follows the finding's link to its statement and verifies it.
func TestBrowserPublished(t *testing.T) {
	m, story, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	b := mustBrowser(t)
	c, err := m.Log.DB.Case(context.Background(), story.Published)
	if err != nil {
		t.Fatal(err)
	}
	finding := c["finding"].(int64)
	b.do(t, chromedp.Navigate(srv.URL+"/published"), chromedp.WaitVisible("article.finding"))
	if w := browserRun(t, b, chromedp.Evaluate[int](pageWeightJS)); w > 200_000 || w == 0 {
		t.Errorf("the published record weighs %d bytes; the budget is 200,000", w)
	}
	if missed := b.keyboardReach(t); len(missed) > 0 {
		t.Errorf("published: not reachable by keyboard: %v", missed)
	}
	b.screenshot(t, "published", "")
	b.do(t, chromedp.Click(fmt.Sprintf(`article.finding a[href="/explore/%d"]`, finding)), chromedp.WaitVisible("#verify-button"))
	b.do(t, chromedp.Click("#verify-button"), chromedp.WaitVisible("#verify-result[data-result]"))
	if r := browserRun(t, b, chromedp.Evaluate[string](`document.getElementById('verify-result').dataset.result`)); r != "verified" {
		t.Errorf("the published finding's statement: %s", r)
	}
	b.do(t, chromedp.Navigate(srv.URL+"/published?lang=ar"), chromedp.WaitVisible("article.finding"))
	if dir := browserRun(t, b, chromedp.Evaluate[string](`document.documentElement.dir`)); dir != "rtl" {
		t.Errorf("the published record in Arabic is %q", dir)
	}
}

// TestBrowserVerifyCrossCheck holds what verify.js computes from the
// tiles, in Chromium, to what golang.org/x/mod/sumdb/tlog computes from
// the same tiles: the leaf hash, the inclusion proof and the root, for
// the first entry, the last, entries in a full tile and at its edges, in
// a log of more than 256 entries.
func TestBrowserVerifyCrossCheck(t *testing.T) {
	m, _, reg := mustDemo(t, true)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	for i := 0; m.Log.Checkpoint().N < 300; i++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("cross-check token %d", i)))
		if _, err := m.Submit(ctx, mechanism.KindTokenIssue, "afghanistan-liaison-1", now,
			map[string]any{"token": hex.EncodeToString(sum[:]), "expires": statement.FormatTime(now.Add(time.Hour))}); err != nil {
			t.Fatal(err)
		}
	}
	srv := mustServe(t, m, reg)
	c := &tilesClient{t: t, base: srv.URL}
	v, err := note.NewVerifier(m.Log.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	tree := c.checkpoint(v)
	hr := tlog.TileHashReader(tree, c)
	b := mustBrowser(t)
	b.do(t, chromedp.Navigate(srv.URL+"/explore/0"), chromedp.WaitVisible("#verify-button"))
	type computed struct {
		Leaf  string
		Proof []string
		Root  string
	}
	for _, i := range []int64{0, 1, 100, 254, 255, 256, 257, tree.N - 2, tree.N - 1} {
		got := browserRun(t, b, chromedp.Evaluate[computed](fmt.Sprintf(`sulhVerify.crossCheck(%d, %d)`, i, tree.N), chromedp.EvalAwaitPromise))
		bundle := c.get("/log/" + tilePath(tlog.Tile{H: 8, L: -1, N: i / 256, W: int(min(256, tree.N-i/256*256))}))
		entry := bundleEntry(t, bundle, int(i%256))
		proof, err := tlog.ProveRecord(tree.N, i, hr)
		if err != nil {
			t.Fatal(err)
		}
		leaf := tlog.RecordHash(entry)
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, i, leaf); err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, h := range proof {
			want = append(want, h.String())
		}
		if got.Leaf != leaf.String() || strings.Join(got.Proof, " ") != strings.Join(want, " ") || got.Root != tree.Hash.String() {
			t.Errorf("entry %d of %d: the browser computes %+v; tlog: leaf %s proof %v root %s", i, tree.N, got, leaf, want, tree.Hash)
		}
	}
	// And the whole check passes on an entry of the second tile.
	r := verifyInBrowser(t, b, fmt.Sprintf("%s/explore/%d", srv.URL, tree.N-1), "", "")
	if r.Result != "verified" {
		t.Errorf("verify on entry %d: %+v", tree.N-1, r)
	}
}

// liar serves a real server's answers, with whatever tamper does to them:
// the server that a verifier must not have to trust.
type liar struct {
	h      http.Handler
	mu     sync.Mutex
	tamper func(path string, body []byte) []byte
}

func (l *liar) set(f func(path string, body []byte) []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tamper = f
}

func (l *liar) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Header.Del("Accept-Encoding")
	rec := httptest.NewRecorder()
	l.h.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	l.mu.Lock()
	f := l.tamper
	l.mu.Unlock()
	if f != nil {
		body = f(r.URL.Path, bytes.Clone(body))
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.Header().Del("ETag")
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// TestBrowserVerifyAttacks runs the verifier against a server that lies:
// a checkpoint whose signature is not the log's, an entry altered both in
// the tiles and on the page, a page whose text is not the log's, a key
// the reader pasted that is not the log's, a malformed key, and witness
// cosignatures, good, unknown and forged. The page says "failed" with the
// reason each time it must.
func TestBrowserVerifyAttacks(t *testing.T) {
	m, story, reg := mustDemo(t, true)
	l := &liar{h: web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg)}
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	b := mustBrowser(t)
	idx := story.Published // the report that opened the published case
	page := fmt.Sprintf("%s/explore/%d", srv.URL, idx)
	cp := m.Log.Checkpoint()
	text, sigs, _ := strings.Cut(string(cp.Signed), "\n\n")
	text += "\n"

	// A witness, whose cosignature the liar adds to the checkpoint.
	_, wpriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	witness, err := torchwood.NewCosignatureSigner("witness.example/w1", wpriv)
	if err != nil {
		t.Fatal(err)
	}
	wsig, err := witness.Sign([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	cosigned := func(sig []byte) []byte {
		blob := append(binary.BigEndian.AppendUint32(nil, witness.KeyHash()), sig...)
		return []byte(text + "\n" + sigs + "— witness.example/w1 " + base64.StdEncoding.EncodeToString(blob) + "\n")
	}
	// inPre replaces old with new only in the statement's text on its page.
	inPre := func(body []byte, old, new string) []byte {
		const open = `<pre class="note" id="entry-text" dir="ltr">`
		i := bytes.Index(body, []byte(open))
		j := bytes.Index(body[i:], []byte("</pre>"))
		pre := bytes.ReplaceAll(body[i:i+j], []byte(old), []byte(new))
		return append(append(body[:i:i], pre...), body[i+j:]...)
	}
	statementPage := fmt.Sprintf("/explore/%d", idx)
	_, otherVKey, err := note.GenerateKey(rand.Reader, m.Log.Origin())
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name         string
		tamper       func(path string, body []byte) []byte
		key, witness string
		quorum       string // the witnesses required, if the test sets it
		result       string
		reason       string
		checks       string // the checks that must be among the steps
	}{
		{name: "the honest server", result: "verified", checks: "cp-ok entry-ok proof-ok"},
		{name: "a checkpoint whose signature is not the log's", result: "failed", reason: "cp-badsig",
			tamper: func(path string, body []byte) []byte {
				if path != "/log/checkpoint" {
					return body
				}
				i := bytes.LastIndexByte(body, ' ')
				sig, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(body[i+1:])))
				sig[10] ^= 1
				return append(body[:i+1], []byte(base64.StdEncoding.EncodeToString(sig)+"\n")...)
			}},
		{name: "an entry altered in the tiles and on the page", result: "failed", reason: "proof-bad",
			tamper: func(path string, body []byte) []byte {
				switch {
				case strings.HasPrefix(path, "/log/tile/entries/"):
					return bytes.ReplaceAll(body, []byte("summary"), []byte("summarx"))
				case path == statementPage:
					return inPre(body, "summary", "summarx")
				}
				return body
			}},
		{name: "a page whose text is not the log's", result: "failed", reason: "entry-differs",
			tamper: func(path string, body []byte) []byte {
				if path == statementPage {
					return inPre(body, "summary", "summarx")
				}
				return body
			}},
		{name: "a key the reader pasted that is not the log's", key: otherVKey, result: "failed", reason: "cp-nosig"},
		{name: "a malformed key", key: "sulh.local/x+00000000+AAAA", result: "failed", reason: "key-bad"},
		{name: "a witness's cosignature, its key given", witness: witness.Verifier().String(), result: "verified", checks: "proof-ok cosig-ok",
			tamper: func(path string, body []byte) []byte {
				if path == "/log/checkpoint" {
					return cosigned(wsig)
				}
				return body
			}},
		{name: "a witness's cosignature, its key not given", result: "verified", checks: "proof-ok cosig-unknown",
			tamper: func(path string, body []byte) []byte {
				if path == "/log/checkpoint" {
					return cosigned(wsig)
				}
				return body
			}},
		{name: "a quorum of one met", witness: witness.Verifier().String(), quorum: "1", result: "verified", checks: "cosig-ok",
			tamper: func(path string, body []byte) []byte {
				if path == "/log/checkpoint" {
					return cosigned(wsig)
				}
				return body
			}},
		{name: "a quorum of one, no cosignature", witness: witness.Verifier().String(), quorum: "1", result: "failed", reason: "cosig-quorum"},
		{name: "a quorum of one, a cosignature by a key not required", quorum: "1", result: "failed", reason: "cosig-quorum", checks: "cosig-unknown",
			tamper: func(path string, body []byte) []byte {
				if path == "/log/checkpoint" {
					return cosigned(wsig)
				}
				return body
			}},
		{name: "a forged cosignature", witness: witness.Verifier().String(), result: "failed", reason: "cosig-bad",
			tamper: func(path string, body []byte) []byte {
				if path == "/log/checkpoint" {
					bad := bytes.Clone(wsig)
					bad[20] ^= 1
					return cosigned(bad)
				}
				return body
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l.set(tt.tamper)
			var quorum []string
			if tt.quorum != "" {
				quorum = []string{tt.quorum}
			}
			r := verifyInBrowser(t, b, page, tt.key, tt.witness, quorum...)
			checks := " " + strings.Join(r.Checks, " ") + " "
			if r.Result != tt.result || r.Reason != tt.reason {
				t.Errorf("got %s (%s), want %s (%s): %+v", r.Result, r.Reason, tt.result, tt.reason, r)
			}
			for _, c := range strings.Fields(tt.checks) {
				if !strings.Contains(checks, " "+c+" ") {
					t.Errorf("the steps %v lack %s", r.Checks, c)
				}
			}
			if tt.result == "failed" && !strings.HasPrefix(r.Verdict, "Failed:") {
				t.Errorf("the verdict does not say it failed: %q", r.Verdict)
			}
			if tt.key != "" && r.Checks[0] != "key-pasted" {
				t.Errorf("the page does not say it used the pasted key: %v", r.Checks)
			}
		})
	}
}
