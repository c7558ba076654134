package web

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sulh-project/sulh/internal/gazetteer"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/store"
)

// Limits of place searches.
const (
	defaultPlaceLimit = 10
	maxPlaceLimit     = 100
)

// placeParams are the parameters GET /api/v1/places takes.
var placeParams = []string{"q", "limit", "country", "crossing"}

// The gazetteer is read from the embedded data on the first search, once
// for all servers.
var (
	gazetteerOnce sync.Once
	gazetteerData *gazetteer.Gazetteer
	gazetteerErr  error
)

func loadGazetteer() (*gazetteer.Gazetteer, error) {
	gazetteerOnce.Do(func() { gazetteerData, gazetteerErr = gazetteer.Load() })
	return gazetteerData, gazetteerErr
}

// PlaceMatch is one item of the answer of GET /api/v1/places: a place, and
// how well it matched the query.
type PlaceMatch struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	ASCIIName string            `json:"ascii_name"`
	Names     map[string]string `json:"names"`
	Aliases   []string          `json:"aliases"`
	Lat       float64           `json:"lat"`
	Lon       float64           `json:"lon"`
	// GeoPrecision is ACLED's, as a report's place has it.
	GeoPrecision int `json:"geo_precision"`
	// Country, Admin1 and Admin2 are the place's own, Admin[0]; Admin has
	// both sides of a crossing, as a report's place has them.
	Country     string                `json:"country"`
	Admin1      string                `json:"admin1"`
	Admin2      string                `json:"admin2"`
	Admin       []mechanism.AdminUnit `json:"admin"`
	Population  int                   `json:"population"`
	FeatureCode string                `json:"feature_code"`
	Crossing    bool                  `json:"crossing"`
	Source      string                `json:"source"`
	Note        string                `json:"note,omitempty"`
	Score       float64               `json:"score"`
	Match       gazetteer.MatchKind   `json:"match"`
	Matched     string                `json:"matched"`
}

// PlacesResponse is the JSON answer of GET /api/v1/places.
type PlacesResponse struct {
	Items []PlaceMatch `json:"items"`
}

// placeQuery is a parsed place search.
type placeQuery struct {
	q        string
	limit    int
	country  string
	crossing *bool
}

// parsePlaceQuery reads the parameters of a place search. A missing q is
// reported before unknown parameters: it is what a client that misspells
// q needs to hear.
func parsePlaceQuery(r *http.Request) (placeQuery, error) {
	pq := placeQuery{limit: defaultPlaceLimit}
	values := r.URL.Query()
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if n := len(values[name]); n != 1 {
			return pq, badRequest("parameter %s is given %d times", name, n)
		}
	}
	if _, ok := values["q"]; !ok {
		return pq, badRequest("q is required: the name to look for, as in ?q=Torkham; the parameters are %s", strings.Join(placeParams, ", "))
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		v := values.Get(name)
		switch name {
		case "q":
			switch n := utf8.RuneCountInString(v); {
			case !utf8.ValidString(v):
				return pq, badRequest("q is not valid UTF-8")
			case n > gazetteer.MaxQuery:
				return pq, badRequest("q is %d characters long; the most is %d", n, gazetteer.MaxQuery)
			case gazetteer.Normalize(v) == "":
				return pq, badRequest("q is empty: give a name to look for, as in ?q=Torkham")
			}
			pq.q = v
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxPlaceLimit {
				return pq, badRequest("limit must be from 1 to %d", maxPlaceLimit)
			}
			pq.limit = n
		case "country":
			if allowed := []string{"PK", "AF"}; !slices.Contains(allowed, v) {
				return pq, badRequest("country must be one of %v", allowed)
			}
			pq.country = v
		case "crossing":
			b, err := strconv.ParseBool(v)
			if allowed := []string{"true", "false"}; err != nil || !slices.Contains(allowed, v) {
				return pq, badRequest("crossing must be one of %v", allowed)
			}
			pq.crossing = &b
		default:
			return pq, badRequest("unknown parameter %q; places takes %s", name, strings.Join(placeParams, ", "))
		}
	}
	return pq, nil
}

// places searches the gazetteer by name, best match first.
func (s *Server) places(w http.ResponseWriter, r *http.Request) error {
	pq, err := parsePlaceQuery(r)
	if err != nil {
		return err
	}
	g, err := loadGazetteer()
	if err != nil {
		return fmt.Errorf("couldn't load the gazetteer: %w", err)
	}
	keep := func(p *gazetteer.Place) bool {
		return (pq.country == "" || p.InCountry(pq.country)) && (pq.crossing == nil || p.Crossing == *pq.crossing)
	}
	resp := PlacesResponse{Items: []PlaceMatch{}}
	for _, m := range g.SearchFunc(pq.q, pq.limit, keep) {
		resp.Items = append(resp.Items, placeMatch(m))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func placeMatch(m gazetteer.Match) PlaceMatch {
	p := m.Place
	pm := PlaceMatch{
		ID: p.ID, Name: p.Name, ASCIIName: p.ASCIIName, Names: map[string]string{}, Aliases: []string{},
		Lat: p.Lat, Lon: p.Lon, GeoPrecision: p.Precision,
		Country: p.Country(), Admin1: p.Admin[0].Admin1, Admin2: p.Admin[0].Admin2,
		Population: p.Population, FeatureCode: p.FeatureCode, Crossing: p.Crossing, Source: p.Source, Note: p.Note,
		Score: m.Score, Match: m.Kind, Matched: m.Matched,
	}
	for k, v := range p.Names {
		pm.Names[k] = v
	}
	pm.Aliases = append(pm.Aliases, p.Aliases...)
	for _, a := range p.Admin {
		pm.Admin = append(pm.Admin, mechanism.AdminUnit{Country: a.Country, Admin1: a.Admin1, Admin2: a.Admin2})
	}
	return pm
}

// ResolvedPlace is a gazetteer place that a statement names by id.
type ResolvedPlace struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
	Country  string  `json:"country"`
	Admin1   string  `json:"admin1"`
	Admin2   string  `json:"admin2"`
	Crossing bool    `json:"crossing"`
}

// resolvePlaces adds to each row whose place_id the gazetteer knows the
// place it names, as "place".
func resolvePlaces(rows []store.Row) {
	g, err := loadGazetteer()
	if err != nil {
		return
	}
	for _, r := range rows {
		id, _ := r["place_id"].(string)
		if id == "" {
			continue
		}
		if p, ok := g.Place(id); ok {
			a := p.Admin[0]
			r["place"] = ResolvedPlace{ID: p.ID, Name: p.Name, Lat: p.Lat, Lon: p.Lon, Country: a.Country, Admin1: a.Admin1, Admin2: a.Admin2, Crossing: p.Crossing}
		}
	}
}
