// Package gazetteer knows the places of the Pakistan–Afghanistan border
// region: GeoNames' populated places of both countries, the border crossings
// and the places that public reporting names, each with its names in Latin
// and Arabic script, and finds them by a name however it is transliterated.
package gazetteer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Sources of places.
const (
	SourceGeoNames = "geonames" // the vendored GeoNames rows, see data/README.md
	SourceCurated  = "curated"  // curated.json, with a note on its sources
	SourceLog      = "log"      // a place statement in the mechanism's log
)

// Place is a named location.
type Place struct {
	// ID is stable across data updates and a valid statement identifier:
	// "geonames.<id>" for a GeoNames row, "<country>.<slug>" for a GeoNames
	// row that came without its id, a slug such as "torkham" for a curated
	// place (a crossing's id is the one crossing.status statements use).
	ID        string
	Name      string
	ASCIIName string
	// Names are the curated names by language (BCP 47: en, ur, ps, fa).
	Names map[string]string
	// Aliases are the other names the data carries, and curated
	// transliterations.
	Aliases  []string
	Lat, Lon float64
	// Precision is ACLED's geo-precision of the coordinates: 1 the place
	// itself, 2 near it, 3 only the region.
	Precision int
	// Admin places it in one country's administrative units, or in both
	// countries' for a border crossing; the first is the place's own.
	Admin       []AdminUnit
	Population  int
	FeatureCode string // GeoNames feature code, such as PPL, PPLA2, ADM2, PSTB
	Crossing    bool   // a border crossing
	Source      string // SourceGeoNames or SourceCurated
	// Note says where a curated place's coordinates and names come from.
	Note string
}

// AdminUnit is a place's administrative units in one country, by name.
type AdminUnit struct {
	Country string // ISO 3166-1 alpha-2: PK or AF
	Admin1  string // province
	Admin2  string // district
}

// Country is the place's own country.
func (p *Place) Country() string { return p.Admin[0].Country }

// InCountry reports whether the place is in country c, on either side for a
// crossing.
func (p *Place) InCountry(c string) bool {
	return slices.ContainsFunc(p.Admin, func(a AdminUnit) bool { return a.Country == c })
}

// Gazetteer is a set of places indexed for search. It is safe for
// concurrent use.
type Gazetteer struct {
	places []Place
	byID   map[string]int
	index
}

// New indexes places. IDs must be unique, and every place must have a name
// and at least one administrative unit.
func New(places []Place) (*Gazetteer, error) {
	g := &Gazetteer{places: places, byID: make(map[string]int, len(places))}
	for i := range places {
		p := &places[i]
		if p.ID == "" || p.Name == "" || len(p.Admin) == 0 {
			return nil, fmt.Errorf("place %d (%q, %q) needs an id, a name and a country", i, p.ID, p.Name)
		}
		if _, dup := g.byID[p.ID]; dup {
			return nil, fmt.Errorf("place id %q is used twice", p.ID)
		}
		g.byID[p.ID] = i
	}
	g.build(places)
	return g, nil
}

// With returns a gazetteer of g's places and then extra, such as the
// places a mechanism's log added. It indexes them all anew, which takes
// about 16 ms for the embedded places.
func (g *Gazetteer) With(extra []Place) (*Gazetteer, error) {
	places := make([]Place, 0, len(g.places)+len(extra))
	places = append(places, g.places...)
	return New(append(places, extra...))
}

// Len is the number of places.
func (g *Gazetteer) Len() int { return len(g.places) }

// Place returns the place with an id.
func (g *Gazetteer) Place(id string) (*Place, bool) {
	i, ok := g.byID[id]
	if !ok {
		return nil, false
	}
	return &g.places[i], true
}

// All calls f for each place, in the order they were given.
func (g *Gazetteer) All(f func(*Place)) {
	for i := range g.places {
		f(&g.places[i])
	}
}

//go:embed data/places.tsv.gz data/admin.tsv.gz curated.json
var files embed.FS

// Load reads the embedded data: the GeoNames rows of Pakistan and
// Afghanistan, and the curated places and aliases.
func Load() (*Gazetteer, error) {
	admin, err := readAdmin()
	if err != nil {
		return nil, fmt.Errorf("couldn't read the gazetteer's administrative units: %w", err)
	}
	places, err := readPlaces(admin)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the gazetteer's places: %w", err)
	}
	b, err := files.ReadFile("curated.json")
	if err != nil {
		return nil, err
	}
	if places, err = applyCurated(places, b); err != nil {
		return nil, fmt.Errorf("couldn't read curated.json: %w", err)
	}
	return New(places)
}

// gunzip returns the lines of a gzipped embedded file, without comments.
func gunzip(name string) ([][]string, error) {
	f, err := files.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	var rows [][]string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows, sc.Err()
}

// readAdmin reads administrative unit names by GeoNames code, such as
// "PK.03" (a province) and "PK.03.1172574" (a district).
func readAdmin() (map[string]string, error) {
	rows, err := gunzip("data/admin.tsv.gz")
	if err != nil {
		return nil, err
	}
	admin := make(map[string]string, len(rows))
	for i, r := range rows {
		if len(r) != 2 {
			return nil, fmt.Errorf("line %d has %d fields, want 2", i+1, len(r))
		}
		admin[r[0]] = r[1]
	}
	return admin, nil
}

// placeColumns are the columns of data/places.tsv.gz.
const placeColumns = 11

func readPlaces(admin map[string]string) ([]Place, error) {
	rows, err := gunzip("data/places.tsv.gz")
	if err != nil {
		return nil, err
	}
	places := make([]Place, 0, len(rows))
	for i, r := range rows {
		if len(r) != placeColumns {
			return nil, fmt.Errorf("row %d has %d fields, want %d", i+1, len(r), placeColumns)
		}
		lat, err1 := strconv.ParseFloat(r[4], 64)
		lon, err2 := strconv.ParseFloat(r[5], 64)
		pop, err3 := strconv.Atoi(r[9])
		if err1 != nil || err2 != nil || err3 != nil || math.Abs(lat) > 90 || math.Abs(lon) > 180 {
			return nil, fmt.Errorf("row %d (%s): bad coordinates or population", i+1, r[0])
		}
		country := r[6]
		unit := AdminUnit{Country: country}
		if r[7] != "" {
			unit.Admin1 = admin[country+"."+r[7]]
			if r[8] != "" {
				unit.Admin2 = admin[country+"."+r[7]+"."+r[8]]
			}
		}
		var aliases []string
		if r[3] != "" {
			aliases = strings.Split(r[3], ",")
		}
		places = append(places, Place{
			ID: r[0], Name: r[1], ASCIIName: r[2], Aliases: aliases,
			Lat: lat, Lon: lon, Precision: 1, Admin: []AdminUnit{unit},
			Population: pop, FeatureCode: r[10], Source: SourceGeoNames,
		})
	}
	return places, nil
}

// curated is the form of curated.json.
type curated struct {
	// Places are places the GeoNames rows lack: the crossings first.
	Places []struct {
		ID          string            `json:"id"`
		Name        string            `json:"name"`
		Names       map[string]string `json:"names"`
		Aliases     []string          `json:"aliases"`
		Lat         float64           `json:"lat"`
		Lon         float64           `json:"lon"`
		Precision   int               `json:"precision"`
		Admin       []AdminUnit       `json:"admin"`
		FeatureCode string            `json:"feature_code"`
		Population  int               `json:"population"`
		Crossing    bool              `json:"crossing"`
		Source      string            `json:"source"`
	} `json:"places"`
	// Aliases add names to GeoNames rows.
	Aliases []struct {
		ID      string            `json:"id"`
		Names   map[string]string `json:"names"`
		Aliases []string          `json:"aliases"`
		Source  string            `json:"source"`
	} `json:"aliases"`
}

// applyCurated adds the curated places to places, and the curated aliases
// to the places they name.
func applyCurated(places []Place, b []byte) ([]Place, error) {
	var c curated
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return nil, err
	}
	byID := make(map[string]int, len(places))
	for i := range places {
		byID[places[i].ID] = i
	}
	for _, a := range c.Aliases {
		i, ok := byID[a.ID]
		if !ok {
			return nil, fmt.Errorf("aliases for %q: there is no such place", a.ID)
		}
		p := &places[i]
		p.Aliases = append(p.Aliases, a.Aliases...)
		for _, lang := range slices.Sorted(maps.Keys(a.Names)) {
			if p.Names == nil {
				p.Names = map[string]string{}
			}
			p.Names[lang] = a.Names[lang]
		}
		if a.Source != "" {
			p.Note = a.Source
		}
	}
	for _, cp := range c.Places {
		if cp.Precision < 1 || cp.Precision > 3 || len(cp.Admin) == 0 || cp.Source == "" {
			return nil, fmt.Errorf("place %q needs a precision from 1 to 3, its administrative units and a source", cp.ID)
		}
		places = append(places, Place{
			ID: cp.ID, Name: cp.Name, ASCIIName: ASCII(cp.Name), Names: cp.Names, Aliases: cp.Aliases,
			Lat: cp.Lat, Lon: cp.Lon, Precision: cp.Precision, Admin: cp.Admin,
			Population: cp.Population, FeatureCode: cp.FeatureCode, Crossing: cp.Crossing,
			Source: SourceCurated, Note: cp.Source,
		})
	}
	return places, nil
}
