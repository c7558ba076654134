package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/sulh-project/sulh/internal/store"
)

func TestFilter(t *testing.T) {
	for _, tc := range []struct {
		query, view string
		want        string // an error's text, or "" for none
		conds       int
	}{
		{"", "cases", "", 0},
		{"stage=received&party=pakistan&limit=10", "cases", "", 2},
		{"bbox=69,31,72,35", "cases", "", 1},
		{"from=2025-10-01T00:00:00Z&to=2025-11-01T00:00:00Z", "cases", "", 2},
		{"bbox=69,31,72", "cases", "bbox must be", 0},
		{"bbox=72,31,69,35", "cases", "min ≤ max", 0},
		{"bbox=NaN,31,72,35", "cases", "bbox must be", 0},
		{"bbox=69,31,72,35", "findings", "unknown parameter", 0},
		{"from=yesterday", "cases", "from:", 0},
		{"limit=0", "cases", "limit must be", 0},
		{"limit=501", "cases", "limit must be", 0},
		{"before=-3", "cases", "before must be", 0},
		{"stage=a&stage=b", "cases", "given 2 times", 0},
		{"stgae=received", "cases", `unknown parameter "stgae"`, 0},
		{"outcome=guilty", "cases", "outcome must be one of", 0},
		{"case=x", "claims", "case must be an integer", 0},
		{"status=missed&body=afghanistan", "deadlines", "", 2},
		{"stage=" + strings.Repeat("x", 201), "cases", "too long", 0},
	} {
		q, _ := url.ParseQuery(tc.query)
		l, _ := store.ListNamed(tc.view)
		f, err := filter(q, l)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s?%s: %v", tc.view, tc.query, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s?%s: error %v, want %q", tc.view, tc.query, err, tc.want)
		case err == nil && conds(f) != tc.conds:
			t.Errorf("%s?%s: %d conditions, want %d: %v", tc.view, tc.query, conds(f), tc.conds, f)
		}
	}
}

func conds(f store.Filter) int {
	n := len(f.Match)
	if f.BBox != nil {
		n++
	}
	return n
}

// FuzzFilter checks that no query string makes filter panic, and that every
// filter it builds is one the list takes, with a bounded limit.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{"", "stage=received&party=pakistan&limit=10", "bbox=69,31,72,35", "from=2025-10-01T00:00:00Z", "before=3&limit=500", "%zz", "bbox=1e308,-1e308,NaN,Inf"} {
		f.Add(s, "cases")
		f.Add(s, "deadlines")
	}
	f.Fuzz(func(t *testing.T, query, view string) {
		spec, ok := store.ListNamed(view)
		if !ok {
			return
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		flt, err := filter(q, spec)
		if err != nil {
			return
		}
		for _, m := range flt.Match {
			p, ok := spec.Param(m.Param)
			if !ok {
				t.Fatalf("%q: %s does not take %s", query, view, m.Param)
			}
			if _, err := p.Check(m.Value); err != nil {
				t.Fatalf("%q: %v", query, err)
			}
		}
		if flt.Limit < 1 || flt.Limit > maxLimit {
			t.Fatalf("%q: limit %d", query, flt.Limit)
		}
	})
}
