package gazetteer_test

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/sulh-project/sulh/internal/gazetteer"
)

// TestDocNumbers holds docs/gazetteer.md's counts to the embedded
// gazetteer: the places it holds, and the GeoNames rows of each country.
func TestDocNumbers(t *testing.T) {
	b, err := os.ReadFile("../../docs/gazetteer.md")
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	number := func(re string, i int) int {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("docs/gazetteer.md no longer says %q", re)
		}
		n, _ := strconv.Atoi(m[i])
		return n
	}
	g, err := gazetteer.Load()
	if err != nil {
		t.Fatal(err)
	}
	geonames := map[string]int{}
	g.All(func(p *gazetteer.Place) {
		if p.Source == gazetteer.SourceGeoNames {
			geonames[p.Country()]++
		}
	})
	for _, c := range []struct {
		re   string
		i    int
		want int
	}{
		{`holds (\d+) places`, 1, g.Len()},
		{`Indexing the (\d+) places`, 1, g.Len()},
		{`(\d+) GeoNames places of Pakistan \((\d+)\) and Afghanistan \((\d+)\)`, 1, geonames["PK"] + geonames["AF"]},
		{`(\d+) GeoNames places of Pakistan \((\d+)\) and Afghanistan \((\d+)\)`, 2, geonames["PK"]},
		{`(\d+) GeoNames places of Pakistan \((\d+)\) and Afghanistan \((\d+)\)`, 3, geonames["AF"]},
	} {
		if got := number(c.re, c.i); got != c.want {
			t.Errorf("docs/gazetteer.md says %d where it matches %q (part %d); the gazetteer has %d", got, c.re, c.i, c.want)
		}
	}
}
