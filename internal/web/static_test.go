package web

import (
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestVendoredLibraries holds static/vendor/README.md to the folders: each
// folder listed is there with a licence file, and each folder there is
// listed.
func TestVendoredLibraries(t *testing.T) {
	readme, err := fs.ReadFile(staticFS, "static/vendor/README.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\| ([a-z.\-]+-[0-9.]+) \|`).FindAllStringSubmatch(string(readme), -1) {
		listed[m[1]] = true
	}
	dirs, err := fs.ReadDir(staticFS, "static/vendor")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		seen++
		if !listed[d.Name()] {
			t.Errorf("static/vendor/%s is not listed in static/vendor/README.md", d.Name())
		}
		delete(listed, d.Name())
		files, _ := fs.ReadDir(staticFS, "static/vendor/"+d.Name())
		licence := false
		for _, f := range files {
			licence = licence || strings.Contains(strings.ToUpper(f.Name()), "LICEN")
		}
		if !licence {
			t.Errorf("static/vendor/%s has no licence file", d.Name())
		}
	}
	for d := range listed {
		t.Errorf("static/vendor/README.md lists %s, which is not there", d)
	}
	if seen == 0 {
		t.Fatal("no vendored libraries")
	}
}

// TestStaticAssets: a file is served with its checksum ETag and answers
// 304 to it; the versioned address is cached for good and any other is
// revalidated; text is gzipped for a client that takes it and not for one
// that does not; an unknown or climbing path is a 404.
func TestStaticAssets(t *testing.T) {
	s := &Server{}
	get := func(target string, h map[string]string) *http.Response {
		r := httptest.NewRequest("GET", target, nil)
		r.SetPathValue("path", strings.SplitN(strings.TrimPrefix(target, "/static/"), "?", 2)[0])
		for k, v := range h {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		if err := s.static(w, r); err != nil {
			w.Code = toError(err).Status
		}
		return w.Result()
	}
	url := assetURL("app.css")
	a := assets["app.css"]
	res := get(url, nil)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || string(body) != string(a.data) || res.Header.Get("ETag") != a.etag ||
		!strings.Contains(res.Header.Get("Cache-Control"), "immutable") || res.Header.Get("Content-Type") != "text/css; charset=utf-8" {
		t.Fatalf("versioned: %d %v", res.StatusCode, res.Header)
	}
	if res := get("/static/app.css", nil); res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("unversioned: Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	if res := get("/static/app.css?v=stale", nil); res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("stale version: Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	if res := get(url, map[string]string{"If-None-Match": `"x", ` + a.etag}); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", res.StatusCode)
	}
	res = get(url, map[string]string{"Accept-Encoding": "br, gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip not used: %v", res.Header)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != string(a.data) {
		t.Error("gzipped body differs")
	}
	if res := get(url, map[string]string{"Accept-Encoding": "gzip;q=0"}); res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent to a client that refused it")
	}
	png := get(assetURL("vendor/leaflet-1.9.4/images/marker-icon.png"), map[string]string{"Accept-Encoding": "gzip"})
	if png.Header.Get("Content-Encoding") != "" || png.Header.Get("Content-Type") != "image/png" {
		t.Errorf("png: %v", png.Header)
	}
	for _, p := range []string{"/static/nope.css", "/static/../page.go", "/static/vendor", "/static/"} {
		if res := get(p, nil); res.StatusCode != 404 {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
}
