package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// caseListRow is a case as the list of cases shows it.
type caseListRow struct {
	ID                          int64
	Summary, Reporter, Accused  string
	Stage, Status, Place        string
	Categories                  []string
	Event                       when
	Reports, Replies            int64
	DuplicateOf                 any
	Missed                      int64
	EventType, SubEventType     string
	Outcome, FindingParty       string
	HasFinding, EndorsedFinding bool
}

// caseListFilter is the filter form's state: the values the reader chose,
// and the choices each field offers.
type caseListFilter struct {
	Values url.Values
	// The choices of the form's lists, from the rulebook and the mechanism.
	Bodies, Parties, Stages, Categories []string
	Statuses, Claims, EventTypes        []string
	Limits                              []int
}

// Get is the value chosen for a field, "" if none.
func (f caseListFilter) Get(name string) string { return f.Values.Get(name) }

// caseList is what the list of cases shows.
type caseList struct {
	Filter caseListFilter
	Rows   []caseListRow
	// Error says why the filter was refused, in the API's words.
	Error string
	// Next is the URL of the next page, First that of the first, "" when
	// there is none or the list is on it.
	Next, First string
	// Query is the filter as a query string, for the JSON link.
	Query string
}

// pageOnlyParams are the list page's parameters that are not filters of
// the list: the interface's language.
var pageOnlyParams = []string{"lang"}

// casesPage serves the list of cases, filtered as GET /api/v1/cases
// filters it (the same parameters, checked by the same code) and paged
// with its cursor. The filter form is a plain GET form, so that the page
// works without JavaScript and its URL keeps the filters; with htmx, a
// change of filter replaces only the results, and the URL follows.
func (s *Server) casesPage(w http.ResponseWriter, r *http.Request) error {
	l, _ := store.ListNamed("cases")
	rb := s.log.Rulebook()
	// An empty field of the form is no filter; a date of the form's date
	// fields is the day's start in UTC (to: the next day's, as to is
	// exclusive).
	given := url.Values{}
	for name, vs := range r.URL.Query() {
		if contains(pageOnlyParams, name) {
			continue
		}
		for _, v := range vs {
			if v = strings.TrimSpace(v); v != "" {
				given.Add(name, v)
			}
		}
	}
	q := url.Values{}
	for name, vs := range given {
		q[name] = append([]string(nil), vs...)
		if (name == "from" || name == "to") && len(vs) == 1 {
			if d, err := time.Parse("2006-01-02", vs[0]); err == nil {
				if name == "to" {
					d = d.AddDate(0, 0, 1)
				}
				q.Set(name, statement.FormatTime(d))
			}
		}
	}
	data := caseList{Filter: caseListFilter{Values: given, Limits: []int{25, 50, 100}}}
	if rb != nil {
		for _, b := range rb.Bodies {
			data.Filter.Bodies = append(data.Filter.Bodies, b.ID)
			if b.Type == mechanism.BodyParty {
				data.Filter.Parties = append(data.Filter.Parties, b.ID)
			}
		}
		for _, st := range rb.Stages {
			data.Filter.Stages = append(data.Filter.Stages, st.ID)
		}
		for _, c := range rb.Categories {
			data.Filter.Categories = append(data.Filter.Categories, c.ID)
		}
	}
	data.Filter.Statuses = mechanism.CaseStatuses
	data.Filter.Claims = mechanism.ClaimPositions
	for _, t := range mechanism.EventTypes {
		data.Filter.EventTypes = append(data.Filter.EventTypes, t.ID)
	}
	if _, ok := q["limit"]; !ok {
		q.Set("limit", "25")
	}
	data.Query = q.Encode()
	status := http.StatusOK
	f, err := filter(q, l, rb)
	var page store.Page
	if err == nil {
		page, err = s.views.List(r.Context(), l.Name, f)
	}
	if err != nil {
		e := toError(err)
		if e.Status >= 500 {
			return err
		}
		status, data.Error = e.Status, e.Msg
	}
	loc := s.locale(w, r)
	for _, c := range page.Rows {
		data.Rows = append(data.Rows, caseListRowOf(loc, c))
	}
	if page.Next != 0 {
		next := cloneValues(given)
		next.Set("before", strconv.FormatInt(page.Next, 10))
		data.Next = "/cases?" + next.Encode()
	}
	if given.Has("before") {
		first := cloneValues(given)
		first.Del("before")
		data.First = "/cases?" + first.Encode()
	}
	// htmx asks for the results alone, except when it restores a page
	// from history, which needs the whole page.
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true" {
		return s.renderBlock(w, r, "cases.html", "results", status, data)
	}
	return s.render(withStatus(w, status), r, "cases.html", "cases.title", "cases", data)
}

func caseListRowOf(l *Locale, c store.Row) caseListRow {
	row := caseListRow{Summary: stringOf(c["summary"]), Reporter: stringOf(c["reporter"]), Accused: stringOf(c["accused"]),
		Stage: stringOf(c["stage"]), Status: stringOf(c["status"]), Place: stringOf(c["place_name"]), DuplicateOf: c["duplicate_of"],
		EventType: stringOf(c["event_type"]), SubEventType: stringOf(c["sub_event_type"]), Outcome: stringOf(c["outcome"]),
		FindingParty: stringOf(c["party"]), Event: whenOf(l, c["event_at"], stringOf(c["event_precision"]))}
	row.ID, _ = c["id"].(int64)
	row.Reports, _ = c["report_count"].(int64)
	row.Replies, _ = c["reply_count"].(int64)
	row.Missed, _ = c["deadlines_missed"].(int64)
	row.HasFinding = c["finding"] != nil
	row.EndorsedFinding = c["endorsed"] != nil
	if raw, ok := c["categories"].(json.RawMessage); ok {
		json.Unmarshal(raw, &row.Categories) // the view writes a JSON list
	}
	return row
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// withStatus is w, whose answer has status code instead of 200.
func withStatus(w http.ResponseWriter, code int) http.ResponseWriter {
	if code == http.StatusOK {
		return w
	}
	return &codeWriter{ResponseWriter: w, code: code}
}

type codeWriter struct {
	http.ResponseWriter
	code    int
	written bool
}

func (c *codeWriter) WriteHeader(code int) {
	if !c.written {
		c.written = true
		if code == http.StatusOK {
			code = c.code
		}
		c.ResponseWriter.WriteHeader(code)
	}
}

func (c *codeWriter) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return c.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the connection's writer.
func (c *codeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// renderBlock writes one block of a page's template (one that htmx swaps
// in), in the reader's language, with the page's headers.
func (s *Server) renderBlock(w http.ResponseWriter, r *http.Request, name, block string, status int, data any) error {
	t, ok := appPages[name]
	if !ok {
		return &Error{Status: http.StatusInternalServerError, Code: statement.CodeInternal, Msg: "internal error"}
	}
	l := s.locale(w, r)
	p := &Page{L: l, Mechanism: s.log.Rulebook(), Path: r.URL.Path, Data: data}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, block, p); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", l.Code)
	h.Set("Vary", "Cookie, Accept-Language, HX-Request")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", s.csp())
	w.WriteHeader(status)
	_, err := w.Write(b.Bytes())
	return err
}
