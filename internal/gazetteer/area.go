package gazetteer

import "math"

// Area is the region a mechanism watches: every point within WithinKm of a
// line, such as a border, or of one point, a centre. Searches rank the
// places in it first (see SearchOptions).
type Area struct {
	// Line is the line's points in order, each [latitude, longitude] in
	// degrees WGS 84.
	Line [][2]float64
	// WithinKm is how far from the line the area reaches.
	WithinKm float64
}

// earthRadiusKm is the mean radius of the Earth.
const earthRadiusKm = 6371.0088

// DistanceKm is how far a point is from the area's line, in kilometres:
// from its nearest segment, or from its only point. Each segment is
// measured in a plane tangent to the Earth at the point (an
// equirectangular projection), which is within a few per cent over the
// hundreds of kilometres that matter here.
func (a *Area) DistanceKm(lat, lon float64) float64 {
	if len(a.Line) == 0 {
		return math.Inf(1)
	}
	rad := math.Pi / 180
	kx := math.Cos(lat*rad) * earthRadiusKm * rad // km per degree of longitude at the point
	ky := earthRadiusKm * rad                     // km per degree of latitude
	xy := func(p [2]float64) (float64, float64) {
		dlon := p[1] - lon
		// The shorter way round, across the antimeridian.
		if dlon > 180 {
			dlon -= 360
		} else if dlon < -180 {
			dlon += 360
		}
		return dlon * kx, (p[0] - lat) * ky
	}
	ax, ay := xy(a.Line[0])
	best := math.Hypot(ax, ay)
	for _, p := range a.Line[1:] {
		bx, by := xy(p)
		// The nearest point of the segment (ax, ay)–(bx, by) to the origin.
		dx, dy := bx-ax, by-ay
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = min(max(-(ax*dx+ay*dy)/l2, 0), 1)
		}
		best = min(best, math.Hypot(ax+t*dx, ay+t*dy))
		ax, ay = bx, by
	}
	return best
}

// Contains reports whether a point lies within the area.
func (a *Area) Contains(lat, lon float64) bool { return a.DistanceKm(lat, lon) <= a.WithinKm }

// How a place outside the area ranks: it loses up to areaPenalty of its
// score, in proportion to how far outside it lies, all of it from areaFade
// kilometres outside on; never so much that it falls below the scores of
// its kind of match (kindFloor).
const (
	areaPenalty = 0.2
	areaFade    = 300.0
)

// kindFloor is the least a match of each kind scores once it has lost
// points for lying outside the area: above the best score of the kind
// below it, so that the area reorders matches of one kind, never kinds.
var kindFloor = map[MatchKind]float64{
	MatchExact:  0.95, // aliases score 0.9
	MatchAlias:  0.85, // prefixes score at most 0.84
	MatchPrefix: 0.625,
	MatchFuzzy:  0, // fuzzy matches score at most 0.62
}

// outsidePenalty is what a match of a place km kilometres outside the area
// loses.
func outsidePenalty(km float64) float64 {
	if km <= 0 {
		return 0
	}
	return areaPenalty * min(km/areaFade, 1)
}
