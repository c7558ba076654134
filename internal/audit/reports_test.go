package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/audit"
	"github.com/sulh-project/sulh/internal/mechanism"
)

// tamperReports serves the fixture's server, but when on, its periodic
// reports with one figure raised by one: the complaints received against
// the first party of the JSON, and the same number in the HTML.
func (f *fixture) tamperReports(on *atomic.Bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !on.Load() || !strings.HasPrefix(r.URL.Path, "/reports/") {
			f.srv.Config.Handler.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		f.srv.Config.Handler.ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		if rec.Code == http.StatusOK && !strings.HasSuffix(r.URL.Path, ".pdf") {
			q := *r.URL
			q.Path = strings.TrimSuffix(strings.TrimSuffix(q.Path, ".html"), ".json") + ".json"
			jrec := httptest.NewRecorder()
			jreq := httptest.NewRequest(http.MethodGet, q.String(), nil)
			f.srv.Config.Handler.ServeHTTP(jrec, jreq)
			var p map[string]any
			if err := json.Unmarshal(jrec.Body.Bytes(), &p); err == nil {
				if cs, _ := p["Complaints"].([]any); len(cs) > 0 {
					c := cs[0].(map[string]any)
					n := int64(c["Received"].(float64))
					if strings.HasSuffix(r.URL.Path, ".json") {
						c["Received"] = n + 1
						b, _ = json.MarshalIndent(p, "", " ")
					} else {
						b = bytes.Replace(b, []byte(fmt.Sprintf(">%d<", n)), []byte(fmt.Sprintf(">%d<", n+1)), 1)
					}
				}
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(b)
	}))
	f.t.Cleanup(srv.Close)
	return srv
}

// publish has a mediator publish the report at address u (under srv),
// recording sha (the SHA-256 of the bytes served, if empty), and returns
// the publication's index.
func (f *fixture) publish(srv *httptest.Server, u, sha string) int64 {
	f.t.Helper()
	ctx := context.Background()
	if sha == "" {
		resp, err := http.Get(srv.URL + u)
		if err != nil {
			f.t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			f.t.Fatalf("GET %s: %s %s %v", u, resp.Status, b, err)
		}
		sum := sha256.Sum256(b)
		sha = hex.EncodeToString(sum[:])
	}
	f.story.End = f.story.End.Add(time.Minute)
	rc, err := f.m.Submit(ctx, mechanism.KindPublication, "qatar-investigator-1", f.story.End, map[string]any{
		"title": "report " + u, "sha256": sha, "size": 1, "from": "2025-10-31T14:30:00Z", "to": "2025-11-30T14:30:00Z", "url": srv.URL + u,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.m.Log.WaitViews(ctx, rc.Index+1); err != nil {
		f.t.Fatal(err)
	}
	return rc.Index
}

// TestAuditReports publishes reports at earlier log sizes, one with the
// SHA-256 of its bytes and one with another, and audits: the audit makes
// each report itself, at its size, and names the publication whose hash
// is not the report's; then a server that serves reports with a figure
// changed, whose every changed figure and hash it names.
func TestAuditReports(t *testing.T) {
	f := mustDemo(t)
	var tamper atomic.Bool
	srv := f.tamperReports(&tamper)
	state := filepath.Join(t.TempDir(), "audit.state")
	if res, err := f.run(srv.URL, state); err != nil || len(res.Differences) > 0 {
		t.Fatalf("the demo: %v\n%s", err, diffs(res))
	}
	size := f.m.Log.Checkpoint().N
	n := strconv.FormatInt(size, 10)
	good := f.publish(srv, "/reports/monthly/2025-11-15.html?size="+n, "")
	bad := f.publish(srv, "/reports/weekly/2025-11-15.pdf?size="+n, strings.Repeat("0", 64))
	// A publication of a day that is none names no report: not the
	// server's difference.
	f.publish(srv, "/reports/daily/2025-02-30.html?size="+n, strings.Repeat("1", 64))
	f.grow(3) // the reports are of an earlier size than the log's
	var served struct {
		Complaints []struct {
			Party    string
			Received int64
		}
	}
	getJSON(t, srv.URL+"/reports/monthly/2025-11-15.json?size="+n, &served)
	if len(served.Complaints) == 0 {
		t.Fatal("no complaints in the demo's November report")
	}
	pdf, err := http.Get(srv.URL + "/reports/weekly/2025-11-15.pdf?size=" + n)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(pdf.Body)
	pdf.Body.Close()
	sum := sha256.Sum256(b)
	pdfSum := hex.EncodeToString(sum[:])
	badWant := []string{
		fmt.Sprintf(`report weekly/2025-11-15 at size %d: sha256 of pdf served, as publication %d records it: server %s, log %s`, size, bad, pdfSum, strings.Repeat("0", 64)),
		fmt.Sprintf(`report weekly/2025-11-15 at size %d: sha256 that publication %d records: server %s, log %s`, size, bad, strings.Repeat("0", 64), pdfSum),
	}

	for _, tc := range []struct {
		name   string
		tamper bool
		state  string
		want   []string
		// more: other differences are expected (the latest reports,
		// changed alike).
		more bool
	}{
		{name: "a publication's hash differs, resumed", state: state, want: badWant},
		{name: "a publication's hash differs", want: badWant},
		{name: "reports served with a figure changed", tamper: true, more: true, want: append([]string{
			fmt.Sprintf("report monthly/2025-11-15 at size %d: Complaints[%s].Received: server %d, log %d", size, served.Complaints[0].Party, served.Complaints[0].Received+1, served.Complaints[0].Received),
			fmt.Sprintf("report monthly/2025-11-15 at size %d: sha256 of html served, as publication %d records it: server ", size, good),
		}, badWant[1])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tamper.Store(tc.tamper)
			res, err := f.run(srv.URL, tc.state)
			if err != nil {
				t.Fatal(err)
			}
			got := diffs(res)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("want %q among the differences, got:\n%s", w, got)
				}
			}
			if !tc.more && len(res.Differences) != len(tc.want) {
				t.Errorf("want %d differences, got:\n%s", len(tc.want), got)
			}
			if c := res.Compared[len(res.Compared)-1]; c.Name != audit.ReportsComparison || c.Figures == 0 {
				t.Errorf("compared %v", res.Compared)
			}
		})
	}
}

// TestAuditAsksOnce: the audit asks the server for the latest daily,
// weekly and monthly reports in each format it checks, and for no report
// twice: what it asked ahead, while it made its own, it does not ask
// again.
func TestAuditAsksOnce(t *testing.T) {
	f := mustDemo(t)
	var mu sync.Mutex
	asked := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/reports/") {
			mu.Lock()
			asked[r.URL.RequestURI()]++
			mu.Unlock()
		}
		f.srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	res, err := f.run(srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Differences) > 0 {
		t.Fatalf("the demo's server differs from its log:\n%s", diffs(res))
	}
	size := res.Checkpoint.N
	latest := 0
	for u, n := range asked {
		if n != 1 {
			t.Errorf("the audit asked for %s %d times", u, n)
		}
		if strings.HasSuffix(u, "?size="+strconv.FormatInt(size, 10)) {
			latest++
		}
	}
	// Three reports, each in HTML, PDF and JSON, at the log's size.
	if latest != 9 {
		t.Errorf("the audit asked for %d reports at the log's size %d, want 9: %v", latest, size, asked)
	}
}
