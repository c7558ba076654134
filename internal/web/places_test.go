package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/web"
)

// TestPlaces searches places over HTTP and checks every answer against
// openapi.json.
func TestPlaces(t *testing.T) {
	f := newOAFixture(t)
	const path = "/api/v1/places"
	search := func(query string) []web.PlaceMatch {
		t.Helper()
		var resp web.PlacesResponse
		if err := json.Unmarshal(f.get(path, path+"?"+query, http.StatusOK), &resp); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return resp.Items
	}
	first := func(query string) web.PlaceMatch {
		t.Helper()
		items := search(query)
		if len(items) == 0 {
			t.Fatalf("%s: no places", query)
		}
		return items[0]
	}

	for _, tc := range []struct{ query, id string }{
		{"q=Torkham", "torkham"},
		{"q=Gorbuz", "gurbuz"},
		{"q=Gurbaz", "gurbuz"},
		{"q=Gurbuz", "gurbuz"},
		{"q=Baramcha", "bahram-chah"},
		{"q=" + url.QueryEscape("تورخم"), "torkham"},
		{"q=" + url.QueryEscape("Angur Adda"), "angoor-adda"},
		{"q=Chaman", "geonames.1181611"},
		{"q=Chaman&country=AF", "chaman"}, // the town is in Pakistan, the crossing on both sides
		{"q=" + url.QueryEscape("Spin Boldak") + "&crossing=true", "chaman"},
	} {
		if got := first(tc.query); got.ID != tc.id {
			t.Errorf("%s: first is %s (%s), want %s", tc.query, got.ID, got.Name, tc.id)
		}
	}

	torkham := first("q=torkham")
	if !torkham.Crossing || torkham.Match != "exact" || torkham.Score != 1 || len(torkham.Admin) != 2 ||
		torkham.Country != "PK" || torkham.Admin1 != "Khyber Pakhtunkhwa" || torkham.Names["ps"] == "" || torkham.Note == "" {
		t.Errorf("Torkham: %+v", torkham)
	}
	for _, query := range []string{"q=Chaman&country=PK", "q=Torkham&crossing=false", "q=Chaman&crossing=true&country=AF"} {
		for _, p := range search(query) {
			v, _ := url.ParseQuery(query)
			if c := v.Get("country"); c != "" && !slices.ContainsFunc(p.Admin, func(a mechanism.AdminUnit) bool { return a.Country == c }) {
				t.Errorf("%s: %s is not in %s", query, p.ID, c)
			}
			if c := v.Get("crossing"); c != "" && (c == "true") != p.Crossing {
				t.Errorf("%s: %s has crossing %v", query, p.ID, p.Crossing)
			}
		}
	}
	if items := search("q=ka&limit=3"); len(items) != 3 {
		t.Errorf("limit=3: %d places", len(items))
	}
	if items := search("q=zzqqxx"); len(items) != 0 {
		t.Errorf("q=zzqqxx: %d places, want none", len(items))
	}
	ka := search("q=ka&limit=100")
	for i := 1; i < len(ka); i++ {
		if ka[i].Score > ka[i-1].Score {
			t.Errorf("q=ka: item %d scores more than the one before", i)
		}
	}

	// Refusals, each with a message that says what to do.
	for _, tc := range []struct{ query, want string }{
		{"", "q is required"},
		{"qq=Torkham", "q is required"},
		{"q=", "q is empty"},
		{"q=---", "q is empty"},
		{"q=" + strings.Repeat("a", 101), "the most is 100"},
		{"q=Torkham&q=Chaman", "given 2 times"},
		{"q=Torkham&limit=0", "limit must be from 1 to 100"},
		{"q=Torkham&limit=101", "limit must be from 1 to 100"},
		{"q=Torkham&limit=x", "limit must be from 1 to 100"},
		{"q=Torkham&country=IN", "country must be one of [PK AF]"},
		{"q=Torkham&crossing=yes", "crossing must be one of [true false]"},
		{"q=Torkham&bbox=1,2,3,4", `unknown parameter "bbox"; places takes q, limit, country, crossing`},
	} {
		var e apiError
		if err := json.Unmarshal(f.get(path, path+"?"+tc.query, http.StatusBadRequest), &e); err != nil {
			t.Fatal(err)
		}
		if e.Error.Code != "malformed" || !strings.Contains(e.Error.Message, tc.want) {
			t.Errorf("?%s: %s %q, want malformed %q", tc.query, e.Error.Code, e.Error.Message, tc.want)
		}
	}

	// The parameters the route takes are the ones openapi.json lists.
	var e apiError
	json.Unmarshal(f.get(path, path+"?q=x&zz_undocumented=1", http.StatusBadRequest), &e)
	_, names, _ := strings.Cut(e.Error.Message, " takes ")
	code := strings.Split(names, ", ")
	slices.Sort(code)
	if doc := sortedMapKeys(f.parameters("get", path, "query")); !slices.Equal(doc, code) {
		t.Errorf("GET %s takes %v; openapi.json lists %v", path, code, doc)
	}
}
