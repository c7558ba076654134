package audit_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/torchwood"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/audit"
	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
	"github.com/sulh-project/sulh/internal/web"
)

// fixture is the demo mechanism with its scenario, served over HTTP by
// the real server, its views in SQLite.
type fixture struct {
	t     *testing.T
	m     *demo.Mechanism
	story *demo.Story
	dir   string
	srv   *httptest.Server
	key   note.Verifier
}

func mustDemo(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	m, story, err := demo.Full(ctx, dir, ledger.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	srv := httptest.NewServer(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg))
	t.Cleanup(srv.Close)
	key, err := note.NewVerifier(m.Log.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, m: m, story: story, dir: dir, srv: srv, key: key}
}

// run audits the fixture's server, or the server at u if not empty.
func (f *fixture) run(u, stateFile string, comparisons ...audit.Comparison) (*audit.Result, error) {
	if u == "" {
		u = f.srv.URL
	}
	opts := audit.Options{URL: u, Key: f.key, StateFile: stateFile}
	if len(comparisons) > 0 {
		opts.Comparisons = comparisons
	}
	return audit.Run(context.Background(), opts)
}

// mustMatch audits and fails the test unless every figure matches.
func (f *fixture) mustMatch(stateFile string) *audit.Result {
	f.t.Helper()
	res, err := f.run("", stateFile)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(res.Differences) > 0 {
		f.t.Fatalf("the demo's server differs from its log:\n%s", diffs(res))
	}
	return res
}

// views opens the server's live views, to change them behind its back.
func (f *fixture) views() *sql.DB {
	f.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(f.dir, "sulh-views.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	return db
}

// grow files n more reports, alternately from each party, and waits for
// the views.
func (f *fixture) grow(n int) {
	f.t.Helper()
	ctx := context.Background()
	at := f.story.End
	for i := range n {
		author, accused := "pakistan-liaison-1", "afghanistan"
		if i%2 == 1 {
			author, accused = "afghanistan-liaison-1", "pakistan"
		}
		at = at.Add(time.Minute)
		if _, err := f.m.Submit(ctx, mechanism.KindReport, author, at, demo.SampleReport(fmt.Sprintf("audit report %d", i), accused, at.Add(-time.Hour))); err != nil {
			f.t.Fatal(err)
		}
	}
	f.story.End = at
	if err := f.m.Log.WaitViews(ctx, f.m.Log.Checkpoint().N); err != nil {
		f.t.Fatal(err)
	}
}

func diffs(res *audit.Result) string {
	var b strings.Builder
	for _, d := range res.Differences {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}

func TestAuditDemo(t *testing.T) {
	// The audit's temporary views go to a folder of this test's own, so
	// that another test's audit running beside it (the command's tests
	// run in another process) cannot be taken for a leftover.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	f := mustDemo(t)
	res := f.mustMatch("")
	size := f.m.Log.Checkpoint().N
	if res.Checkpoint.N != size || res.Replayed != size || res.Resumed || res.Previous != -1 {
		t.Errorf("audit: checkpoint %d, replayed %d, resumed %v, previous %d; want %d, %d, false, -1", res.Checkpoint.N, res.Replayed, res.Resumed, res.Previous, size, size)
	}
	// The demo has something of every figure compared: a finding, its
	// penalty, a commitment, crossings and a publication.
	for _, c := range res.Compared {
		if c.Figures == 0 {
			t.Errorf("%s: nothing compared on the demo", c.Name)
		}
	}
	if len(res.Compared) != len(audit.Default())+1 || res.Compared[len(res.Compared)-1].Name != audit.ReportsComparison {
		t.Errorf("compared %v; want every default comparison, then the periodic reports", res.Compared)
	}
	// The demo's sealed statement, a sealed note in the public log, is
	// replayed as the server replays it: the views match with it.
	if f.story.Sealed == 0 {
		t.Error("the demo has no sealed statement")
	}
	// Nothing is left of the temporary views.
	left, err := filepath.Glob(filepath.Join(tmp, "sulh-audit-*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range left {
		t.Errorf("the audit left %s behind", d)
	}
}

// TestAuditViewsChanged changes rows of the server's views behind its
// back, so that the API shows figures the log does not give, and checks
// that the audit names each.
func TestAuditViewsChanged(t *testing.T) {
	f := mustDemo(t)
	f.mustMatch("")
	db := f.views()
	var afghan, finding, publication int64
	var crossing, side, category string
	if err := db.QueryRow(`SELECT MIN(id) FROM cases WHERE accused = 'afghanistan' AND duplicate_of IS NULL`).Scan(&afghan); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT idx FROM findings`).Scan(&finding); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT idx FROM publications`).Scan(&publication); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT crossing, side FROM crossings WHERE status != 'open' ORDER BY idx DESC LIMIT 1`).Scan(&crossing, &side); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT category FROM case_categories k JOIN cases c ON c.id = k.case_id WHERE c.id = ?`, afghan).Scan(&category); err != nil {
		t.Fatal(err)
	}
	var counts struct {
		Items []store.Counts `json:"items"`
	}
	getJSON(t, f.srv.URL+"/api/v1/counts", &counts)
	accused := map[string]int64{}
	for _, c := range counts.Items {
		accused[c.Body] = c.Accused
	}
	for _, tc := range []struct {
		name   string
		change string
		args   []any
		undo   string
		want   []string
	}{{
		name:   "a case's accused party",
		change: `UPDATE cases SET accused = 'pakistan' WHERE id = ?`, args: []any{afghan},
		undo: `UPDATE cases SET accused = 'afghanistan' WHERE id = ?`,
		want: []string{
			fmt.Sprintf("cases by party: afghanistan accused: server %d, log %d", accused["afghanistan"]-1, accused["afghanistan"]),
			fmt.Sprintf("cases by party: pakistan accused: server %d, log %d", accused["pakistan"]+1, accused["pakistan"]),
		},
	}, {
		name:   "a case's category",
		change: `DELETE FROM case_categories WHERE case_id = ? AND category = ?`, args: []any{afghan, category},
		undo: `INSERT INTO case_categories (case_id, category) VALUES (?, ?)`,
		want: []string{"cases by category: " + category + ": server "},
	}, {
		name:   "a finding's outcome",
		change: `UPDATE findings SET outcome = 'cleared' WHERE idx = ?`, args: []any{finding},
		undo: `UPDATE findings SET outcome = 'attributed' WHERE idx = ?`,
		want: []string{fmt.Sprintf(`findings: finding %d: outcome: server "cleared", log "attributed"`, finding)},
	}, {
		name:   "a crossing's status",
		change: `UPDATE crossings SET status = 'open' WHERE crossing = ? AND side = ? AND status != 'open'`, args: []any{crossing, side},
		want: []string{fmt.Sprintf(`crossings: %s, %s's side: status: server "open", log "`, crossing, side)},
	}, {
		name:   "a publication's hash",
		change: `UPDATE publications SET sha256 = '0000000000000000000000000000000000000000000000000000000000000000' WHERE idx = ?`, args: []any{publication},
		want: []string{fmt.Sprintf(`publications: publication %d: sha256: server "0000000000000000000000000000000000000000000000000000000000000000", log "`, publication)},
	}, {
		name:   "a finding removed",
		change: `DELETE FROM findings WHERE idx = ?`, args: []any{finding},
		want: []string{fmt.Sprintf(`findings: finding %d: server none, log has it`, finding)},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			// The views as they are now: a rebuild puts them in a new
			// file.
			db := f.views()
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if res, err := tx.Exec(tc.change, tc.args...); err != nil {
				t.Fatal(err)
			} else if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("%s: %d rows changed, want 1", tc.change, n)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			res, err := f.run("", "")
			if err != nil {
				t.Fatal(err)
			}
			got := diffs(res)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("want %q among the differences, got:\n%s", w, got)
				}
			}
			if len(res.Differences) != len(tc.want) {
				t.Errorf("want %d differences, got:\n%s", len(tc.want), got)
			}
			// Put it back (or rebuild), so that the next case starts
			// from views that match.
			if tc.undo != "" {
				if _, err := db.Exec(tc.undo, tc.args...); err != nil {
					t.Fatal(err)
				}
			} else if _, err := f.m.Log.Rebuild(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			f.mustMatch("")
		})
	}
}

// forkedLog serves a log made of entries, signed with the log's own key,
// as a server that rewrites its history would, and passes every other
// request to the real server.
type forkedLog struct {
	tree    tlog.Tree
	signed  []byte
	entries [][]byte
	hashes  []tlog.Hash
	api     http.Handler
}

func (f *fixture) fork(entries [][]byte) *httptest.Server {
	f.t.Helper()
	signer, err := statement.LoadSigner(filepath.Join(f.dir, datadir.LogKeyFile))
	if err != nil {
		f.t.Fatal(err)
	}
	fl := &forkedLog{entries: entries, api: f.srv.Config.Handler}
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = fl.hashes[x]
		}
		return out, nil
	})
	for i, e := range entries {
		hs, err := tlog.StoredHashes(int64(i), e, reader)
		if err != nil {
			f.t.Fatal(err)
		}
		fl.hashes = append(fl.hashes, hs...)
	}
	fl.tree.N = int64(len(entries))
	if fl.tree.Hash, err = tlog.TreeHash(fl.tree.N, reader); err != nil {
		f.t.Fatal(err)
	}
	text := torchwood.Checkpoint{Origin: f.key.Name(), Tree: fl.tree}.String()
	if fl.signed, err = note.Sign(&note.Note{Text: text}, signer); err != nil {
		f.t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/log/checkpoint":
			w.Write(fl.signed)
		case strings.HasPrefix(r.URL.Path, "/log/tile/"):
			t, err := torchwood.ParseTilePath(strings.TrimPrefix(r.URL.Path, "/log/"))
			limit := fl.tree.N // the entries, or the hashes at the tile's level
			if err == nil && t.L > 0 {
				limit >>= uint(t.L * torchwood.TileHeight)
			}
			if err != nil || t.N*torchwood.TileWidth+int64(t.W) > limit {
				http.NotFound(w, r)
				return
			}
			if t.L == -1 {
				var b []byte
				for _, e := range entries[t.N*torchwood.TileWidth : t.N*torchwood.TileWidth+int64(t.W)] {
					b, _ = torchwood.AppendTileEntry(b, e)
				}
				w.Write(b)
				return
			}
			data, err := tlog.ReadTileData(t, reader)
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Write(data)
		default:
			fl.api.ServeHTTP(w, r)
		}
	}))
	f.t.Cleanup(srv.Close)
	return srv
}

// entries returns the server's log entries.
func (f *fixture) entries() [][]byte {
	f.t.Helper()
	var out [][]byte
	if err := f.m.Log.Entries(context.Background(), 0, f.m.Log.Checkpoint().N, func(_ int64, data []byte) error {
		out = append(out, data)
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
	return out
}

// TestAuditForkedLog serves the demo's log with an entry deleted, signed
// again with the log's key, and checks that the audit refuses it: because
// its statements no longer verify, because the server's own views hold
// more than it, or because it is not the log that an earlier audit saw,
// whether that audit kept its views to resume from or only its
// checkpoint, as sulh verify-log does.
func TestAuditForkedLog(t *testing.T) {
	f := mustDemo(t)
	entries := f.entries()
	n := int64(len(entries))
	without := func(i int64) [][]byte {
		return slices.Delete(slices.Clone(entries), int(i), int(i)+1)
	}
	// Two new reports, signed by their members, stand in for the entry
	// deleted: a log as long as before, and longer.
	var extra [][]byte
	for i := range 2 {
		at := f.story.End.Add(time.Duration(i+1) * time.Minute)
		msg, err := f.m.Sign(mechanism.KindReport, "pakistan-liaison-1", at, demo.SampleReport(fmt.Sprintf("forked report %d", i), "afghanistan", at))
		if err != nil {
			t.Fatal(err)
		}
		extra = append(extra, msg)
	}
	rewritten := append(without(n-1), extra...)

	t.Run("a statement deleted from the middle", func(t *testing.T) {
		_, err := f.run(f.fork(without(f.story.Published)).URL, "")
		var ve *audit.VerifyError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "not a valid statement") {
			t.Fatalf("audit of the log without entry %d: %v; want a VerifyError naming a statement that is not valid", f.story.Published, err)
		}
		t.Log(err)
	})
	t.Run("the last statement deleted", func(t *testing.T) {
		_, err := f.run(f.fork(without(n-1)).URL, "")
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("the server's views hold %d entries, but its signed log %d", n, n-1)) {
			t.Fatalf("audit of the log without its last entry: %v; want the views said to hold more than the log", err)
		}
		t.Log(err)
	})
	for _, tc := range []struct {
		name    string
		forked  [][]byte
		keep    bool // the earlier audit's views and state, or its checkpoint alone
		want    string
		wantIdx bool
	}{
		{"rewritten, resumed", rewritten, true, fmt.Sprintf("entry %d: the log was rewritten", n-1), true},
		{"rewritten, checkpoint only", rewritten, false, fmt.Sprintf("the log was rewritten: its first %d entries no longer have the root hash", n), true},
		{"shorter, resumed", without(n - 1), true, fmt.Sprintf("the log shrank: it had %d entries, now its checkpoint says %d", n, n-1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "audit.checkpoint")
			f.mustMatch(state)
			if !tc.keep {
				if err := os.RemoveAll(state + ".audit"); err != nil {
					t.Fatal(err)
				}
			}
			before, err := os.ReadFile(state)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.run(f.fork(tc.forked).URL, state)
			var ve *audit.VerifyError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("audit of a rewritten log: %v; want a VerifyError with %q", err, tc.want)
			}
			t.Log(err)
			// The state still holds the log as it was.
			if after, _ := os.ReadFile(state); string(after) != string(before) {
				t.Error("a failed audit changed the state file")
			}
			f.mustMatch(state)
		})
	}
}

// TestAuditResumes checks that an audit resumed from the state that the
// last one kept replays only the entries after it, and gives the same
// verdict as an audit of the whole log: when the figures match, and when
// they do not.
func TestAuditResumes(t *testing.T) {
	f := mustDemo(t)
	state := filepath.Join(t.TempDir(), "audit.checkpoint")
	first := f.mustMatch(state)
	if first.Resumed || first.Previous != -1 {
		t.Fatalf("first audit: resumed %v, previous %d", first.Resumed, first.Previous)
	}
	// A log that grows across entry bundles: 200 reports.
	f.grow(200)
	res := f.mustMatch(state)
	size := f.m.Log.Checkpoint().N
	if !res.Resumed || res.Previous != first.Checkpoint.N || res.Replayed != size-first.Checkpoint.N || res.Checkpoint.N != size {
		t.Fatalf("resumed audit: resumed %v, previous %d, replayed %d, checkpoint %d; want true, %d, %d, %d",
			res.Resumed, res.Previous, res.Replayed, res.Checkpoint.N, first.Checkpoint.N, size-first.Checkpoint.N, size)
	}
	whole := f.mustMatch("")
	if fmt.Sprint(res.Compared) != fmt.Sprint(whole.Compared) {
		t.Errorf("figures compared: resumed %v, whole %v", res.Compared, whole.Compared)
	}

	// The server's views change, and the log grows a little more: both
	// audits name the same differences.
	f.grow(3)
	db := f.views()
	if _, err := db.Exec(`UPDATE cases SET status = 'closed' WHERE id = (SELECT MAX(id) FROM cases)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE cases SET stage = 'published' WHERE id = (SELECT MIN(id) FROM cases WHERE stage = 'received')`); err != nil {
		t.Fatal(err)
	}
	resumed, err := f.run("", state)
	if err != nil {
		t.Fatal(err)
	}
	full, err := f.run("", "")
	if err != nil {
		t.Fatal(err)
	}
	if !resumed.Resumed || resumed.Replayed != 3 {
		t.Errorf("resumed audit: resumed %v, replayed %d; want true, 3", resumed.Resumed, resumed.Replayed)
	}
	if len(full.Differences) != 4 || diffs(resumed) != diffs(full) || resumed.Checkpoint.N != full.Checkpoint.N {
		t.Errorf("at %d and %d, the resumed audit found:\n%sthe whole one:\n%swant the same four differences (status and stage, each twice)", resumed.Checkpoint.N, full.Checkpoint.N, diffs(resumed), diffs(full))
	}
	t.Logf("differences:\n%s", diffs(full))

	// A state folder from another log size is not resumed from.
	other := filepath.Join(t.TempDir(), "other.checkpoint")
	if err := os.WriteFile(other, first.Checkpoint.Signed, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(other+".audit", os.DirFS(state+".audit")); err != nil {
		t.Fatal(err)
	}
	res, err = f.run("", other)
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed || diffs(res) != diffs(full) {
		t.Errorf("audit with a state folder of another size: resumed %v, differences:\n%s", res.Resumed, diffs(res))
	}

	// Nor is one whose views hold other tables: the release before
	// kept them all, as audit.db.
	older := filepath.Join(t.TempDir(), "older.checkpoint")
	if err := os.WriteFile(older, full.Checkpoint.Signed, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(older+".audit", os.DirFS(state+".audit")); err != nil {
		t.Fatal(err)
	}
	ours := "audit-" + store.AuditViewsVersion
	files, err := filepath.Glob(filepath.Join(older+".audit", ours+"*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no views %s* in the state folder (%v)", ours, err)
	}
	for _, f := range files {
		dir, name := filepath.Split(f)
		if err := os.Rename(f, filepath.Join(dir, "audit"+strings.TrimPrefix(name, ours))); err != nil {
			t.Fatal(err)
		}
	}
	res, err = f.run("", older)
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed || res.Replayed != full.Checkpoint.N || diffs(res) != diffs(full) {
		t.Errorf("audit with the views of another release: resumed %v, replayed %d of %d, differences:\n%s", res.Resumed, res.Replayed, full.Checkpoint.N, diffs(res))
	}
}

// TestAuditLogGrows files a statement while the audit compares: the audit
// verifies and replays it too, and compares at the new size.
func TestAuditLogGrows(t *testing.T) {
	f := mustDemo(t)
	before := f.m.Log.Checkpoint().N
	calls := 0
	grow := audit.Comparison{Name: "a statement filed meanwhile", Compare: func(ctx context.Context, c *audit.Client, local *store.DB) ([]audit.Difference, int, error) {
		calls++
		if calls == 1 {
			f.grow(1)
		}
		return nil, 1, nil
	}}
	res, err := f.run("", "", append([]audit.Comparison{grow}, audit.Default()...)...)
	if err != nil {
		t.Fatal(err)
	}
	if res.Checkpoint.N != before+1 || res.Replayed != before+1 || len(res.Differences) != 0 {
		t.Fatalf("audit: checkpoint %d, replayed %d, differences:\n%swant %d, %d and none", res.Checkpoint.N, res.Replayed, diffs(res), before+1, before+1)
	}
}

// TestAuditReportHook is the extension point for periodic reports: a
// comparison that fetches a report's numbers from the server and
// recomputes them from the replayed views. A server that serves a report
// whose numbers differ from the log is named.
func TestAuditReportHook(t *testing.T) {
	f := mustDemo(t)
	var counts store.CaseCounts
	getJSON(t, f.srv.URL+"/api/v1/counts", &counts)
	open := counts.ByStatus["open"]
	for _, tc := range []struct {
		name   string
		served int64
		want   string
	}{
		{"the report's numbers match", open, ""},
		{"the report's numbers differ", open + 2, fmt.Sprintf("report %d: open cases: server %d, log %d", f.story.Publication, open+2, open)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A report served beside the API, as of the log size asked
			// for, listed by its publication statement.
			mux := http.NewServeMux()
			mux.Handle("/", f.srv.Config.Handler)
			mux.HandleFunc("GET /reports/{idx}", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set(audit.ViewsAtHeader, fmt.Sprint(f.m.Log.ViewsAt()))
				json.NewEncoder(w).Encode(map[string]int64{"open": tc.served})
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			reports := audit.Comparison{Name: "reports", Compare: func(ctx context.Context, c *audit.Client, local *store.DB) ([]audit.Difference, int, error) {
				var pubs struct {
					Items []map[string]any `json:"items"`
				}
				if err := c.Get(ctx, "/api/v1/publications", nil, &pubs); err != nil {
					return nil, 0, err
				}
				mine, err := local.CaseCounts(ctx)
				if err != nil {
					return nil, 0, err
				}
				var d []audit.Difference
				for _, p := range pubs.Items {
					var numbers map[string]int64
					if err := c.Get(ctx, fmt.Sprintf("/reports/%v", p["idx"]), url.Values{}, &numbers); err != nil {
						return nil, 0, err
					}
					if numbers["open"] != mine.ByStatus["open"] {
						d = append(d, audit.Difference{Comparison: "reports", What: fmt.Sprintf("report %v: open cases", p["idx"]),
							Server: fmt.Sprint(numbers["open"]), Log: fmt.Sprint(mine.ByStatus["open"])})
					}
				}
				return d, len(pubs.Items), nil
			}}
			res, err := f.run(srv.URL, "", append(audit.Default(), reports)...)
			if err != nil {
				t.Fatal(err)
			}
			if got := diffs(res); tc.want == "" && got != "" || tc.want != "" && got != "reports: "+tc.want+"\n" {
				t.Errorf("differences:\n%swant %q", got, tc.want)
			}
			if last := res.Compared[len(res.Compared)-2]; last.Name != "reports" || last.Figures != 1 {
				t.Errorf("compared %v; want the demo's one report last", res.Compared)
			}
		})
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
