package audit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"unicode"

	"github.com/sulh-project/sulh/internal/store"
)

// FuzzAnswers serves anything as the server's answer to every comparison
// and checks that the audit reads it without panicking: a figure it cannot
// read is an error, and any difference it finds names what differs.
func FuzzAnswers(f *testing.F) {
	for _, s := range []string{
		`{"items": [{"body": "pakistan", "reported": 1, "accused": 2, "duplicates": 0}], "by_category": {"x": 1}, "by_status": {}, "by_stage": {"received": 3}}`,
		`{"items": [{"idx": 5, "outcome": "cleared"}, {"idx": 3}], "next": 3}`,
		`{"items": [{"idx": 5}], "next": 9}`,
		`{"items": [{"idx": "5"}], "next": null}`,
		`{"items": [{"idx": 1e400}]}`,
		`{"items": null, "next": -1}`,
		`[]`, `null`, ``, `{"by_category": {"a": -1}}`,
	} {
		f.Add([]byte(s))
	}
	db, err := store.OpenSQLite(context.Background(), filepath.Join(f.TempDir(), "audit.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	var answer []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(ViewsAtHeader, "10")
		w.Write(answer)
	}))
	f.Cleanup(srv.Close)
	c := &Client{base: srv.URL, http: srv.Client(), size: 10}
	f.Fuzz(func(t *testing.T, b []byte) {
		answer = b
		for _, cmp := range Default() {
			diffs, _, err := cmp.Compare(context.Background(), c, db)
			if err != nil {
				continue
			}
			for _, d := range diffs {
				if d.Comparison == "" || d.What == "" || d.Server == "" || d.Log == "" {
					t.Errorf("%s: a difference that does not say what differs: %+v", cmp.Name, d)
				}
			}
		}
	})
}

// FuzzReportFigures reads anything as a server's figures of a periodic
// report: each figure gets a path that names it without control
// characters, whatever names the server's JSON holds.
func FuzzReportFigures(f *testing.F) {
	for _, s := range []string{
		`{"Kind": "daily", "LogSize": 82, "Complaints": [{"Party": "afghanistan", "Received": 3}], "ByCategory": [{"Key": "x\n", "This": 1}]}`,
		`{"Crossings": [{"Crossing": "torkham", "Side": "pakistan", "Status": "closed"}, {"Index": 9}, [], null]}`,
		`[[[1]]]`, `{"a\u0000b": {"": [{"Key": 5}]}}`, `1e400`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if decode("report", b, &v) != nil {
			return
		}
		out := map[string]string{}
		flatten("", v, out)
		for k := range out {
			for _, r := range k {
				if unicode.IsControl(r) {
					t.Fatalf("a figure named %q", k)
				}
			}
		}
	})
}
