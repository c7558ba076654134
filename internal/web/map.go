package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// The map: incidents (the public cases that have a place) and crossings
// over an offline basemap (Natural Earth's countries, vendored), framed on
// the rulebook's area. Its filters drive the list beside it, which is its
// text equivalent, and the markers, which the browser reads from
// GET /api/v1/cases with the same filter. An online tile layer is drawn
// only when the operator names one (UseTiles).

// UseTiles adds an online tile layer to the map, from a URL template such
// as https://tile.example.org/{z}/{x}/{y}.png, and lets pages load images
// from its host, and from no other. Without it the map makes no request
// to any other server.
func (s *Server) UseTiles(template string) error {
	u, err := url.Parse(template)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" ||
		strings.ContainsAny(template, "\"'<> ;\\") || !strings.Contains(template, "{z}") || !strings.Contains(template, "{x}") || !strings.Contains(template, "{y}") ||
		strings.ContainsAny(u.Host, "{}*") {
		return fmt.Errorf("tiles: %q is not an https URL template such as https://tile.example.org/{z}/{x}/{y}.png", template)
	}
	s.tiles, s.tilesOrigin = template, "https://"+u.Host
	return nil
}

// csp is the Content-Security-Policy of the app's pages: that of
// contentSecurityPolicy, with the tile server's origin among the image
// sources when there is one.
func (s *Server) csp() string {
	if s.tilesOrigin == "" {
		return contentSecurityPolicy
	}
	return strings.Replace(contentSecurityPolicy, "img-src 'self' data: blob:;", "img-src 'self' data: blob: "+s.tilesOrigin+";", 1)
}

// mapPoint is an incident with a place.
type mapPoint struct {
	ID       int64
	Lat, Lon float64
	Standing string
}

// mapPoints are the rows' incidents that have coordinates, their own or
// their gazetteer place's (resolvePlaces).
func mapPoints(rows []store.Row) []mapPoint {
	var out []mapPoint
	for _, r := range rows {
		lat, ok1 := r["lat"].(float64)
		lon, ok2 := r["lon"].(float64)
		if !ok1 || !ok2 {
			p, ok := r["place"].(ResolvedPlace)
			if !ok {
				continue
			}
			lat, lon = p.Lat, p.Lon
		}
		id, _ := r["id"].(int64)
		st, _ := r["standing"].(string)
		out = append(out, mapPoint{ID: id, Lat: lat, Lon: lon, Standing: st})
	}
	return out
}

// bounds is a box of latitude and longitude.
type bounds struct{ S, W, N, E float64 }

// frame is the box the map shows first: the rulebook's area (its line,
// with a margin), or the points', or the world.
func frame(rb *mechanism.Rulebook, pts []mapPoint) bounds {
	b := bounds{S: 90, W: 180, N: -90, E: -180}
	grow := func(lat, lon float64) {
		b.S, b.N, b.W, b.E = min(b.S, lat), max(b.N, lat), min(b.W, lon), max(b.E, lon)
	}
	if rb != nil && rb.Area != nil {
		for _, p := range rb.Area.Line {
			grow(p[0], p[1])
		}
	} else {
		for _, p := range pts {
			grow(p.Lat, p.Lon)
		}
	}
	if b.S > b.N {
		return bounds{S: -60, W: -170, N: 75, E: 170}
	}
	const margin = 0.5 // degrees
	return bounds{S: max(b.S-margin, -85), W: max(b.W-margin, -180), N: min(b.N+margin, 85), E: min(b.E+margin, 180)}
}

// smallMap is the dashboard's map, drawn by the server as SVG: the area's
// line, the period's incidents and the crossings, in an equirectangular
// projection of the frame.
type smallMap struct {
	W, H      float64
	Line      string // the area's line as SVG points
	AreaName  string
	Points    []svgPoint
	Crossings []svgPoint
}

type svgPoint struct {
	X, Y  float64
	Class string
	ID    string
	Label string
}

func (s *Server) newSmallMap(ctx context.Context, rb *mechanism.Rulebook, pts []mapPoint, crossings []store.CrossingSide) *smallMap {
	b := frame(rb, pts)
	const w = 320.0
	k := math.Cos((b.S + b.N) / 2 * math.Pi / 180)
	h := math.Round(w * (b.N - b.S) / ((b.E - b.W) * k))
	m := &smallMap{W: w, H: h}
	xy := func(lat, lon float64) (float64, float64) {
		return round1((lon - b.W) / (b.E - b.W) * w), round1((b.N - lat) / (b.N - b.S) * h)
	}
	if rb.Area != nil {
		m.AreaName = rb.Area.Name
		var line []string
		for _, p := range rb.Area.Line {
			x, y := xy(p[0], p[1])
			line = append(line, fmt.Sprintf("%g,%g", x, y))
		}
		m.Line = strings.Join(line, " ")
	}
	for _, p := range pts {
		if p.Lat < b.S || p.Lat > b.N || p.Lon < b.W || p.Lon > b.E {
			continue
		}
		x, y := xy(p.Lat, p.Lon)
		m.Points = append(m.Points, svgPoint{X: x, Y: y, Class: "m-" + p.Standing, ID: strconv.FormatInt(p.ID, 10)})
	}
	g, _, err := s.gazetteer(ctx)
	if err != nil {
		return m
	}
	seen := map[string]bool{}
	for _, c := range crossings {
		if seen[c.Crossing] {
			continue
		}
		seen[c.Crossing] = true
		if p, ok := g.Place(c.Crossing); ok {
			x, y := xy(p.Lat, p.Lon)
			m.Crossings = append(m.Crossings, svgPoint{X: x - 3, Y: y - 3, Class: "x-" + crossingState(crossings, c.Crossing), ID: c.Crossing, Label: c.Name})
		}
	}
	return m
}

// crossingState is a crossing's state on the map: open or closed when
// every side says so, restricted when any side restricts it or the sides
// differ.
func crossingState(l []store.CrossingSide, id string) string {
	state := ""
	for _, c := range l {
		if c.Crossing != id {
			continue
		}
		switch {
		case state == "":
			state = c.Status
		case state != c.Status:
			state = mechanism.CrossingRestricted
		}
	}
	return state
}

// mapCrossing is a crossing on the map page, with its place.
type mapCrossing struct {
	crossingRow
	Lat, Lon float64
	State    string
}

// incidentRow is a case in the map's list.
type incidentRow struct {
	ID                       int64
	EventAt                  time.Time
	Place, Summary, Language string
	Standing, Stage, Type    string
	Reporter, Accused        string
	Categories               []string
	HasPlace                 bool
}

// mapData is the map page's.
type mapData struct {
	Window                        window
	Periods                       []string
	Period, Type, Category, Party string
	Status                        string
	Types, Categories, Parties    []option
	Statuses                      []string
	Bounds                        string // JSON [[S, W], [N, E]]
	Tiles                         string
	Query                         string // the API's filter, for the markers
	Incidents                     []incidentRow
	Next                          int64
	NextURL                       string
	Crossings                     []mapCrossing
}

type option struct{ ID, Name string }

// mapListSize is how many incidents the list shows at a time.
const mapListSize = 50

// mapPage serves the map; asked by htmx (HX-Request), only its list.
func (s *Server) mapPage(w http.ResponseWriter, r *http.Request) error {
	rb := s.log.Rulebook()
	if rb == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "the log is empty"}
	}
	q := r.URL.Query()
	for k, v := range q {
		if len(v) > 1 {
			return badRequest("%s must be given once", k)
		}
		if !slices.Contains([]string{"period", "at", "type", "category", "party", "status", "before", "lang"}, k) {
			return badRequest("unknown parameter %q; the map's parameters are period, at, type, category, party, status and before", k)
		}
	}
	data := mapData{Periods: append([]string{"all"}, periodNames...), Period: q.Get("period"), Type: q.Get("type"),
		Category: q.Get("category"), Party: q.Get("party"), Status: q.Get("status"), Statuses: mechanism.Standings, Tiles: s.tiles}
	if data.Period == "" {
		data.Period = "all"
	}
	api := url.Values{"distinct": {"true"}}
	if data.Period != "all" {
		win, err := s.window(r.Context(), q, "")
		if err != nil {
			return err
		}
		data.Window = win
		api.Set("from", statement.FormatTime(win.This.From))
		api.Set("to", statement.FormatTime(win.This.To))
	}
	for k, v := range map[string]string{"type": data.Type, "category": data.Category, "party": data.Party, "standing": data.Status} {
		if v != "" {
			api.Set(k, v)
		}
	}
	l, _ := store.ListNamed("cases")
	listQ := url.Values{"limit": {strconv.Itoa(mapListSize)}}
	for k, v := range api {
		listQ[k] = v
	}
	if b := q.Get("before"); b != "" {
		listQ.Set("before", b)
	}
	f, err := filter(listQ, l, rb)
	if err != nil {
		return err
	}
	page, err := s.views.List(r.Context(), "cases", f)
	if err != nil {
		return err
	}
	s.resolvePlaces(r.Context(), page.Rows)
	for _, row := range page.Rows {
		data.Incidents = append(data.Incidents, incidentOf(row))
	}
	data.Query = api.Encode()
	if page.Next != 0 {
		data.Next = page.Next
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("before", strconv.FormatInt(page.Next, 10))
		data.NextURL = "/map?" + nq.Encode()
	}
	if strings.EqualFold(r.Header.Get("HX-Request"), "true") {
		return s.renderBlock(w, r, "map.html", "incidents", http.StatusOK, data)
	}
	for _, t := range mechanism.EventTypes {
		data.Types = append(data.Types, option{t.ID, t.Name})
	}
	for _, c := range rb.Categories {
		data.Categories = append(data.Categories, option{c.ID, c.Text})
	}
	for _, b := range rb.Bodies {
		if b.Type == mechanism.BodyParty {
			data.Parties = append(data.Parties, option{b.ID, b.Name})
		}
	}
	fb := frame(rb, nil)
	bj, _ := json.Marshal([][2]float64{{fb.S, fb.W}, {fb.N, fb.E}})
	data.Bounds = string(bj)
	crossings, err := s.views.List(r.Context(), "crossings", store.Filter{})
	if err != nil {
		return err
	}
	var sides []store.CrossingSide
	for _, row := range crossings.Rows {
		cs := statusOf(s.locale(w, r), row)
		since, _ := row["since"].(string)
		c, _ := row["crossing"].(string)
		name, _ := row["name"].(string)
		var allowed []string
		if cs.Allowed != "" {
			allowed = strings.Split(cs.Allowed, ", ")
		}
		sides = append(sides, store.CrossingSide{Crossing: c, Side: cs.Side, Name: name, Status: cs.Status, Allowed: allowed, Since: since, Index: cs.Index})
	}
	slices.SortStableFunc(sides, func(a, b store.CrossingSide) int {
		return strings.Compare(a.Crossing+"\x00"+a.Side, b.Crossing+"\x00"+b.Side)
	})
	bodyName := func(id string) string {
		if b, ok := rb.Body(id); ok {
			return b.Name
		}
		return id
	}
	g, _, err := s.gazetteer(r.Context())
	if err != nil {
		return err
	}
	for _, c := range crossingRows(sides, bodyName) {
		mc := mapCrossing{crossingRow: c, State: crossingState(sides, c.ID)}
		if p, ok := g.Place(c.ID); ok {
			mc.Lat, mc.Lon = p.Lat, p.Lon
		}
		data.Crossings = append(data.Crossings, mc)
	}
	return s.render(w, r, "map.html", "map.title", "map", data)
}

// incidentOf reads a row of the cases list.
func incidentOf(r store.Row) incidentRow {
	str := func(k string) string { v, _ := r[k].(string); return v }
	in := incidentRow{Place: str("place_name"), Summary: str("summary"), Standing: str("standing"), Stage: str("stage"),
		Type: str("event_type"), Reporter: str("reporter"), Accused: str("accused")}
	in.ID, _ = r["id"].(int64)
	in.EventAt, _ = statement.ParseTime(str("event_at"))
	if raw, ok := r["categories"].(json.RawMessage); ok {
		json.Unmarshal(raw, &in.Categories)
	}
	_, lat := r["lat"].(float64)
	_, place := r["place"].(ResolvedPlace)
	in.HasPlace = lat || place
	if p, ok := r["place"].(ResolvedPlace); ok && in.Place == "" {
		in.Place = p.Name
	}
	return in
}
