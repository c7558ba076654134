package report

import (
	"bufio"
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// data/border.txt holds the countries of the border region, from
// world-atlas's Natural Earth 1:50m countries (the map page's basemap),
// clipped to the region and simplified (TestBorderData makes it again
// from the vendored file): one ring a line, "name<TAB>lon,lat lon,lat …".
//
//go:embed data/border.txt
var borderTxt []byte

// ring is one ring of a country's boundary, in degrees.
type ring struct {
	Country string
	Pts     [][2]float64 // lon, lat
}

// borderRings are the rings of data/border.txt, read once.
var borderRings = sync.OnceValues(func() ([]ring, error) { return readRings(borderTxt) })

// readRings reads rings written as data/border.txt holds them.
func readRings(b []byte) ([]ring, error) {
	var out []ring
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		name, pts, ok := strings.Cut(sc.Text(), "\t")
		if !ok || name == "" {
			return nil, fmt.Errorf("couldn't read the border's line %d: no name and tab", n)
		}
		r := ring{Country: name}
		for _, p := range strings.Fields(pts) {
			x, y, ok := strings.Cut(p, ",")
			lon, err1 := strconv.ParseFloat(x, 64)
			lat, err2 := strconv.ParseFloat(y, 64)
			if !ok || err1 != nil || err2 != nil || math.Abs(lon) > 180 || math.Abs(lat) > 90 {
				return nil, fmt.Errorf("couldn't read the border's line %d: %q is not lon,lat", n, p)
			}
			r.Pts = append(r.Pts, [2]float64{lon, lat})
		}
		if len(r.Pts) < 3 {
			return nil, fmt.Errorf("couldn't read the border's line %d: a ring needs 3 points", n)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("couldn't read the border: %w", err)
	}
	return out, nil
}

// box is a frame of latitude and longitude.
type box struct{ S, W, N, E float64 }

// defaultBox is the frame of a rulebook with no area: the border region,
// as the forms' place picker frames it.
var defaultBox = box{S: 29.0, W: 60.5, N: 37.5, E: 75.0}

// mapBox is the frame of the report's map: the rulebook's area (its
// line, with a margin of half a degree), as the map page frames it first.
func mapBox(rb *mechanism.Rulebook) box {
	if rb == nil || rb.Area == nil || len(rb.Area.Line) == 0 {
		return defaultBox
	}
	b := box{S: 90, W: 180, N: -90, E: -180}
	for _, p := range rb.Area.Line {
		b.S, b.N, b.W, b.E = min(b.S, p[0]), max(b.N, p[0]), min(b.W, p[1]), max(b.E, p[1])
	}
	const margin = 0.5 // degrees
	b = box{S: max(b.S-margin, -85), W: max(b.W-margin, -180), N: min(b.N+margin, 85), E: min(b.E+margin, 180)}
	if b.N-b.S < 1 || b.E-b.W < 1 {
		// One point, a centre: a box of 2° around it.
		c := [2]float64{(b.S + b.N) / 2, (b.W + b.E) / 2}
		b = box{S: max(c[0]-1, -85), W: max(c[1]-1, -180), N: min(c[0]+1, 85), E: min(c[1]+1, 180)}
	}
	return b
}

// projection is an equirectangular projection of a box onto W×H units,
// its aspect that of the box at the box's middle latitude.
type projection struct {
	b    box
	W, H float64
}

func newProjection(b box, w float64) projection {
	k := math.Cos((b.S + b.N) / 2 * math.Pi / 180)
	return projection{b: b, W: w, H: math.Round(w * (b.N - b.S) / ((b.E - b.W) * k))}
}

// xy is where lat, lon falls, to a tenth of a unit.
func (p projection) xy(lat, lon float64) (float64, float64) {
	return round1((lon - p.b.W) / (p.b.E - p.b.W) * p.W), round1((p.b.N - lat) / (p.b.N - p.b.S) * p.H)
}

// inside is whether lat, lon falls in the box.
func (p projection) inside(lat, lon float64) bool {
	return lat >= p.b.S && lat <= p.b.N && lon >= p.b.W && lon <= p.b.E
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// num formats a coordinate the same way everywhere: the shortest
// decimal, never an exponent.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Incident is a point of the report's map: the period's events of one
// standing whose places round to the same hundredth of a degree (about a
// kilometre, under a pixel of the map), so that a report stays small
// however many events the period holds.
type Incident struct {
	Case     int64 // the lowest case id among them
	Lat, Lon float64
	Standing string
	Count    int64 // how many events
}

// incidentGrid is the map's resolution in points per degree.
const incidentGrid = 100

// addIncidents adds n events at lat, lon, the lowest of them case id, to
// incidents, by their rounded place and their standing; sortIncidents
// orders them for the report.
func addIncidents(incidents map[Incident]*Incident, id int64, lat, lon float64, standing string, n int64) {
	k := Incident{Lat: math.Round(lat*incidentGrid) / incidentGrid, Lon: math.Round(lon*incidentGrid) / incidentGrid, Standing: standing}
	in, ok := incidents[k]
	if !ok {
		in = &Incident{Case: id, Lat: k.Lat, Lon: k.Lon, Standing: standing}
		incidents[k] = in
	}
	in.Case = min(in.Case, id)
	in.Count += n
}

// sortIncidents lists incidents by latitude, longitude and standing.
func sortIncidents(incidents map[Incident]*Incident) []Incident {
	out := make([]Incident, 0, len(incidents))
	for _, in := range incidents {
		out = append(out, *in)
	}
	slices.SortFunc(out, func(a, b Incident) int {
		return cmp.Or(cmp.Compare(a.Lat, b.Lat), cmp.Compare(a.Lon, b.Lon), strings.Compare(a.Standing, b.Standing))
	})
	return out
}

// mapShape is a country's ring projected onto the map.
type mapShape struct {
	Country string
	Pts     [][2]float64 // x, y
	Fill    [3]int       // the two sides of the default rulebook apart, the others grey
}

// periodMap is the report's map: the countries' rings, the area's line
// and the period's incidents, projected.
type periodMap struct {
	W, H      float64
	Shapes    []mapShape
	Line      [][2]float64
	AreaName  string
	Points    []mapPoint
	Outside   int64 // events outside the frame, not drawn
	Located   int64 // events with coordinates
	Drawn     int64 // events drawn
	Countries []string
}

type mapPoint struct {
	X, Y  float64
	Class string
	Case  int64 // the lowest case id of the point's events
	Count int64 // how many events the point stands for
}

// Radius is the point's radius on a map 600 units wide: larger as it
// stands for more events.
func (q mapPoint) Radius() float64 {
	return 4.5 + min(7.5, 1.5*math.Log2(float64(max(q.Count, 1))))
}

// countryFills are the fills of the two sides of the default rulebook;
// every other country is otherFill.
var (
	countryFills = map[string][3]int{"Afghanistan": {0xf6, 0xf1, 0xe4}, "Pakistan": {0xec, 0xe5, 0xd2}}
	otherFill    = [3]int{0xdf, 0xdc, 0xd6}
)

// newMap projects the border, the area's line and the incidents onto a
// map w units wide.
func newMap(rb *mechanism.Rulebook, incidents []Incident, w float64) (*periodMap, error) {
	rings, err := borderRings()
	if err != nil {
		return nil, err
	}
	pr := newProjection(mapBox(rb), w)
	m := &periodMap{W: pr.W, H: pr.H}
	for _, r := range rings {
		s := mapShape{Country: r.Country, Fill: otherFill}
		if f, ok := countryFills[r.Country]; ok {
			s.Fill = f
		}
		for _, p := range r.Pts {
			x, y := pr.xy(p[1], p[0])
			s.Pts = append(s.Pts, [2]float64{x, y})
		}
		m.Shapes = append(m.Shapes, s)
	}
	if rb != nil && rb.Area != nil && len(rb.Area.Line) > 1 {
		m.AreaName = rb.Area.Name
		for _, p := range rb.Area.Line {
			x, y := pr.xy(p[0], p[1])
			m.Line = append(m.Line, [2]float64{x, y})
		}
	}
	for _, in := range incidents {
		m.Located += in.Count
		if !pr.inside(in.Lat, in.Lon) {
			m.Outside += in.Count
			continue
		}
		m.Drawn += in.Count
		x, y := pr.xy(in.Lat, in.Lon)
		m.Points = append(m.Points, mapPoint{X: x, Y: y, Class: in.Standing, Case: in.Case, Count: in.Count})
	}
	return m, nil
}

// svgPoints writes points as an SVG points attribute.
func svgPoints(pts [][2]float64) string {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(p[0]))
		b.WriteByte(',')
		b.WriteString(num(p[1]))
	}
	return b.String()
}

// standingColours are the colours of the incidents on the map, by
// standing, as RGB; any other standing is grey.
var standingColours = map[string][3]int{
	mechanism.StandingPending:  {0xd9, 0x8c, 0x1f},
	mechanism.StandingVerified: {0xb3, 0x26, 0x26},
	mechanism.StandingCleared:  {0x2e, 0x7d, 0x32},
	mechanism.StandingClosed:   {0x75, 0x75, 0x75},
}

func standingColour(s string) [3]int {
	if c, ok := standingColours[s]; ok {
		return c
	}
	return [3]int{0x75, 0x75, 0x75}
}

// hex3 is an RGB colour as CSS writes it, "#1f5fa8".
func hex3(c [3]int) string { return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2]) }

// bar is one bar pair of a chart: this period's count beside the last's.
type bar struct {
	Label      string
	This, Last int64
	// Y is the row's top; ThisW and LastW the bars' widths.
	Y, ThisW, LastW float64
}

// chart is a horizontal bar chart of this period beside the last.
type chart struct {
	W, H, LabelW, BarW float64
	Bars               []bar
	Max                int64
}

// Chart geometry, in SVG units (and millimetres in the PDF, scaled).
const (
	chartW      = 640.0
	chartLabelW = 220.0
	chartRow    = 26.0
	chartBar    = 10.0
	chartTop    = 22.0 // room for the legend
)

// newChart lays out a bar chart of changes.
func newChart(cs []Change) *chart {
	c := &chart{W: chartW, LabelW: chartLabelW, BarW: chartW - chartLabelW - 50}
	for _, x := range cs {
		c.Max = max(c.Max, x.This, x.Last)
	}
	for i, x := range cs {
		b := bar{Label: x.Name, This: x.This, Last: x.Last, Y: chartTop + float64(i)*chartRow}
		if c.Max > 0 {
			b.ThisW = round1(float64(x.This) / float64(c.Max) * c.BarW)
			b.LastW = round1(float64(x.Last) / float64(c.Max) * c.BarW)
		}
		c.Bars = append(c.Bars, b)
	}
	c.H = chartTop + float64(len(cs))*chartRow + 4
	return c
}

// mapWidth is the width of the report's map, in SVG units.
const mapWidth = 640.0

// Map is the report's map of the period's incidents over the border
// region, framed on the rulebook's area.
func (p *Periodic) Map() (*periodMap, error) { return newMap(p.rulebook, p.Incidents, mapWidth) }

// PartyChart is the bar chart of the complaints against each party, this
// period beside the last.
func (p *Periodic) PartyChart() *chart { return newChart(p.ByParty) }

// CategoryChart is the bar chart of the events of each category, this
// period beside the last.
func (p *Periodic) CategoryChart() *chart { return newChart(p.ByCategory) }

// legendItem is a standing on the map's legend, with its colour and
// how many of the map's events have it.
type legendItem struct {
	Standing, Colour string
	Count            int64
}

// Legend is the map's legend: each standing, its colour and count.
func (m *periodMap) Legend() []legendItem {
	var out []legendItem
	for _, s := range mechanism.Standings {
		var n int64
		for _, pt := range m.Points {
			if pt.Class == s {
				n += pt.Count
			}
		}
		out = append(out, legendItem{Standing: s, Colour: hex3(standingColour(s)), Count: n})
	}
	return out
}
