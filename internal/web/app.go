package web

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// The web app's pages share one layout (templates/base/layout.html: the
// landmarks, the navigation, the language menu) and each fills its "main"
// block from a file of its own under templates/pages/. Every interface
// string comes from the catalogue (locale.go), in the reader's language.

// appPages are the page templates by file name, each parsed with the
// layout.
var appPages = mustAppPages()

var appFuncs = template.FuncMap{
	"asset": assetURL,
}

func mustAppPages() map[string]*template.Template {
	layout := template.Must(template.New("layout.html").Funcs(appFuncs).ParseFS(templates, "templates/base/layout.html"))
	files, err := fs.Glob(templates, "templates/pages/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		t := template.Must(layout.Clone())
		out[path.Base(f)] = template.Must(t.ParseFS(templates, f))
	}
	return out
}

// Page is what every page's template gets: the layout's fields and the
// page's own Data.
type Page struct {
	L         *Locale
	Title     string // the page's title, already in the reader's language
	Nav       string // the navigation item the page is under
	Mechanism *mechanism.Rulebook
	Path      string           // the request's path, for the language menu
	Langs     []LanguageChoice // the language menu
	Data      any
	// SignedIn is the reader's session, if any.
	SignedIn *signedIn
}

// LanguageChoice is an entry of the language menu.
type LanguageChoice struct {
	Language
	URL     string
	Current bool
}

// contentSecurityPolicy is every page's: scripts, styles, images and
// connections from this server only, no inline script, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// locale is the request's locale, in the language chosen for it.
func (s *Server) locale(w http.ResponseWriter, r *http.Request) *Locale {
	var zones []*time.Location
	if rb := s.log.Rulebook(); rb != nil {
		zones = rb.Locations()
	}
	return newLocale(chooseLanguage(w, r, s.secure(r)), zones)
}

// render writes the page of file name (templates/pages/name) in the
// reader's language; title is the catalogue id of the page's title, nav
// the navigation item it belongs to.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name, title, nav string, data any) error {
	return s.renderTitled(w, r, name, func(l *Locale) string { return l.T(title) }, nav, data)
}

// renderTitled is render for a page whose title title makes in the
// reader's language, such as one that names its subject.
func (s *Server) renderTitled(w http.ResponseWriter, r *http.Request, name string, title func(*Locale) string, nav string, data any) error {
	t, ok := appPages[name]
	if !ok {
		return &Error{Status: http.StatusInternalServerError, Code: statement.CodeInternal, Msg: "internal error"}
	}
	l := s.locale(w, r)
	p := &Page{L: l, Title: title(l), Nav: nav, Mechanism: s.log.Rulebook(), Path: r.URL.Path, Data: data, SignedIn: s.signedIn(r)}
	for _, x := range Languages {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("lang", x.Code)
		p.Langs = append(p.Langs, LanguageChoice{x, r.URL.Path + "?" + q.Encode(), x.Code == l.Code})
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", l.Code)
	h.Set("Vary", "Cookie, Accept-Language")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", s.csp())
	h.Set("Referrer-Policy", "same-origin")
	if strings.EqualFold(r.Header.Get("HX-Request"), "true") {
		h.Add("Vary", "HX-Request")
	}
	_, err := w.Write(b.Bytes())
	return err
}
