package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/report"
	"github.com/sulh-project/sulh/internal/statement"
)

// periodicReport serves a periodic report, /reports/daily/2025-11-12.html
// (or .pdf):
// made from the views at the log size they hold, which it states (and
// the header X-Log-Size repeats), so the same log size gives the same
// bytes, whose SHA-256 a publication statement records.
func (s *Server) periodicReport(w http.ResponseWriter, r *http.Request) error {
	if q := r.URL.Query(); len(q) > 1 || (len(q) == 1 && !q.Has("at_least")) {
		return badRequest("a report takes no parameters but at_least")
	}
	period := r.PathValue("period")
	date, ok := strings.CutSuffix(r.PathValue("file"), ".html")
	pdf := false
	if !ok {
		date, ok = strings.CutSuffix(r.PathValue("file"), ".pdf")
		pdf = ok
	}
	if !ok || (period != report.Daily && period != report.Weekly && period != report.Monthly) {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound,
			Msg: "no such report: the reports are /reports/{daily,weekly,monthly}/YYYY-MM-DD.html (or .pdf)"}
	}
	rb := s.log.Rulebook()
	if rb == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "the log is empty"}
	}
	if _, _, err := report.Periods(rb, period, date); err != nil {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: err.Error()}
	}
	p, err := s.makeReport(r.Context(), rb, period, date)
	if err != nil {
		return err
	}
	render, ctype := p.HTML, "text/html; charset=utf-8"
	if pdf {
		render, ctype = p.PDF, "application/pdf"
	}
	b, err := render()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-cache")
	if !pdf {
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	}
	h.Set("X-Log-Size", strconv.FormatInt(p.LogSize, 10))
	h.Set("X-Period-From", statement.FormatTime(p.From))
	h.Set("X-Period-To", statement.FormatTime(p.To))
	_, err = w.Write(b)
	return err
}

// makeReport makes a periodic report with the places of the gazetteer
// and of the log, which give the region and the point on the map of an
// event whose report names a place by its id alone. The log's places are
// those the views held when the gazetteer was read: if the views added
// one while the report was made, it is made again, so that a report of
// a log size places its events as every report of that size does.
func (s *Server) makeReport(ctx context.Context, rb *mechanism.Rulebook, period, date string) (*report.Periodic, error) {
	for range 3 {
		g, _, err := s.gazetteer(ctx)
		if err != nil {
			return nil, err
		}
		o := report.Options{Place: func(id string) (mechanism.AdminUnit, float64, float64, bool) {
			p, ok := g.Place(id)
			if !ok || len(p.Admin) == 0 {
				return mechanism.AdminUnit{}, 0, 0, false
			}
			a := p.Admin[0]
			return mechanism.AdminUnit{Country: a.Country, Admin1: a.Admin1, Admin2: a.Admin2}, p.Lat, p.Lon, true
		}}
		p, err := report.Make(ctx, s.views, rb, period, date, o)
		if err != nil {
			return nil, err
		}
		if again, _, err := s.gazetteer(ctx); err != nil || again == g {
			return p, err
		}
	}
	return nil, fmt.Errorf("couldn't make the report: the log's places changed each of 3 times it was made")
}
