package mechanism_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// badani is the place statement that adds Badani, near Chaman; extra
// fields are set over it, and a nil one removed.
func badani(extra fields) fields {
	return with(fields{
		"id": "badani", "name": "Badani",
		"names":   fields{"en": "Badani", "ur": "بادانی", "ps": "بادانی"},
		"aliases": []string{"Badani area", "Badanai"},
		"lat":     30.9, "lon": 66.4, "geo_precision": 2, "type": mechanism.PlaceVillage,
		"admin":  []fields{{"country": "PK", "admin1": "Balochistan", "admin2": "Chaman"}},
		"source": "Approximate: the Badani area near Chaman, as Pakistan's statement of 6 December 2025 names it.",
	}, extra)
}

// setUpPlaces is setUpWorkflow under rules 3: its rulebook amended at 5.
func setUpPlaces(t *testing.T) *fixture {
	f := setUpWorkflow(t)
	rb := f.amended()
	rb.Rules = mechanism.Rules3
	f.must(f.rulebookMsg(rb))
	return f
}

func TestPlace(t *testing.T) {
	f := setUpPlaces(t)
	f.must(f.stmt(mechanism.KindPlace, badani(nil), "mo"))
	p, ok := f.st.Payload().(*mechanism.AddedPlace)
	if !ok || p.ID != "badani" || *p.Lat != 30.9 || p.Names["ur"] != "بادانی" || p.Admin[0].Admin2 != "Chaman" {
		t.Fatalf("payload %#v", f.st.Payload())
	}
	if idx, ok := f.st.AddedPlace("badani"); !ok || idx != 6 {
		t.Errorf("AddedPlace(badani) = %d, %v; want 6", idx, ok)
	}
	// A mediator adds a sector of Islamabad; a crossing takes both sides.
	f.must(f.stmt(mechanism.KindPlace, badani(fields{"id": "g-11", "name": "G-11", "type": mechanism.PlaceSector, "names": nil, "aliases": []string{"G11", "Sector G-11"},
		"lat": 33.668, "lon": 72.999, "admin": []fields{{"country": "PK", "admin1": "Islamabad Capital Territory", "admin2": "Islamabad"}}}), "admin-m1"))
	f.must(f.stmt(mechanism.KindPlace, badani(fields{"id": "badini", "name": "Badini", "type": mechanism.PlaceCrossing, "aliases": nil, "names": nil,
		"admin": []fields{{"country": "PK", "admin1": "Balochistan", "admin2": "Killa Saifullah"}, {"country": "AF", "admin1": "Zabul", "admin2": "Shamulzayi"}}}), "mo"))

	// The snapshot keeps the added places.
	b, err := f.st.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	back, err := mechanism.UnmarshalSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"badani", "g-11", "badini"} {
		want, _ := f.st.AddedPlace(id)
		if got, ok := back.AddedPlace(id); !ok || got != want {
			t.Errorf("after the snapshot, AddedPlace(%s) = %d, %v; want %d", id, got, ok, want)
		}
	}
	// The id stays taken after the snapshot.
	f.st = *back
	f.refuse(f.stmt(mechanism.KindPlace, badani(nil), "admin-m1"), inv, `place: id: "badani" was added by the statement at index 6`)
}

// TestPlaceRefusals attacks each rule of a place statement.
func TestPlaceRefusals(t *testing.T) {
	pl := func(extra fields) func(f *fixture) []byte {
		return func(f *fixture) []byte { return f.stmt(mechanism.KindPlace, badani(extra), "mo") }
	}
	by := func(author string) func(f *fixture) []byte {
		return func(f *fixture) []byte { return f.stmt(mechanism.KindPlace, badani(nil), author) }
	}
	added := func(f *fixture) { f.must(f.stmt(mechanism.KindPlace, badani(nil), "mo")) }
	var aliases, langs = []string{}, fields{}
	for i := range 33 {
		aliases = append(aliases, fmt.Sprintf("Badani %d", i))
	}
	for _, l := range []string{"en", "ur", "ps", "fa", "ar", "tr", "de", "fr", "es"} {
		langs[l] = "Badani"
	}
	one := []fields{{"country": "PK", "admin1": "Balochistan"}}
	tests := []wcase{
		{name: "by a party", msg: by("alice"), code: forb, want: []string{`place statements are filed by members of a body of type [monitor mediator]; "party-a" is a party`}},
		{name: "by the board", msg: by("bea"), code: forb, want: []string{`"board" is a board`}},
		{name: "by a founder", msg: by("founder-1"), code: forb, want: []string{"founder-1"}},
		{name: "with another body's key too", msg: func(f *fixture) []byte {
			return f.sign(f.obj(mechanism.KindPlace, "mo", badani(nil)), "mo", "alice")
		}, code: forb, want: []string{`the signature by "alice" counts toward nothing a place statement calls for`}},
		{name: "an id taken", setup: added, msg: pl(fields{"name": "Badani village"}), code: inv, want: []string{`place: id: "badani" was added by the statement at index 6; choose another id, such as "badani-2"`}},
		{name: "an id taken, another body", setup: added, msg: by("admin-m1"), code: inv, want: []string{`"badani" was added by the statement at index 6`}},
		{name: "a crossing's id", msg: pl(fields{"id": "torkham"}), code: inv, want: []string{`place: id: "torkham" is a place of the embedded gazetteer already`}},
		{name: "a curated id", msg: pl(fields{"id": "mir-ali"}), code: inv, want: []string{`"mir-ali" is a place of the embedded gazetteer already`}},
		{name: "a GeoNames id", msg: pl(fields{"id": "geonames.1181611"}), code: inv, want: []string{`place: id: "geonames.1181611" has a '.'`, `such as "geonames-1181611"`}},
		{name: "a cities.json id", msg: pl(fields{"id": "pk.badani"}), code: inv, want: []string{`"pk.badani" has a '.'`}},
		{name: "not an identifier", msg: pl(fields{"id": "Badani"}), code: inv, want: []string{`place: id: "Badani" is not an identifier`}},
		{name: "no id", msg: pl(fields{"id": nil}), code: inv, want: []string{`place: id: "" is not an identifier`}},
		{name: "no name", msg: pl(fields{"name": nil}), code: inv, want: []string{"place: name: is required"}},
		{name: "a long name", msg: pl(fields{"name": long(201)}), code: inv, want: []string{"place: name: must be at most 200"}},
		{name: "a bad language", msg: pl(fields{"names": fields{"urdu": "بادانی"}}), code: inv, want: []string{`place: names: "urdu" is not a language tag`}},
		{name: "an empty name in a language", msg: pl(fields{"names": fields{"ur": ""}}), code: inv, want: []string{"place: names.ur: is required"}},
		{name: "too many languages", msg: pl(fields{"names": langs}), code: inv, want: []string{"place: names: at most 8 languages"}},
		{name: "too many aliases", msg: pl(fields{"aliases": aliases}), code: inv, want: []string{"place: aliases: at most 32 items"}},
		{name: "an alias twice", msg: pl(fields{"aliases": []string{"Badanai", "Badanai"}}), code: inv, want: []string{`place: aliases: "Badanai" is given twice`}},
		{name: "an alias that is the name", msg: pl(fields{"aliases": []string{"Badani"}}), code: inv, want: []string{`place: aliases: "Badani" is given twice`}},
		{name: "an empty alias", msg: pl(fields{"aliases": []string{""}}), code: inv, want: []string{"place: aliases: is required"}},
		{name: "no coordinates", msg: pl(fields{"lat": nil, "lon": nil}), code: inv, want: []string{"place: lat: lat and lon are required"}},
		{name: "no longitude", msg: pl(fields{"lon": nil}), code: inv, want: []string{"place: lat: lat and lon are required"}},
		{name: "latitude out of range", msg: pl(fields{"lat": 91.0}), code: inv, want: []string{"place: lat: latitude must be within ±90"}},
		{name: "longitude out of range", msg: pl(fields{"lon": -181.0}), code: inv, want: []string{"longitude within ±180"}},
		{name: "zero, zero", msg: pl(fields{"lat": 0, "lon": 0}), code: inv, want: []string{"place: lat: 0, 0 is in the Gulf of Guinea"}},
		{name: "coordinates as text", msg: pl(fields{"lat": "30.9"}), code: malf, want: []string{"invalid place statement"}},
		{name: "no precision", msg: pl(fields{"geo_precision": nil}), code: inv, want: []string{"place: geo_precision: must be 1"}},
		{name: "precision 4", msg: pl(fields{"geo_precision": 4}), code: inv, want: []string{"place: geo_precision: must be 1"}},
		{name: "unknown type", msg: pl(fields{"type": "hamlet"}), code: inv, want: []string{`place: type: "hamlet" is not one of [village town city sector district area border_post crossing landmark]`}},
		{name: "no admin", msg: pl(fields{"admin": nil}), code: inv, want: []string{"place: admin: gives the province and district on each side"}},
		{name: "three sides", msg: pl(fields{"admin": append(one, fields{"country": "AF", "admin1": "Kandahar"}, fields{"country": "IR", "admin1": "Sistan"})}), code: inv, want: []string{"place: admin: gives the province"}},
		{name: "one country twice", msg: pl(fields{"type": "crossing", "admin": append(one, fields{"country": "PK", "admin1": "Sindh"})}), code: inv, want: []string{"place: admin: names PK twice"}},
		{name: "a country's name", msg: pl(fields{"admin": []fields{{"country": "Pakistan", "admin1": "Balochistan"}}}), code: inv, want: []string{`place: admin.country: "Pakistan" is not an ISO 3166-1 alpha-2 code`}},
		{name: "no province", msg: pl(fields{"admin": []fields{{"country": "PK", "admin2": "Chaman"}}}), code: inv, want: []string{"place: admin.admin1: is required"}},
		{name: "a crossing on one side", msg: pl(fields{"type": "crossing"}), code: inv, want: []string{"place: admin: a crossing has a unit on each side"}},
		{name: "a village on two sides", msg: pl(fields{"admin": append(one, fields{"country": "AF", "admin1": "Kandahar"})}), code: inv, want: []string{"a crossing has a unit on each side, and only a crossing has two"}},
		{name: "no source", msg: pl(fields{"source": nil}), code: inv, want: []string{"place: source: is required"}},
		{name: "a long source", msg: pl(fields{"source": long(501)}), code: inv, want: []string{"place: source: must be at most 500"}},
		{name: "unknown field", msg: pl(fields{"population": 500}), code: malf, want: []string{"invalid place statement", "population"}},
		{name: "a bidi override", msg: pl(fields{"name": "Bad\u202eani"}), code: inv, want: []string{"place: name: contains the character U+202E"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setUpPlaces(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			f.refuseW(tt.msg(f), tt.code, tt.want...)
		})
	}
}

// TestPlaceNeedsRules3: a mechanism under rules 1 or 2 refuses place
// statements, and says how to take them.
func TestPlaceNeedsRules3(t *testing.T) {
	for _, rules := range []int{0, mechanism.Rules1, mechanism.Rules2} {
		f := setUpWorkflow(t)
		if rules > 0 {
			rb := f.amended()
			rb.Rules = rules
			f.must(f.rulebookMsg(rb))
		}
		f.refuse(f.stmt(mechanism.KindPlace, badani(nil), "mo"), inv, "place statements add places under rules 3", `amend the rulebook to "rules": 3`)
	}
}

// TestArea attacks the rulebook's area.
func TestArea(t *testing.T) {
	line := [][2]float64{{34.11, 71.08}, {33.15, 70.03}}
	var tooLong [][2]float64
	for i := range 1001 {
		tooLong = append(tooLong, [2]float64{30 + float64(i)/1000, 66})
	}
	for _, tc := range []struct {
		name  string
		rules int
		area  *mechanism.Area
		want  string
	}{
		{"good", 3, &mechanism.Area{Name: "Durand Line", Line: line, WithinKm: 200, Source: "coarse"}, ""},
		{"a centre", 3, &mechanism.Area{Name: "Chaman", Line: line[:1], WithinKm: 50, Source: "coarse"}, ""},
		{"rules 2", 2, &mechanism.Area{Name: "Durand Line", Line: line, WithinKm: 200, Source: "coarse"}, "rulebook: area needs rules 3"},
		{"no name", 3, &mechanism.Area{Line: line, WithinKm: 200, Source: "coarse"}, "rulebook: area.name: is required"},
		{"no line", 3, &mechanism.Area{Name: "x", WithinKm: 200, Source: "coarse"}, "rulebook: area.line: needs 1 to 1000 points"},
		{"a long line", 3, &mechanism.Area{Name: "x", Line: tooLong, WithinKm: 200, Source: "coarse"}, "rulebook: area.line: needs 1 to 1000 points"},
		{"a bad point", 3, &mechanism.Area{Name: "x", Line: [][2]float64{{34, 71}, {95, 70}}, WithinKm: 200, Source: "coarse"}, "rulebook: area.line[1]: latitude must be within ±90"},
		{"no distance", 3, &mechanism.Area{Name: "x", Line: line, Source: "coarse"}, "rulebook: area.within_km: must be more than 0"},
		{"a negative distance", 3, &mechanism.Area{Name: "x", Line: line, WithinKm: -1, Source: "coarse"}, "rulebook: area.within_km"},
		{"the world", 3, &mechanism.Area{Name: "x", Line: line, WithinKm: 20000, Source: "coarse"}, "at most 5000 kilometres"},
		{"no source", 3, &mechanism.Area{Name: "x", Line: line, WithinKm: 200}, "rulebook: area.source: is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rb := f.rulebook()
			rb.Rules, rb.Area = tc.rules, tc.area
			err := f.submit(f.rulebookMsg(rb))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}
