package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
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
		f, err := filter(q, l, nil)
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
		flt, err := filter(q, spec, nil)
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

// TestFilterValues checks the values that the rulebook or the mechanism
// names: an unknown one is refused with the allowed values, not answered
// with an empty list; and times whose '+' arrived as a space are refused
// with a message that says to encode it.
func TestFilterValues(t *testing.T) {
	rb, err := mechanism.ParseRulebook(mechanism.DefaultRulebook)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query, view string
		want        string // an error's text, or "" for none
	}{
		{"stage=received", "cases", ""},
		{"stage=foo", "cases", `stage: "foo" is not a stage of the rulebook; use one of received, preliminary, investigation, draft, party_reply, technical_committee, board, published`},
		{"stage=Received", "cases", `stage: "Received" is not a stage of the rulebook`},
		{"stage=", "cases", ""},
		{"party=pakistan&accused=afghanistan&reporter=monitors", "cases", ""},
		{"party=pakistn", "cases", `party: "pakistn" is not a body of the rulebook; use one of pakistan, afghanistan, qatar, turkiye, monitors, board`},
		{"accused=qatar", "cases", `accused: "qatar" is not a party of the rulebook; use one of pakistan, afghanistan`},
		{"category=cross_border_fire&type=battles&sub_type=armed_clash", "cases", ""},
		{"category=shelling", "cases", `category: "shelling" is not a category of the rulebook; use one of cross_border_fire,`},
		{"type=fighting", "cases", `type: "fighting" is not an ACLED event type; use one of battles,`},
		{"sub_type=clash", "cases", `sub_type: "clash" is not an ACLED sub-event type; use one of`},
		{"kind=reports", "statements", `kind: "reports" is not a statement kind; use one of rulebook, member.enrol,`},
		{"kind=report&body=", "statements", ""},
		{"body=pakistan", "deadlines", ""},
		{"body=nobody", "members", `body: "nobody" is not a body of the rulebook`},
		{"measure=killed", "claims", "measure must be one of [killed_civilian killed_combatant injured_civilian injured_combatant]"},
		{"from=2025-10-20T22:00:00%2B05:00", "cases", ""},
		{"from=2025-10-20T22:00:00+05:00", "cases", `from: "2025-10-20T22:00:00 05:00" has a space where its zone's '+' was: a '+' in a query string means a space, so write it as %2B, as in from=2025-10-20T22:00:00%2B05:00, or give the time in UTC with a Z`},
		{"to=2025-10-20T17:00:00-04:30", "cases", ""},
		{"to=tomorrow", "cases", `to: "tomorrow" is not an RFC 3339 time such as 2025-10-20T22:00:00%2B05:00 (the '+' written %2B) or 2025-10-20T17:00:00Z`},
		{"to=2025-10-20 17:00:00Z", "cases", "is not an RFC 3339 time"},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := store.ListNamed(tc.view)
		_, err = filter(q, l, rb)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s?%s: %v", tc.view, tc.query, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s?%s: error %v,\nwant %q", tc.view, tc.query, err, tc.want)
		}
		// Without a rulebook (an empty log), only the mechanism's own
		// enumerations and the forms of values are checked.
		if _, err := filter(q, l, nil); err != nil && strings.Contains(err.Error(), "of the rulebook") {
			t.Errorf("%s?%s without a rulebook: %v", tc.view, tc.query, err)
		}
	}
}
