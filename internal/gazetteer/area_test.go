package gazetteer

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// durandLine is the default rulebook's area: within 200 km of a coarse
// Durand Line.
func durandLine(t testing.TB) *Area {
	t.Helper()
	var rb mechanism.Rulebook
	if err := json.Unmarshal(mechanism.DefaultRulebook, &rb); err != nil {
		t.Fatal(err)
	}
	if rb.Area == nil {
		t.Fatal("the default rulebook has no area")
	}
	return &Area{Line: rb.Area.Line, WithinKm: rb.Area.WithinKm}
}

// badani is Badani near Chaman, as a place statement adds it.
func badani() Place {
	return Place{
		ID: "badani", Name: "Badani", ASCIIName: "Badani", Names: map[string]string{"ur": "بادانی"}, Aliases: []string{"Badani area"},
		Lat: 30.9, Lon: 66.4, Precision: 2, FeatureCode: "PPL", Source: SourceLog,
		Admin: []AdminUnit{{Country: "PK", Admin1: "Balochistan", Admin2: "Chaman"}},
	}
}

func TestAreaDistance(t *testing.T) {
	// One degree of latitude is 111.2 km; one of longitude, cos(lat) of it.
	deg := earthRadiusKm * math.Pi / 180
	line := &Area{Line: [][2]float64{{0, 0}, {0, 2}}, WithinKm: 50}
	centre := &Area{Line: [][2]float64{{30, 66}}, WithinKm: 50}
	for _, tc := range []struct {
		name     string
		a        *Area
		lat, lon float64
		want     float64
	}{
		{"on the line", line, 0, 1, 0},
		{"at its end", line, 0, 2, 0},
		{"abreast of it", line, 1, 1, deg},
		{"beyond its end", line, 0, 3, deg},
		{"beyond its end, aside", line, -1, 3, math.Hypot(deg, deg)},
		{"the centre", centre, 30, 66, 0},
		{"north of the centre", centre, 31, 66, deg},
		{"east of the centre", centre, 30, 67, deg * math.Cos(30*math.Pi/180)},
		{"across the antimeridian", &Area{Line: [][2]float64{{0, 179.5}}}, 0, -179.5, deg},
		{"no line", &Area{}, 0, 0, math.Inf(1)},
	} {
		if got := tc.a.DistanceKm(tc.lat, tc.lon); math.Abs(got-tc.want) > 0.001*tc.want+0.01 && !(math.IsInf(got, 1) && math.IsInf(tc.want, 1)) {
			t.Errorf("%s: %.3f km, want %.3f", tc.name, got, tc.want)
		}
	}

	// The Durand Line: the crossings are on it, Islamabad within 200 km of
	// it, Badin in Sindh 600 km and more away.
	g, area := load(t), durandLine(t)
	for _, tc := range []struct {
		id       string
		min, max float64
	}{
		{"torkham", 0, 1}, {"chaman", 0, 1}, {"angoor-adda", 0, 1}, {"bahram-chah", 0, 1},
		{"geonames.1168197", 30, 60},   // Peshawar
		{"geonames.1176615", 150, 200}, // Islamabad
		{"geonames.1184055", 600, 700}, // Badin
		{"geonames.1174872", 500, 650}, // Karachi
	} {
		p, ok := g.Place(tc.id)
		if !ok {
			t.Fatalf("no place %s", tc.id)
		}
		if d := area.DistanceKm(p.Lat, p.Lon); d < tc.min || d > tc.max {
			t.Errorf("%s (%s) is %.0f km from the Durand Line; want %.0f to %.0f", tc.id, p.Name, d, tc.min, tc.max)
		}
	}
}

// TestFindBadani: before Badani is added, "Badani" finds only places far
// from the border, each saying so; once a monitor adds it, it comes first
// for every spelling, and Badin never does.
func TestFindBadani(t *testing.T) {
	g, area := load(t), durandLine(t)
	before := g.Find("Badani", 10, SearchOptions{Area: area})
	if len(before) == 0 {
		t.Fatal("Badani finds nothing")
	}
	for _, m := range before {
		if m.InArea || m.DistanceKm < 200 || m.Kind != MatchFuzzy {
			t.Errorf("before Badani is added: %s (%s) %.0f km, in area %v, %s", m.Place.ID, m.Place.Name, m.DistanceKm, m.InArea, m.Kind)
		}
	}
	if before[0].Place.ID == "geonames.1184055" {
		t.Errorf("Badin is first for Badani")
	}

	withBadani, err := g.With([]Place{badani()})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"Badani", "badani", "BADANI", "Badanai", "Badaani", "Badany", "Badanay", "Badani area", "بادانی", "Badan"} {
		for _, o := range []SearchOptions{{Area: area}, {Area: area, Keep: func(p *Place) bool { return p.InCountry("PK") }}} {
			ms := withBadani.Find(q, 10, o)
			if len(ms) == 0 || ms[0].Place.ID != "badani" {
				t.Errorf("%q: first is %v, want badani", q, ids(ms))
				continue
			}
			if !ms[0].InArea || ms[0].DistanceKm > 5 {
				t.Errorf("%q: Badani is %.0f km from the border, in area %v", q, ms[0].DistanceKm, ms[0].InArea)
			}
		}
	}
	// Without the area, Badin still never beats the exact name.
	if ms := withBadani.Search("Badani", 3); ms[0].Place.ID != "badani" {
		t.Errorf("without the area: %v", ids(ms))
	}
	// The embedded gazetteer is left as it was.
	if _, ok := g.Place("badani"); ok {
		t.Error("With changed the gazetteer it was called on")
	}
}

// TestFindArea: the area reorders matches of one kind, never kinds.
func TestFindArea(t *testing.T) {
	g, area := load(t), durandLine(t)
	for _, q := range []string{"ka", "Kabul", "Lahore", "Karachi", "Badin", "Herat", "Mazar", "Chaman", "Parachenar", "Gorbuz", "Islamabad", "kh", "bad"} {
		plain, near := g.Search(q, 100000), g.Find(q, 100000, SearchOptions{Area: area})
		if len(plain) != len(near) {
			t.Errorf("%q: %d matches without the area, %d with", q, len(plain), len(near))
		}
		for i := 1; i < len(near); i++ {
			if rank(near[i].Kind) < rank(near[i-1].Kind) {
				t.Errorf("%q: %s (%s) comes after %s (%s)", q, near[i].Place.ID, near[i].Kind, near[i-1].Place.ID, near[i-1].Kind)
			}
			if near[i].Score > near[i-1].Score {
				t.Errorf("%q: match %d scores more than the one before", q, i)
			}
		}
		for _, m := range near {
			if m.InArea != (m.DistanceKm <= area.WithinKm) {
				t.Errorf("%q: %s is %.0f km away, in area %v", q, m.Place.ID, m.DistanceKm, m.InArea)
			}
			p := slices.IndexFunc(plain, func(x Match) bool { return x.Place == m.Place })
			if p < 0 || (m.InArea && m.Score != plain[p].Score) || m.Score > plain[p].Score {
				t.Errorf("%q: %s scores %.3f with the area", q, m.Place.ID, m.Score)
			}
		}
	}
	// An exact name far away stays first; an in-area fuzzy match passes a
	// far one of the same kind ("Lahore": Loralai before Rohri).
	if ms := g.Find("Karachi", 3, SearchOptions{Area: area}); ms[0].Place.ID != "geonames.1174872" || ms[0].Score != 0.95 || ms[0].InArea {
		t.Errorf("Karachi: %+v", ms[0])
	}
	ms := g.Find("Lahore", 5, SearchOptions{Area: area})
	if ms[0].Place.ID != "geonames.1172451" || ms[1].Place.ID != "geonames.1171868" {
		t.Errorf("Lahore: %v", ids(ms))
	}
}

func TestWith(t *testing.T) {
	g := load(t)
	clash := badani()
	clash.ID = "torkham"
	if _, err := g.With([]Place{clash}); err == nil {
		t.Error("With took a second place with the id torkham")
	}
	bad := badani()
	bad.Admin = nil
	if _, err := g.With([]Place{bad}); err == nil {
		t.Error("With took a place with no country")
	}
	g2, err := g.With([]Place{badani()})
	if err != nil {
		t.Fatal(err)
	}
	if g2.Len() != g.Len()+1 {
		t.Errorf("Len %d, want %d", g2.Len(), g.Len()+1)
	}
	if p, ok := g2.Place("badani"); !ok || p.Source != SourceLog {
		t.Errorf("Place(badani) = %+v, %v", p, ok)
	}
}

// TestReservedPlaceIDs: the ids the core keeps from place statements are
// the curated places' ids, so that no added place takes one.
func TestReservedPlaceIDs(t *testing.T) {
	var curated []string
	load(t).All(func(p *Place) {
		if p.Source == SourceCurated {
			curated = append(curated, p.ID)
		}
	})
	for _, id := range curated {
		if !slices.Contains(mechanism.ReservedPlaceIDs, id) {
			t.Errorf("curated place %q is not in mechanism.ReservedPlaceIDs: a place statement could take its id. "+
				"Choose an id that no log has added, and list it there under a new rules version", id)
		}
	}
}
