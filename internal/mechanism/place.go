package mechanism

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

// KindPlace adds a place to the gazetteer (rules 3): a monitor or a
// mediator names a place that the embedded gazetteer lacks, so that every
// server and verifier of the log finds it.
const KindPlace = "place"

// AddedPlace is a place added to the gazetteer by a statement.
type AddedPlace struct {
	statement.Fields
	// ID names the place for good, as a report's place.id: an identifier
	// without a '.', which the embedded gazetteer's GeoNames ids
	// ("geonames.1181611", "pk.jamrud") have, and not one of its curated
	// places' ids (ReservedPlaceIDs).
	ID   string `json:"id"`
	Name string `json:"name"`
	// Names are its names by language (BCP 47: "en", "ur", "ps", "fa"), in
	// each language's script.
	Names map[string]string `json:"names,omitempty"`
	// Aliases are the other spellings that reporting uses.
	Aliases []string `json:"aliases,omitempty"`
	// Lat and Lon are WGS 84, both required.
	Lat *float64 `json:"lat"`
	Lon *float64 `json:"lon"`
	// GeoPrecision is ACLED's: 1 the place itself, 2 near it, 3 only its
	// district or province.
	GeoPrecision int `json:"geo_precision"`
	// Type is what the place is: one of PlaceTypes.
	Type string `json:"type"`
	// Admin is the district (admin2) and province (admin1) the place lies
	// in, one unit per country side: its own first, then, for a crossing,
	// the other side's.
	Admin []AdminUnit `json:"admin"`
	// Source says where the coordinates and each name come from.
	Source string `json:"source"`
}

// Types of added places.
const (
	PlaceVillage    = "village"
	PlaceTown       = "town"
	PlaceCity       = "city"
	PlaceSector     = "sector" // a sector of a planned city, such as Islamabad's G-11
	PlaceDistrict   = "district"
	PlaceArea       = "area" // a named area or valley with no one settlement
	PlaceBorderPost = "border_post"
	PlaceCrossing   = "crossing"
	PlaceLandmark   = "landmark" // a building, a bridge, a pass, a height
)

// PlaceTypes are the types an added place may have.
var PlaceTypes = []string{PlaceVillage, PlaceTown, PlaceCity, PlaceSector, PlaceDistrict, PlaceArea, PlaceBorderPost, PlaceCrossing, PlaceLandmark}

// ReservedPlaceIDs are the ids of the embedded gazetteer's curated places
// (internal/gazetteer/curated.json) when rules 3 were written: an added
// place may not take them. The gazetteer's GeoNames ids all have a '.',
// which an added place's id may not.
var ReservedPlaceIDs = []string{"torkham", "chaman", "ghulam-khan", "angoor-adda", "kharlachi", "gurbuz", "bahram-chah", "barmal", "kurram", "mir-ali"}

// Limits of an added place.
const (
	maxPlaceNames = 8
	maxPlaceAdmin = 2
)

func (s *State) applyPlace(st *statement.Statement, _ time.Time) error {
	if s.rules() < Rules3 {
		return statement.Invalid("place statements add places under rules 3; this mechanism follows rules %d: amend the rulebook to \"rules\": 3 first", s.rules())
	}
	p := new(AddedPlace)
	if err := st.Decode(p); err != nil {
		return err
	}
	if _, err := s.bodyOfType(st, BodyMonitor, BodyMediator); err != nil {
		return err
	}
	if err := s.checkPlaceID(p.ID); err != nil {
		return err
	}
	if err := p.check(); err != nil {
		return err
	}
	if s.dry {
		return nil
	}
	if s.reg.Places == nil {
		s.reg.Places = map[string]int64{}
	}
	s.reg.Places[p.ID] = s.Size
	s.payload = p
	return nil
}

// checkPlaceID refuses an id that is not one, that the embedded gazetteer
// has, or that a place already added has.
func (s *State) checkPlaceID(id string) error {
	const k = KindPlace
	switch {
	case !statement.ValidID(id):
		return field(k, "id", "%q is not an identifier: lower-case letters, digits, '_' and '-', such as \"badani\"", id)
	case strings.Contains(id, "."):
		return field(k, "id", "%q has a '.', which only the embedded gazetteer's GeoNames ids have (geonames.1181611, pk.jamrud); write it without, such as %q", id, strings.ReplaceAll(id, ".", "-"))
	case slices.Contains(ReservedPlaceIDs, id):
		return field(k, "id", "%q is a place of the embedded gazetteer already; search for it with GET /api/v1/places, or choose another id, such as %q", id, id+"-village")
	}
	if idx, ok := s.reg.Places[id]; ok {
		return field(k, "id", "%q was added by the statement at index %d; choose another id, such as %q", id, idx, id+"-2")
	}
	return nil
}

// check checks an added place's fields, all but its id.
func (p *AddedPlace) check() error {
	const k = KindPlace
	pr := problems{kind: k}
	pr.add(checkText(k, "name", p.Name, maxName, true))
	pr.add(p.checkNames())
	pr.add(p.checkAliases())
	pr.add(p.checkCoords())
	if p.GeoPrecision < 1 || p.GeoPrecision > 3 {
		pr.add(field(k, "geo_precision", "must be 1 (the place itself), 2 (near it) or 3 (only its district or province)"))
	}
	typeOK := pr.add(checkEnum(k, "type", p.Type, PlaceTypes))
	if pr.add(p.checkAdmin()) && typeOK && (p.Type == PlaceCrossing) != (len(p.Admin) == 2) {
		pr.add(field(k, "admin", "a crossing has a unit on each side, and only a crossing has two"))
	}
	pr.add(checkText(k, "source", p.Source, maxSummary, true))
	return pr.err()
}

// checkNames checks the place's names by language.
func (p *AddedPlace) checkNames() error {
	const k = KindPlace
	if len(p.Names) > maxPlaceNames {
		return field(k, "names", "at most %d languages", maxPlaceNames)
	}
	for _, lang := range slices.Sorted(maps.Keys(p.Names)) {
		if !languageRE.MatchString(lang) {
			return field(k, "names", "%q is not a language tag such as \"ur\", \"ps\" or \"fa\"", lang)
		}
		if err := checkText(k, "names."+lang, p.Names[lang], maxName, true); err != nil {
			return err
		}
	}
	return nil
}

// checkAliases checks the place's other spellings.
func (p *AddedPlace) checkAliases() error {
	const k = KindPlace
	if len(p.Aliases) > maxList {
		return field(k, "aliases", "at most %d items", maxList)
	}
	for i, a := range p.Aliases {
		if err := checkText(k, "aliases", a, maxName, true); err != nil {
			return err
		}
		if slices.Contains(p.Aliases[:i], a) || a == p.Name {
			return field(k, "aliases", "%q is given twice; give each spelling once, such as [\"Badani area\"]", a)
		}
	}
	return nil
}

// checkCoords checks the place's coordinates: both given, in range, and
// not 0, 0.
func (p *AddedPlace) checkCoords() error {
	const k = KindPlace
	if p.Lat == nil || p.Lon == nil {
		return field(k, "lat", "lat and lon are required, in degrees WGS 84, such as \"lat\": 30.9, \"lon\": 66.4")
	}
	if err := checkCoord(k, "lat", *p.Lat, *p.Lon); err != nil {
		return err
	}
	if *p.Lat == 0 && *p.Lon == 0 {
		return field(k, "lat", "0, 0 is in the Gulf of Guinea: give the place's coordinates, such as \"lat\": 30.9, \"lon\": 66.4")
	}
	return nil
}

// checkAdmin checks the units the place lies in, one per country side.
func (p *AddedPlace) checkAdmin() error {
	const k = KindPlace
	if len(p.Admin) == 0 || len(p.Admin) > maxPlaceAdmin {
		return field(k, "admin", "gives the province and district on each side: 1 unit, or 2 for a crossing, such as [{\"country\": \"PK\", \"admin1\": \"Balochistan\", \"admin2\": \"Chaman\"}]")
	}
	for i, a := range p.Admin {
		if !countryRE.MatchString(a.Country) {
			return field(k, "admin.country", "%q is not an ISO 3166-1 alpha-2 code such as \"PK\" or \"AF\"", a.Country)
		}
		if slices.ContainsFunc(p.Admin[:i], func(b AdminUnit) bool { return b.Country == a.Country }) {
			return field(k, "admin", "names %s twice; give one unit per country side", a.Country)
		}
		if err := checkText(k, "admin.admin1", a.Admin1, maxName, true); err != nil {
			return err
		}
		for _, f := range []struct{ name, v string }{{"admin.admin2", a.Admin2}, {"admin.admin3", a.Admin3}} {
			if err := checkText(k, f.name, f.v, maxName, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// AddedPlace returns the index of the statement that added the place with
// an id, if one did.
func (s *State) AddedPlace(id string) (int64, bool) {
	idx, ok := s.reg.Places[id]
	return idx, ok
}
