package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
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

// TestPlacesFromTheLog: the demo's monitor added Badani near Chaman and a
// mediator the G-11 sector of Islamabad; searches find them first, say
// where each hit lies and how far from the Durand Line, and never put
// Badin in Sindh first for Badani. A place filed while the server runs is
// found at once.
func TestPlacesFromTheLog(t *testing.T) {
	f := newOAFixture(t)
	const path = "/api/v1/places"
	search := func(query string) web.PlacesResponse {
		t.Helper()
		var resp web.PlacesResponse
		if err := json.Unmarshal(f.get(path, path+"?"+query, http.StatusOK), &resp); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if len(resp.Items) == 0 {
			t.Fatalf("%s: no places", query)
		}
		return resp
	}
	const badin = "geonames.1184055"

	resp := search("q=Badani")
	if resp.Area == nil || resp.Area.Name != "Durand Line" || resp.Area.WithinKm != 200 {
		t.Errorf("area %+v", resp.Area)
	}
	b := resp.Items[0]
	if b.ID != "badani" || b.Source != "log" || b.Index == nil || b.Match != "exact" || b.Admin1 != "Balochistan" || b.Admin2 != "Chaman" ||
		b.Country != "PK" || b.GeoPrecision != 2 || b.Names["ur"] == "" || !strings.Contains(b.Note, "approximate") || b.FeatureCode != "AREA" {
		t.Errorf("Badani: %+v", b)
	}
	if b.DistanceKm == nil || *b.DistanceKm > 5 || b.InArea == nil || !*b.InArea {
		t.Errorf("Badani: %v km from the border, in area %v", b.DistanceKm, b.InArea)
	}
	if st := f.get("/api/v1/statements/{index}", path[:len("/api/v1/")]+"statements/"+strconv.FormatInt(*b.Index, 10), http.StatusOK); !strings.Contains(string(st), `"kind":"place"`) &&
		!strings.Contains(string(st), `"kind": "place"`) {
		t.Errorf("statement %d is not the place statement: %s", *b.Index, st)
	}
	for _, q := range []string{"Badani", "badani", "Badanai", "Badaani", "Badany", "Badani%20area", url.QueryEscape("بادانی"), "Badani&country=PK", "Badani&crossing=false"} {
		items := search("q=" + q).Items
		if items[0].ID != "badani" {
			t.Errorf("q=%s: first is %s (%s), want badani", q, items[0].ID, items[0].Name)
		}
		for i, p := range items {
			if p.ID == badin && (i == 0 || *p.InArea || *p.DistanceKm < 600) {
				t.Errorf("q=%s: Badin is item %d, %v km from the border, in area %v", q, i, *p.DistanceKm, *p.InArea)
			}
		}
	}
	// Badin itself is still found, first, and says how far away it is.
	if d := search("q=Badin").Items[0]; d.ID != badin || *d.InArea || *d.DistanceKm < 600 || d.Admin1 != "Sindh" {
		t.Errorf("Badin: %+v", d)
	}
	// G-11, a sector of Islamabad, inside the area.
	for _, q := range []string{"G-11", "G11", "g%2011", "Sector%20G-11"} {
		if g := search("q=" + q).Items[0]; g.ID != "g-11" || g.Source != "log" || g.FeatureCode != "PPLX" || g.Admin1 != "Islamabad Capital Territory" || !*g.InArea {
			t.Errorf("q=%s: %+v", q, g)
		}
	}

	// A case's place id resolves to a place of the log too.
	mon := "monitors-field-1"
	env := f.envelope(mechanism.KindPlace, mon)
	for k, v := range map[string]any{
		"id": "tasadduq-gate", "name": "Tasadduq Gate", "aliases": []string{"Mazaal Gali Iqbal Post"},
		"lat": 30.93, "lon": 66.45, "geo_precision": 2, "type": "border_post",
		"admin": []map[string]string{{"country": "PK", "admin1": "Balochistan", "admin2": "Chaman"}}, "source": "Approximate: DC Chaman, 6 November 2025.",
	} {
		env[k] = v
	}
	idx := f.file(env, f.m.Keys.Signer(mon))
	resp = search("q=Tasadduq%20Gate")
	if p := resp.Items[0]; p.ID != "tasadduq-gate" || p.Index == nil || *p.Index != idx || p.FeatureCode != "PSTB" {
		t.Errorf("a place filed while the server runs: %+v", p)
	}
	if p := search("q=Badani").Items[0]; p.ID != "badani" {
		t.Errorf("after another place was added, Badani is no longer first: %s", p.ID)
	}
	// The same id again is refused, with the index that took it.
	env = f.envelope(mechanism.KindPlace, "qatar-investigator-1")
	for k, v := range map[string]any{
		"id": "badani", "name": "Badani", "lat": 30.9, "lon": 66.4, "geo_precision": 2, "type": "village",
		"admin": []map[string]string{{"country": "PK", "admin1": "Balochistan"}}, "source": "Again.",
	} {
		env[k] = v
	}
	body, _ := json.Marshal(env)
	msg, err := statement.Sign(body, f.m.Keys.Signer("qatar-investigator-1"))
	if err != nil {
		t.Fatal(err)
	}
	status, answer := f.do("POST", "/api/v1/statements", "/api/v1/statements", msg)
	if status != http.StatusBadRequest && status != http.StatusUnprocessableEntity || !strings.Contains(string(answer), `place: id: \"badani\" was added by the statement at index`) {
		t.Errorf("Badani again: %d %s", status, answer)
	}
}
