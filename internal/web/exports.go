package web

import (
	"net/http"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/report"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// exporter returns the exports of the mechanism, with links to this
// server as the request reached it.
func (s *Server) exporter(r *http.Request) (*report.Exporter, error) {
	rb := s.log.Rulebook()
	if rb == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "the log is empty"}
	}
	e := &report.Exporter{Source: s.views, Rulebook: rb, Base: s.origin(r)}
	if g, _, err := s.gazetteer(r.Context()); err == nil {
		e.Place = func(id string) (mechanism.AdminUnit, bool) {
			p, ok := g.Place(id)
			if !ok || len(p.Admin) == 0 {
				return mechanism.AdminUnit{}, false
			}
			a := p.Admin[0]
			return mechanism.AdminUnit{Country: a.Country, Admin1: a.Admin1, Admin2: a.Admin2}, true
		}
	}
	return e, nil
}

// exportFilter is the filter of an export of the cases: the case list's
// parameters, checked as the list checks them (an unknown one is a 400),
// and every case they select unless limit is given.
func (s *Server) exportFilter(r *http.Request) (store.Filter, error) {
	l, _ := store.ListNamed("cases")
	f, err := filter(r.URL.Query(), l, s.log.Rulebook())
	if err != nil {
		return f, err
	}
	if !r.URL.Query().Has("limit") {
		f.Limit = 0
	}
	return f, nil
}

// exportCases serves the public cases that the case list's filters
// select, written by write as they are read, with the content type ctype
// and the file name name.
func (s *Server) exportCases(ctype, name string, write func(*report.Exporter) func(*http.Request, http.ResponseWriter, store.Filter) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := s.exportFilter(r)
		if err != nil {
			return err
		}
		e, err := s.exporter(r)
		if err != nil {
			return err
		}
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
		h.Set("Cache-Control", "no-store")
		return write(e)(r, w, f)
	}
}

func casesCSV(e *report.Exporter) func(*http.Request, http.ResponseWriter, store.Filter) error {
	return func(r *http.Request, w http.ResponseWriter, f store.Filter) error {
		return e.CasesCSV(r.Context(), w, f)
	}
}

func casesGeoJSON(e *report.Exporter) func(*http.Request, http.ResponseWriter, store.Filter) error {
	return func(r *http.Request, w http.ResponseWriter, f store.Filter) error {
		return e.CasesGeoJSON(r.Context(), w, f)
	}
}

func acledCSV(e *report.Exporter) func(*http.Request, http.ResponseWriter, store.Filter) error {
	return func(r *http.Request, w http.ResponseWriter, f store.Filter) error { return e.ACLED(r.Context(), w, f) }
}

// feed serves the Atom feed of published findings and reports.
func (s *Server) feed(w http.ResponseWriter, r *http.Request) error {
	if len(r.URL.Query()) > 0 && !(len(r.URL.Query()) == 1 && r.URL.Query().Has("at_least")) {
		return badRequest("the feed takes no parameters but at_least")
	}
	e, err := s.exporter(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	return e.Atom(r.Context(), w, s.views)
}
