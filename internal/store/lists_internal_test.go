package store

import (
	"strings"
	"testing"
)

// FuzzListQuery checks that no filter makes a list's query panic, and that
// every query it builds has one argument per placeholder.
func FuzzListQuery(f *testing.F) {
	for _, l := range lists {
		for _, p := range l.Params {
			f.Add(l.Name, p.Name, "pakistan", "category", "shelling", int64(0), 10, false)
		}
	}
	f.Add("cases", "from", "2025-10-20T22:00:00+05:00", "to", "2025-10-21T00:00:00Z", int64(30), 500, true)
	f.Add("cases", "party", "x' OR '1'='1", "party", "?", int64(-1), 0, true)
	f.Fuzz(func(t *testing.T, list, p1, v1, p2, v2 string, before int64, limit int, bbox bool) {
		l, ok := ListNamed(list)
		if !ok {
			return
		}
		flt := Filter{Match: []Match{{p1, v1}, {p2, v2}}, Before: before, Limit: limit}
		if bbox {
			flt.BBox = &BBox{MinLon: 60, MinLat: 29, MaxLon: 72, MaxLat: 37}
		}
		q, args, err := l.query(flt)
		if err != nil {
			return
		}
		if n := strings.Count(q, "?"); n != len(args) {
			t.Fatalf("%q: %d placeholders, %d arguments", q, n, len(args))
		}
	})
}
