package web

import (
	"context"
	"fmt"
	"maps"
	"math"
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

// The embedded gazetteer is read on the first search, once for all
// servers; each server adds the places of its log (placeIndex).
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
	// Index is the statement that added the place, for a place of the
	// log (source "log").
	Index   *int64              `json:"index,omitempty"`
	Score   float64             `json:"score"`
	Match   gazetteer.MatchKind `json:"match"`
	Matched string              `json:"matched"`
	// DistanceKm is how far the place is from the line of the rulebook's
	// area (the border), to the kilometre, and InArea whether it lies in
	// the area; both are null when the rulebook has no area.
	DistanceKm *float64 `json:"distance_km"`
	InArea     *bool    `json:"in_area"`
}

// PlacesResponse is the JSON answer of GET /api/v1/places.
type PlacesResponse struct {
	// Area is the rulebook's area, by which the places are ranked; null
	// when it has none.
	Area  *PlacesArea  `json:"area"`
	Items []PlaceMatch `json:"items"`
}

// PlacesArea names the area a place search ranks by.
type PlacesArea struct {
	Name     string  `json:"name"`
	WithinKm float64 `json:"within_km"`
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
	g, added, err := s.gazetteer(r.Context())
	if err != nil {
		return err
	}
	o := gazetteer.SearchOptions{Keep: func(p *gazetteer.Place) bool {
		return (pq.country == "" || p.InCountry(pq.country)) && (pq.crossing == nil || p.Crossing == *pq.crossing)
	}}
	resp := PlacesResponse{Items: []PlaceMatch{}}
	if rb := s.log.Rulebook(); rb != nil && rb.Area != nil {
		o.Area = &gazetteer.Area{Line: rb.Area.Line, WithinKm: rb.Area.WithinKm}
		resp.Area = &PlacesArea{Name: rb.Area.Name, WithinKm: rb.Area.WithinKm}
	}
	for _, m := range g.Find(pq.q, pq.limit, o) {
		pm := placeMatch(m)
		if o.Area != nil {
			d, in := math.Round(m.DistanceKm), m.InArea
			pm.DistanceKm, pm.InArea = &d, &in
		}
		if i, ok := added[m.Place.ID]; ok && m.Place.Source == gazetteer.SourceLog {
			pm.Index = &i
		}
		resp.Items = append(resp.Items, pm)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// placeIndex is the embedded gazetteer with the places that the log's
// place statements added, indexed anew when the views hold more of them.
type placeIndex struct {
	mu    sync.Mutex
	g     *gazetteer.Gazetteer
	after int64             // the index of the last statement whose place g holds
	list  []gazetteer.Place // the log's places, in log order
	added map[string]int64  // their ids, with the statements that added them
}

// featureCodes are GeoNames' feature codes of the types of added places.
var featureCodes = map[string]string{
	mechanism.PlaceVillage: "PPL", mechanism.PlaceTown: "PPL", mechanism.PlaceCity: "PPL", mechanism.PlaceSector: "PPLX",
	mechanism.PlaceDistrict: "ADM2", mechanism.PlaceArea: "AREA", mechanism.PlaceBorderPost: "PSTB",
	mechanism.PlaceCrossing: "PSTB", mechanism.PlaceLandmark: "BLDG",
}

// gazetteer returns the embedded gazetteer with the places of the log
// that the views hold, and the ids of the log's places with the
// statements that added them (not to be changed).
func (s *Server) gazetteer(ctx context.Context) (*gazetteer.Gazetteer, map[string]int64, error) {
	base, err := loadGazetteer()
	if err != nil {
		return nil, nil, fmt.Errorf("couldn't load the gazetteer: %w", err)
	}
	pi := &s.placeIdx
	pi.mu.Lock()
	defer pi.mu.Unlock()
	if pi.g == nil {
		pi.g, pi.after, pi.added = base, -1, map[string]int64{}
	}
	added, err := s.views.AddedPlaces(ctx, pi.after)
	if err != nil || len(added) == 0 {
		return pi.g, pi.added, err
	}
	list, ids, after := slices.Clone(pi.list), maps.Clone(pi.added), pi.after
	for _, p := range added {
		after = max(after, p.Index)
		if _, ok := base.Place(p.ID); ok {
			// The core refuses the ids of the embedded places; one that a
			// later release added could still meet a log's place.
			s.logger.Warn("a place of the log has the id of an embedded place, which hides it", "id", p.ID, "index", p.Index)
			continue
		}
		admin := make([]gazetteer.AdminUnit, 0, len(p.Admin))
		for _, a := range p.Admin {
			admin = append(admin, gazetteer.AdminUnit{Country: a.Country, Admin1: a.Admin1, Admin2: a.Admin2})
		}
		list = append(list, gazetteer.Place{
			ID: p.ID, Name: p.Name, ASCIIName: gazetteer.ASCII(p.Name), Names: p.Names, Aliases: p.Aliases,
			Lat: p.Lat, Lon: p.Lon, Precision: p.GeoPrecision, Admin: admin, FeatureCode: featureCodes[p.Type],
			Crossing: p.Type == mechanism.PlaceCrossing, Source: gazetteer.SourceLog, Note: p.Source,
		})
		ids[p.ID] = p.Index
	}
	g, err := base.With(list)
	if err != nil {
		return nil, nil, fmt.Errorf("couldn't add the log's places to the gazetteer: %w", err)
	}
	pi.g, pi.list, pi.added, pi.after = g, list, ids, after
	return g, ids, nil
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

// resolvePlaces adds to each row whose place_id the gazetteer, or the
// log, knows the place it names, as "place".
func (s *Server) resolvePlaces(ctx context.Context, rows []store.Row) {
	g, _, err := s.gazetteer(ctx)
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
