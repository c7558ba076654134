package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/report"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// reportsKept is how many periodic reports made at a stated log size the
// server keeps, so that asking again does not replay the log again.
const reportsKept = 64

// reportBusyWait is how long a request for a report at a stated size
// waits while another such report is being made, before it is answered
// 503 with Retry-After.
const reportBusyWait = ViewsWait

// periodicReport serves a periodic report, /reports/daily/2025-11-12.html
// (or .pdf, or .json for its figures). Without a size, it is made from
// the views at the log size they hold; with ?size=N, from the log's first
// N statements (N at most the log's size), replayed apart from the live
// views unless those hold exactly N: the same N gives the same bytes,
// whenever asked, whose SHA-256 a publication statement records. Either
// states its log size, which the header X-Log-Size repeats.
func (s *Server) periodicReport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for k, vs := range q {
		if k != "at_least" && k != "size" || len(vs) != 1 {
			return badRequest("a report takes no parameters but size and at_least, each once")
		}
	}
	a, err := report.ParseFile(r.PathValue("period"), r.PathValue("file"))
	if err != nil {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: err.Error()}
	}
	rb := s.log.Rulebook()
	if rb == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "the log is empty"}
	}
	if _, _, err := report.Periods(rb, a.Kind, a.Date); err != nil {
		return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: err.Error()}
	}
	var out report.Rendering
	if q.Has("size") {
		if a.Size, err = report.ParseSize(q.Get("size")); err != nil {
			return badRequest("%s", err)
		}
		if n := s.log.Checkpoint().N; a.Size > n {
			return &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound,
				Msg: fmt.Sprintf("size: the log holds %d statements; there is no report at size %d yet", n, a.Size)}
		}
		out, err = s.reportAt(r.Context(), a)
	} else {
		var ps []*report.Periodic
		if ps, err = s.makeReports(r.Context(), rb, []report.Request{{Kind: a.Kind, Date: a.Date}}); err == nil {
			out, err = ps[0].Rendering(a.Format)
		}
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", out.ContentType)
	h.Set("Cache-Control", "no-cache")
	if a.Format == "html" {
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	}
	h.Set("X-Log-Size", strconv.FormatInt(out.LogSize, 10))
	h.Set("X-Period-From", statement.FormatTime(out.From))
	h.Set("X-Period-To", statement.FormatTime(out.To))
	_, err = w.Write(out.Bytes)
	return err
}

// KeepPublished keeps the published reports on shelf: a report at a size
// that a publication records is served from there once made, after a
// restart too, rather than made again by a replay.
func (s *Server) KeepPublished(shelf *report.Shelf) { s.shelf = shelf }

// reportAt returns the report a, in a.Format, at its size a.Size: from
// the shelf of published reports if it is there, or else made (periodicAt)
// and then put on the shelf if a publication records it.
func (s *Server) reportAt(ctx context.Context, a report.Address) (report.Rendering, error) {
	if s.shelf != nil {
		out, ok, err := s.shelf.Get(a)
		if err != nil {
			s.logger.Error("a published report is made again", "report", a.String(), "err", err)
		}
		if ok {
			return out, nil
		}
	}
	p, err := s.periodicAt(ctx, a)
	if err != nil {
		return report.Rendering{}, err
	}
	out, err := p.Rendering(a.Format)
	if err != nil || s.shelf == nil {
		return out, err
	}
	if idx, ok, err := s.publishedAs(ctx, p, a.Format, out.Bytes); err != nil {
		s.logger.Error("couldn't look for the publications of a report", "report", a.String(), "err", err)
	} else if ok {
		s.shelve(p, a, idx)
	}
	return out, nil
}

// shelve puts p, the report a that publication idx records, on the shelf,
// and logs it, or why it couldn't.
func (s *Server) shelve(p *report.Periodic, a report.Address, idx int64) {
	if err := s.shelf.Put(p); err != nil {
		s.logger.Error("couldn't keep a published report", "report", a.String(), "publication", idx, "err", err)
		return
	}
	s.logger.Info("kept a published report", "report", a.String(), "publication", idx)
}

// shelveAccepted keeps on the shelf the report that msg, a statement the
// log has just accepted at index idx, publishes, if msg is a publication
// and the server holds that report in memory (as it does when the
// mediator fetched it with sulh report just before): so that a restart
// before anyone asks for it again costs no replay. Otherwise the report
// is kept when it is next served (reportAt).
func (s *Server) shelveAccepted(msg []byte, idx int64) {
	// Every statement filed comes here: one that does not name the kind
	// is not parsed again (a publication that spells its kind with
	// escapes is kept when next served instead).
	if s.shelf == nil || !bytes.Contains(msg, []byte(`"`+mechanism.KindPublication+`"`)) {
		return
	}
	st, err := statement.Parse(msg)
	if err != nil || st.Kind != mechanism.KindPublication {
		return
	}
	var pub mechanism.Publication
	if err := st.Decode(&pub); err != nil {
		return
	}
	_, a, err := report.ParseURL(pub.URL)
	if err != nil || s.shelf.Has(a) {
		return
	}
	p, ok := s.reports.Cached(a)
	if !ok {
		return
	}
	b, _, err := p.Render(a.Format)
	if err == nil && sha256Hex(b) == pub.SHA256 {
		s.shelve(p, a, idx)
	}
}

// errFound ends a walk through a list early.
var errFound = errors.New("found")

// publishedAs returns the index of a publication in the views that
// records p at its own address: a url whose path names p's kind, date and
// log size (whatever its host: the name the mediators published under),
// and whose sha256 is that of p rendered in the url's format. b is p
// rendered in format. A publication of the address whose sha256 is not
// p's is the publication's mistake, or a release's that renders reports
// otherwise: it keeps nothing.
func (s *Server) publishedAs(ctx context.Context, p *report.Periodic, format string, b []byte) (idx int64, ok bool, err error) {
	sums := map[string]string{format: sha256Hex(b)}
	err = s.views.Each(ctx, "publications", store.Filter{}, func(r store.Row) error {
		u, _ := r["url"].(string)
		_, pa, err := report.ParseURL(u)
		if err != nil || pa.Kind != p.Kind || pa.Date != p.Date || pa.Size != p.LogSize {
			return nil
		}
		sum, done := sums[pa.Format]
		if !done {
			b, _, err := p.Render(pa.Format)
			if err != nil {
				return err
			}
			sum = sha256Hex(b)
			sums[pa.Format] = sum
		}
		if r["sha256"] == sum {
			idx, _ = r["idx"].(int64)
			return errFound
		}
		return nil
	})
	if errors.Is(err, errFound) {
		return idx, true, nil
	}
	return 0, false, err
}

// sha256Hex is the SHA-256 of b in lower-case hex.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// periodicAt returns the report a at its size a.Size: one the server keeps,
// or one made from the live views if they hold exactly a.Size entries
// and the rulebook stayed the same meanwhile, or else one made by
// replaying the log's first a.Size entries, one replay at a time.
func (s *Server) periodicAt(ctx context.Context, a report.Address) (*report.Periodic, error) {
	if p, ok := s.reports.Cached(a); ok {
		return p, nil
	}
	if s.log.Checkpoint().N == a.Size && s.log.ViewsAt() == a.Size {
		// The date's other kinds are made in the same pass and kept:
		// who asks for one report at a size (an audit, a publisher)
		// asks for the others next.
		rb := s.log.Rulebook()
		ps, err := s.makeReports(ctx, rb, report.EveryKind(a.Kind, a.Date))
		if err != nil {
			return nil, err
		}
		if ps[0].LogSize == a.Size && s.log.Rulebook() == rb && s.log.Checkpoint().N == a.Size {
			s.reports.KeepAll(ps)
			return ps[0], nil
		}
		// The log grew meanwhile: replay it to a.Size.
	}
	p, err := s.reports.Make(ctx, a, reportBusyWait)
	if errors.Is(err, report.ErrBusy) {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, RetryAfter: 5,
			Msg: "another report is being made from an earlier log size; try again in a moment", Err: err}
	}
	return p, err
}

// makeReports makes the periodic reports of reqs, in one pass, with the
// places of the gazetteer and of the log, which give the region and the
// point on the map of an event whose report names a place by its id
// alone. The log's places are those the views held when the gazetteer
// was read: if the views added one while the reports were made, they are
// made again, so that a report of a log size places its events as every
// report of that size does.
func (s *Server) makeReports(ctx context.Context, rb *mechanism.Rulebook, reqs []report.Request) ([]*report.Periodic, error) {
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
		ps, err := report.MakeAll(ctx, s.views, rb, reqs, o)
		if err != nil {
			return nil, err
		}
		if again, _, err := s.gazetteer(ctx); err != nil || again == g {
			return ps, err
		}
	}
	return nil, fmt.Errorf("couldn't make the report: the log's places changed each of 3 times it was made")
}
