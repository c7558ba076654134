package gazetteer

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/sulh-project/sulh/internal/statement"
)

var (
	loadOnce sync.Once
	loaded   *Gazetteer
	loadErr  error
)

// load returns the embedded gazetteer, read once for all tests.
func load(t testing.TB) *Gazetteer {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = Load() })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

func TestSearch(t *testing.T) {
	g := load(t)
	for _, tc := range []struct {
		q     string
		first string    // the id of the first match
		kind  MatchKind // how it matched, if set
	}{
		// Spellings of public reporting.
		{"Gurbuz", "gurbuz", MatchExact},
		{"Gorbuz", "gurbuz", MatchAlias},
		{"Gurbaz", "gurbuz", MatchAlias},
		{"gurbuz district", "gurbuz", MatchAlias},
		{"Gorbaz", "gurbuz", MatchFuzzy}, // in no list: the vowels differ
		{"Baramcha", "bahram-chah", MatchAlias},
		{"Bahramcha", "bahram-chah", MatchAlias},
		{"Bahram Chah", "bahram-chah", MatchExact},
		{"bahram-chaah", "bahram-chah", MatchFuzzy},
		{"Torkham", "torkham", MatchExact},
		{"TORKHAM", "torkham", MatchExact},
		{"Torkhum", "torkham", MatchAlias},
		{"Torkam", "torkham", MatchFuzzy},
		{"Tor-kham", "torkham", MatchExact},
		{"Spin Boldak", "geonames.1123906", MatchExact},
		{"Spin Buldak", "geonames.1123906", MatchAlias},
		{"Spīn Bōldak", "geonames.1123906", MatchExact},
		{"Chaman", "geonames.1181611", MatchExact},
		{"Friendship Gate", "chaman", MatchAlias},
		{"Chaman–Spin Boldak", "chaman", MatchExact},
		{"Ghulam Khan", "ghulam-khan", MatchExact},
		{"Angoor Adda", "angoor-adda", MatchExact},
		{"Angur Adda", "angoor-adda", MatchAlias},
		{"Angur Addah", "angoor-adda", MatchFuzzy},
		{"Kharlachi", "kharlachi", MatchExact},
		{"Kherlachi", "kharlachi", MatchAlias},
		{"Kurram", "kurram", MatchExact},
		{"Kurram Agency", "kurram", MatchAlias},
		{"Parachinar", "geonames.1168394", MatchExact},
		{"Para Chinar", "geonames.1168394", MatchExact}, // spaces do not count
		{"Parachenar", "geonames.1168394", MatchFuzzy},
		{"Barmal", "barmal", MatchExact},
		{"Bermal", "barmal", MatchAlias},
		{"Urgun", "geonames.1131479", MatchExact},
		{"Orgun", "geonames.1131479", MatchAlias},
		{"Urgoon", "geonames.1131479", MatchAlias},
		{"Mir Ali", "mir-ali", MatchExact},
		{"Khowst", "geonames.1136469", MatchAlias},
		{"Qandahar", "geonames.1138336", MatchAlias},
		{"Jalalabad", "geonames.1139715", MatchExact},
		{"Peshawer", "geonames.1168197", MatchFuzzy},
		{"Miranshah", "geonames.1170367", MatchExact},
		// Arabic script: Urdu, Pashto and Dari spellings of the curated
		// names, with and without vowel marks.
		{"تورخم", "torkham", MatchExact},
		{"طورخم", "torkham", MatchExact},
		{"انګوراډه", "angoor-adda", MatchExact},
		{"انگور اڈہ", "angoor-adda", MatchExact},
		{"اَن٘گُور اَڈَّہ", "angoor-adda", MatchExact},
		{"سپین بولدک", "geonames.1123906", MatchAlias},
		{"بهرامچه", "bahram-chah", MatchExact},
		{"بھرامچه", "bahram-chah", MatchExact},
		{"غلام خان", "ghulam-khan", MatchExact},
		{"خوست", "geonames.1136469", MatchAlias},
		{"پاړه چنار", "geonames.1168394", MatchAlias},
		// Prefixes, and a word inside a name.
		{"Torkh", "torkham", MatchPrefix},
		{"Gurb", "gurbuz", MatchPrefix},
		{"Kab", "geonames.1138958", MatchPrefix},
		{"Boldak", "chaman", MatchPrefix}, // a tie with the town, which the crossing wins
	} {
		ms := g.Search(tc.q, 5)
		if len(ms) == 0 {
			t.Errorf("%q: no match, want %s", tc.q, tc.first)
			continue
		}
		if ms[0].Place.ID != tc.first || tc.kind != "" && ms[0].Kind != tc.kind {
			t.Errorf("%q: first is %s (%q, %s %.3f via %q), want %s by %s", tc.q, ms[0].Place.ID, ms[0].Place.Name, ms[0].Kind, ms[0].Score, ms[0].Matched, tc.first, tc.kind)
		}
	}
}

func TestSearchSpellingsAgree(t *testing.T) {
	g := load(t)
	for _, group := range [][]string{
		{"Gorbuz", "Gurbaz", "Gurbuz", "Gurboz", "Garboz"},
		{"Baramcha", "Bahramcha", "Bahram Chah", "بهرامچه"},
		{"Torkham", "Torkhum", "Turkham", "تورخم", "طورخم"},
		{"Angoor Adda", "Angur Adda", "Angur Ada", "انگور اڈہ"},
	} {
		var first []string
		for _, q := range group {
			ms := g.Search(q, 1)
			if len(ms) == 0 {
				t.Errorf("%q: no match", q)
				continue
			}
			first = append(first, ms[0].Place.ID)
		}
		if len(slices.Compact(slices.Clone(first))) != 1 {
			t.Errorf("%q give %q first; want one place", group, first)
		}
	}
}

func TestSearchRanks(t *testing.T) {
	g := load(t)
	// The town is named Chaman; the crossing only has it as an alias.
	ms := g.Search("Chaman", 5)
	if len(ms) < 2 || ms[0].Place.ID != "geonames.1181611" || ms[1].Place.ID != "chaman" || !ms[1].Place.Crossing {
		t.Errorf("Chaman: %v; want the town, then the crossing", ids(ms))
	}
	// Exact > alias > prefix > fuzzy, whatever the population.
	for _, q := range []string{"ka", "Torkham", "Gorbaz", "Qandahar", "Spin", "bold"} {
		ms := g.Search(q, 50)
		for i := 1; i < len(ms); i++ {
			if rank(ms[i].Kind) < rank(ms[i-1].Kind) {
				t.Errorf("%q: %s match %s (%.3f) after %s match %s (%.3f)", q, ms[i].Kind, ms[i].Place.ID, ms[i].Score, ms[i-1].Kind, ms[i-1].Place.ID, ms[i-1].Score)
			}
		}
	}
	// A crossing wins a tie.
	places := []Place{
		{ID: "big-town", Name: "Sarhad", Population: 100000, Admin: []AdminUnit{{Country: "PK"}}},
		{ID: "crossing", Name: "Sarhad", Crossing: true, Admin: []AdminUnit{{Country: "PK"}, {Country: "AF"}}},
		{ID: "small-town", Name: "Sarhad", Population: 10, Admin: []AdminUnit{{Country: "AF"}}},
	}
	tg, err := New(places)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(tg.Search("sarhad", 5)); !slices.Equal(got, []string{"crossing", "big-town", "small-town"}) {
		t.Errorf("ties: %q; want the crossing, then by population", got)
	}
	if got := ids(tg.SearchFunc("sarhad", 5, func(p *Place) bool { return p.InCountry("AF") })); !slices.Equal(got, []string{"crossing", "small-town"}) {
		t.Errorf("in AF: %q; want the crossing (both sides) and the Afghan town", got)
	}
}

func rank(k MatchKind) int {
	return slices.Index([]MatchKind{MatchExact, MatchAlias, MatchPrefix, MatchFuzzy}, k)
}

func ids(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Place.ID)
	}
	return out
}

func TestSearchEdges(t *testing.T) {
	g := load(t)
	for _, q := range []string{"", " ", "--- ' ’", "\u200f", strings.Repeat("a", MaxQuery+1), strings.Repeat("ت", MaxQuery+1)} {
		if ms := g.Search(q, 10); len(ms) != 0 {
			t.Errorf("%q: %d matches, want none", q, len(ms))
		}
	}
	if ms := g.Search(strings.Repeat("a", MaxQuery), 10); len(ms) > 10 {
		t.Errorf("a query of %d runes: %d matches", MaxQuery, len(ms))
	}
	for _, limit := range []int{-1, 0} {
		if ms := g.Search("Torkham", limit); ms != nil {
			t.Errorf("limit %d: %d matches", limit, len(ms))
		}
	}
	if ms := g.Search("a", 1000); len(ms) != 0 {
		t.Errorf("one letter: %d matches; want none (too short for a prefix)", len(ms))
	}
	if ms := g.Search("ka", 3); len(ms) != 3 {
		t.Errorf("ka, limit 3: %d matches", len(ms))
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Spīn Bōldak", "spinboldak"},
		{"spin-boldak", "spinboldak"},
		{"SPIN  BOLDAK", "spinboldak"},
		{"Mūsá Qal‘ah", "musaqalah"},
		{"Ḏanḏ Paṯān", "dandpatan"},
		{"Chaman–Spin Boldak", "chamanspinboldak"},
		{"Ömnah", "omnah"},
		{"انګوراډه", "انگوراڈه"},
		{"انگور اڈہ", "انگوراڈه"},
		{"اَن٘گُور اَڈَّہ", "انگوراڈه"},
		{"جلال\u200cآباد", "جلالاباد"},
		{"كابل", "کابل"},
		{"۱۲۳ Road", "123road"},
		{"Хост", "хост"},
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"Gurbuz", "grbz"}, {"Gorbuz", "grbz"}, {"Gurbaz", "grbz"},
		{"Bahram Chah", "brmC"}, {"Baramcha", "brmC"},
		{"Torkham", "trkm"}, {"Torkhum", "trkm"},
		{"Khost", "kst"}, {"Khowst", "kst"},
		{"Qandahar", "kndr"}, {"Kandahar", "kndr"},
		{"Angoor Adda", "ngrd"}, {"Angur Ada", "ngrd"},
		{"Paktia", "pkt"}, {"Paktiya", "pkt"},
		{"طورخم", "ترخم"}, {"تورخم", "ترخم"},
	} {
		if got := skeleton(Normalize(tc.in)); got != tc.want {
			t.Errorf("skeleton(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := ASCII("Spīn Bōldak, Ḏanḏ Paṯān"); got != "Spin Boldak, Dand Patan" {
		t.Errorf("ASCII = %q", got)
	}
}

func TestLevenshtein(t *testing.T) {
	for _, tc := range []struct {
		a, b      string
		max, want int
	}{
		{"grbz", "grbz", 2, 0}, {"grbz", "grbs", 2, 1}, {"grbz", "gbz", 2, 1},
		{"kitten", "sitting", 5, 3}, {"kitten", "sitting", 2, 3}, {"", "abc", 5, 3}, {"abc", "", 1, 2},
	} {
		if got, _ := levenshtein([]rune(tc.a), []rune(tc.b), tc.max, nil); got != tc.want {
			t.Errorf("levenshtein(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.max, got, tc.want)
		}
	}
}

// TestData checks the embedded data: ids usable in statements, places
// inside the region, crossings with both sides, curated places with
// sources and names in Arabic script.
func TestData(t *testing.T) {
	g := load(t)
	if g.Len() < 850 {
		t.Errorf("%d places; the data should have about 900", g.Len())
	}
	counts := map[string]int{}
	g.All(func(p *Place) {
		counts[p.Source]++
		if !statement.ValidID(p.ID) {
			t.Errorf("%s: not an identifier a statement's place.id may use", p.ID)
		}
		// Pakistan and Afghanistan lie within 23–38.5°N, 60–78°E.
		if p.Lat < 23 || p.Lat > 38.5 || p.Lon < 60 || p.Lon > 78 {
			t.Errorf("%s (%s): %v, %v is outside Pakistan and Afghanistan", p.ID, p.Name, p.Lat, p.Lon)
		}
		if c := p.Country(); c != "PK" && c != "AF" {
			t.Errorf("%s: country %q", p.ID, c)
		}
		if p.Source == SourceGeoNames && p.Admin[0].Admin1 == "" {
			t.Errorf("%s (%s): no province", p.ID, p.Name)
		}
		if p.Precision < 1 || p.Precision > 3 {
			t.Errorf("%s: precision %d", p.ID, p.Precision)
		}
		if p.ASCIIName != "" && !isASCII(p.ASCIIName) {
			t.Errorf("%s: ASCII name %q", p.ID, p.ASCIIName)
		}
		for _, a := range append([]string{p.Name}, p.Aliases...) {
			if a != strings.TrimSpace(a) || strings.ContainsAny(a, "\t\n\u200e\u200f") {
				t.Errorf("%s: name %q has stray spaces or marks", p.ID, a)
			}
		}
		if p.Source != SourceCurated {
			return
		}
		if p.Note == "" {
			t.Errorf("%s: a curated place with no source", p.ID)
		}
		arabic := false
		for _, n := range p.Names {
			arabic = arabic || strings.IndexFunc(n, isArabic) >= 0
		}
		if !arabic {
			t.Errorf("%s: no name in Arabic script", p.ID)
		}
		if p.Crossing {
			if len(p.Admin) != 2 || !p.InCountry("PK") || !p.InCountry("AF") {
				t.Errorf("crossing %s: admin %v, want one unit in each country", p.ID, p.Admin)
			}
			for _, a := range p.Admin {
				if a.Admin1 == "" || a.Admin2 == "" {
					t.Errorf("crossing %s: %v lacks its province or district", p.ID, a)
				}
			}
		}
	})
	if counts[SourceGeoNames] < 850 || counts[SourceCurated] < 5 {
		t.Errorf("places by source: %v", counts)
	}
	// The crossings public reporting names, under the ids of the demo's
	// crossing.status statements.
	for _, id := range []string{"torkham", "chaman", "ghulam-khan", "angoor-adda", "kharlachi"} {
		if p, ok := g.Place(id); !ok || !p.Crossing {
			t.Errorf("no crossing %q", id)
		}
	}
	// Crossings sit on the border: each is within 10 km of a town or
	// district of the data, on its side.
	for _, tc := range []struct {
		crossing, near string
		km             float64
	}{
		{"chaman", "geonames.1181611", 10},    // Chaman town
		{"kharlachi", "geonames.1168394", 25}, // Parachinar, "about 20 km"
		{"torkham", "geonames.1172208", 15},   // Landi Kotal
		{"angoor-adda", "geonames.1162634", 45},
	} {
		a, _ := g.Place(tc.crossing)
		b, ok := g.Place(tc.near)
		if a == nil || !ok {
			t.Errorf("%s or %s missing", tc.crossing, tc.near)
			continue
		}
		if d := km(a, b); d > tc.km {
			t.Errorf("%s is %.0f km from %s; want at most %.0f", tc.crossing, d, b.Name, tc.km)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// km is the great-circle distance between two places.
func km(a, b *Place) float64 {
	rad := math.Pi / 180
	la1, la2 := a.Lat*rad, b.Lat*rad
	dla, dlo := (b.Lat-a.Lat)*rad, (b.Lon-a.Lon)*rad
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * 6371 * math.Asin(math.Sqrt(h))
}

func TestNew(t *testing.T) {
	pk := []AdminUnit{{Country: "PK"}}
	for _, places := range [][]Place{
		{{ID: "a", Name: "A", Admin: pk}, {ID: "a", Name: "B", Admin: pk}},
		{{ID: "", Name: "A", Admin: pk}},
		{{ID: "a", Name: "", Admin: pk}},
		{{ID: "a", Name: "A"}},
	} {
		if _, err := New(places); err == nil {
			t.Errorf("New(%v): no error", places)
		}
	}
}

// FuzzSearch checks that no query makes Search panic, with the default
// rulebook's area or without one, and that it answers
// at most limit matches, best first, each with a score from 0 to 1.
func FuzzSearch(f *testing.F) {
	g := load(f)
	for _, q := range []string{"", "Torkham", "gorbuz", "انگور اڈہ", "ka", "a", "\xff\xfe", "Spīn Bōldak", "--", strings.Repeat("kh", 60), "ت", "x\u0301\u0301"} {
		f.Add(q, 10, false)
		f.Add(q, 10, true)
	}
	f.Add("Chaman", 1, false)
	f.Add("Chaman", 0, true)
	f.Add("Chaman", -5, false)
	f.Add("Badani", 3, true)
	area := durandLine(f)
	f.Fuzz(func(t *testing.T, q string, limit int, inArea bool) {
		var o SearchOptions
		if inArea {
			o.Area = area
		}
		ms := g.Find(q, limit, o)
		if len(ms) > max(limit, 0) {
			t.Fatalf("%q, limit %d: %d matches", q, limit, len(ms))
		}
		for i, m := range ms {
			if m.Score <= 0 || m.Score > 1 || m.Place == nil || m.Matched == "" {
				t.Fatalf("%q: match %d is %+v", q, i, m)
			}
			if i > 0 && compareMatches(ms[i-1], m) > 0 {
				t.Fatalf("%q: match %d (%s %.3f) is better than match %d (%s %.3f)", q, i, m.Place.ID, m.Score, i-1, ms[i-1].Place.ID, ms[i-1].Score)
			}
		}
	})
}

// BenchmarkSearch measures a mix of queries: exact, alias, prefix,
// fuzzy, Arabic script, and one that matches nothing.
func BenchmarkSearch(b *testing.B) {
	g := load(b)
	queries := []string{"Torkham", "Gorbuz", "Baramcha", "Spin Buldak", "Parachenar", "ka", "Kandah", "انگور اڈہ", "Angur Addah", "zzzzqqq"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		g.Search(queries[i%len(queries)], 10)
	}
}

// BenchmarkLoad measures reading and indexing the embedded data.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
