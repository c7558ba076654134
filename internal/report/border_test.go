package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

var updateBorder = flag.Bool("update-border", false, "write data/border.txt again from the vendored world-atlas")

// worldAtlas is the map page's basemap, which data/border.txt is made from.
const worldAtlas = "../web/static/vendor/world-atlas-2.0.2/countries-50m.json"

// borderBox is the box data/border.txt keeps: the region the report's
// map frames (mapBox of the default rulebook, or defaultBox), with room.
var borderBox = box{S: 26, W: 58, N: 40, E: 78}

// TestBorderData makes data/border.txt again from the vendored
// world-atlas (the countries, clipped to borderBox, simplified to about
// 2 km and rounded to 0.01°) and checks that the embedded file is that;
// with -update-border it writes it.
func TestBorderData(t *testing.T) {
	raw, err := os.ReadFile(worldAtlas)
	if err != nil {
		t.Fatal(err)
	}
	var topo struct {
		Transform struct{ Scale, Translate [2]float64 }
		Arcs      [][][2]float64
		Objects   struct {
			Countries struct {
				Geometries []struct {
					Type       string
					Arcs       json.RawMessage
					Properties struct{ Name string }
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &topo); err != nil {
		t.Fatal(err)
	}
	// The arcs, delta-decoded and placed.
	arcs := make([][][2]float64, len(topo.Arcs))
	for i, a := range topo.Arcs {
		var x, y float64
		for _, d := range a {
			x, y = x+d[0], y+d[1]
			arcs[i] = append(arcs[i], [2]float64{x*topo.Transform.Scale[0] + topo.Transform.Translate[0], y*topo.Transform.Scale[1] + topo.Transform.Translate[1]})
		}
	}
	ringOf := func(ids []int) [][2]float64 {
		var pts [][2]float64
		for _, id := range ids {
			a := arcs[max(id, ^id)]
			if id < 0 {
				a = slices.Clone(a)
				slices.Reverse(a)
			}
			if len(pts) > 0 {
				a = a[1:]
			}
			pts = append(pts, a...)
		}
		return pts
	}
	var lines []string
	for _, g := range topo.Objects.Countries.Geometries {
		var polys [][][]int
		switch g.Type {
		case "Polygon":
			var p [][]int
			if err := json.Unmarshal(g.Arcs, &p); err != nil {
				t.Fatal(err)
			}
			polys = [][][]int{p}
		case "MultiPolygon":
			if err := json.Unmarshal(g.Arcs, &polys); err != nil {
				t.Fatal(err)
			}
		default:
			continue
		}
		for _, p := range polys {
			// The outer ring alone: the region's countries have no holes
			// that matter at this scale.
			pts := clip(ringOf(p[0]), borderBox)
			pts = simplify(pts, 0.02)
			var b strings.Builder
			var last [2]float64
			n := 0
			for i, q := range pts {
				q = [2]float64{math.Round(q[0]*100) / 100, math.Round(q[1]*100) / 100}
				if i > 0 && q == last {
					continue
				}
				last = q
				b.WriteString(" " + num(q[0]) + "," + num(q[1]))
				n++
			}
			if n >= 4 {
				lines = append(lines, g.Properties.Name+"\t"+strings.TrimPrefix(b.String(), " "))
			}
		}
	}
	slices.Sort(lines)
	want := []byte(strings.Join(lines, "\n") + "\n")
	if *updateBorder {
		if err := os.WriteFile("data/border.txt", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(borderTxt, want) {
		t.Errorf("data/border.txt is not what the vendored world-atlas gives; run go test -run TestBorderData -update-border")
	}
	rings, err := readRings(borderTxt)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, r := range rings {
		names[r.Country] = true
	}
	for _, c := range []string{"Afghanistan", "Pakistan", "Iran"} {
		if !names[c] {
			t.Errorf("the border has no %s", c)
		}
	}
	t.Logf("%d rings, %d bytes", len(rings), len(borderTxt))
}

// clip clips a closed ring of lon, lat to b (Sutherland–Hodgman).
func clip(pts [][2]float64, b box) [][2]float64 {
	type edge struct {
		in  func(p [2]float64) bool
		cut func(p, q [2]float64) [2]float64
	}
	atX := func(x float64) func(p, q [2]float64) [2]float64 {
		return func(p, q [2]float64) [2]float64 {
			return [2]float64{x, p[1] + (q[1]-p[1])*(x-p[0])/(q[0]-p[0])}
		}
	}
	atY := func(y float64) func(p, q [2]float64) [2]float64 {
		return func(p, q [2]float64) [2]float64 {
			return [2]float64{p[0] + (q[0]-p[0])*(y-p[1])/(q[1]-p[1]), y}
		}
	}
	for _, e := range []edge{
		{func(p [2]float64) bool { return p[0] >= b.W }, atX(b.W)},
		{func(p [2]float64) bool { return p[0] <= b.E }, atX(b.E)},
		{func(p [2]float64) bool { return p[1] >= b.S }, atY(b.S)},
		{func(p [2]float64) bool { return p[1] <= b.N }, atY(b.N)},
	} {
		var out [][2]float64
		for i, q := range pts {
			p := pts[(i+len(pts)-1)%len(pts)]
			switch {
			case e.in(q) && !e.in(p):
				out = append(out, e.cut(p, q), q)
			case e.in(q):
				out = append(out, q)
			case e.in(p):
				out = append(out, e.cut(p, q))
			}
		}
		pts = out
		if len(pts) == 0 {
			return nil
		}
	}
	return pts
}

// simplify drops the points of a line nearer than tol to the line
// between those kept (Douglas–Peucker).
func simplify(pts [][2]float64, tol float64) [][2]float64 {
	if len(pts) < 3 {
		return pts
	}
	keep := make([]bool, len(pts))
	keep[0], keep[len(pts)-1] = true, true
	var walk func(i, j int)
	walk = func(i, j int) {
		a, b := pts[i], pts[j]
		far, at := 0.0, -1
		for k := i + 1; k < j; k++ {
			if d := distance(pts[k], a, b); d > far {
				far, at = d, k
			}
		}
		if at >= 0 && far > tol {
			keep[at] = true
			walk(i, at)
			walk(at, j)
		}
	}
	walk(0, len(pts)-1)
	var out [][2]float64
	for i, p := range pts {
		if keep[i] {
			out = append(out, p)
		}
	}
	return out
}

// distance is p's distance from the segment a–b, in degrees.
func distance(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l := dx*dx + dy*dy
	t := 0.0
	if l > 0 {
		t = max(0, min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l))
	}
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}
