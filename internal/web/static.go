package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// staticFS holds the pages' own scripts and styles and the browser
// libraries they use, vendored with their licences under static/vendor/
// (static/vendor/README.md lists them), so that no reader's browser fetches
// anything from elsewhere.
//
//go:embed static
var staticFS embed.FS

// asset is one static file as served: its bytes, gzipped where that helps,
// and its checksum ETag.
type asset struct {
	data, gz    []byte
	etag, ctype string
}

// assets are the static files by their path under static/, read once.
var assets = mustAssets()

func mustAssets() map[string]*asset {
	out := map[string]*asset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		a := &asset{data: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: mime.TypeByExtension(path.Ext(p))}
		if a.ctype == "" {
			a.ctype = "application/octet-stream"
		}
		if compressible(a.ctype) {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			zw.Write(data)
			zw.Close()
			if b.Len() < len(data) {
				a.gz = b.Bytes()
			}
		}
		out[strings.TrimPrefix(p, "static/")] = a
		return nil
	})
	if err != nil {
		panic(err)
	}
	return out
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/javascript", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

// assetURL is the address of a static file, versioned by its checksum so
// that it can be cached for good. Templates call it as {{asset "app.css"}}.
// A name that is not a static file panics when the template runs: a test
// renders every page.
func assetURL(name string) string {
	a, ok := assets[name]
	if !ok {
		panic("web: no static file " + name)
	}
	return "/static/" + name + "?v=" + strings.Trim(a.etag, `"`)
}

// static serves a file of staticFS with its checksum ETag. An address that
// carries the file's current version (assetURL) is cached for a year; any
// other is revalidated.
func (s *Server) static(w http.ResponseWriter, r *http.Request) error {
	a, ok := assets[r.PathValue("path")]
	if !ok {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Msg: "no such file"}
	}
	h := w.Header()
	h.Set("ETag", a.etag)
	h.Set("Content-Type", a.ctype)
	h.Set("Vary", "Accept-Encoding")
	if v := r.URL.Query().Get("v"); v != "" && `"`+v+`"` == a.etag {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	body := a.data
	if a.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := w.Write(body)
	return err
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, e := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		e, q, _ := strings.Cut(strings.TrimSpace(e), ";")
		if strings.EqualFold(e, "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
