package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/report"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// The published record, for anyone and without an account: the findings
// of the cases that reached the rulebook's stage of publication
// (mechanism.Rulebook.Published), each with the log index that proves it;
// the publication statements that fix the periodic reports' hashes; and
// the public counts.

// publishedPage is how many findings a page of the published record shows.
const publishedPage = 25

// publishedFinding is one published finding as the page shows it.
type publishedFinding struct {
	Index, Case           int64
	Outcome, Party        string
	Confidence, Rationale string
	Clauses               []string
	Signers               []mechanism.Signer
	Endorsed              *int64
	Summary, Place        string
	Reporter, Accused     string
	PublishedAt           int64 // the index of the statement that published the case
	RulebookVersion       int64
}

type publication struct {
	Index              int64
	Title, SHA256, URL string
	Size               int64
	From, To           time.Time
}

// published is the public record's page; ?before=N pages the findings
// back from index N.
func (s *Server) published(w http.ResponseWriter, r *http.Request) error {
	rb := s.log.Rulebook()
	if rb == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "the log is empty"}
	}
	var before int64
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return badRequest("before must be a log index of at least 1, such as the next link gives")
		}
		before = n
	}
	page, err := s.views.PublishedFindings(r.Context(), rb, before, publishedPage)
	if err != nil {
		return err
	}
	var findings []publishedFinding
	for _, row := range page.Rows {
		f := publishedFinding{
			Index: int64Of(row["idx"]), Case: int64Of(row["case_id"]),
			Outcome: stringOf(row["outcome"]), Party: stringOf(row["party"]), Confidence: stringOf(row["confidence"]),
			Rationale: stringOf(row["rationale"]), Summary: stringOf(row["summary"]), Place: stringOf(row["place_name"]),
			Reporter: stringOf(row["reporter"]), Accused: stringOf(row["accused"]), PublishedAt: int64Of(row["stage_idx"]),
			RulebookVersion: int64Of(row["rulebook_version"]),
		}
		if e, ok := row["endorsed"].(int64); ok {
			f.Endorsed = &e
		}
		for _, c := range []struct {
			col string
			v   any
		}{{"clauses", &f.Clauses}, {"signers", &f.Signers}} {
			if raw, ok := row[c.col].(json.RawMessage); ok {
				if err := json.Unmarshal(raw, c.v); err != nil {
					return err
				}
			}
		}
		findings = append(findings, f)
	}
	pubs, err := s.views.List(r.Context(), "publications", store.Filter{Limit: 100})
	if err != nil {
		return err
	}
	var publications []publication
	for _, row := range pubs.Rows {
		publications = append(publications, publication{
			Index: int64Of(row["idx"]), Title: stringOf(row["title"]), SHA256: stringOf(row["sha256"]), URL: stringOf(row["url"]),
			Size: int64Of(row["size"]), From: timeOf(row["period_from"]), To: timeOf(row["period_to"]),
		})
	}
	counts, err := s.views.Counts(r.Context())
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, b := range rb.Bodies {
		names[b.ID] = b.Name
	}
	// The latest reports: of the period that holds the log's time.
	var latest string
	if at, err := s.views.LogTime(r.Context()); err == nil && !at.IsZero() {
		latest = report.DateOf(rb, at)
	}
	data := struct {
		Findings     []publishedFinding
		Next         int64
		Paged        bool
		Publications []publication
		Latest       string // the date of the latest reports, or ""
		Counts       []store.Counts
		Names        map[string]string
	}{findings, page.Next, before != 0, publications, latest, counts, names}
	return s.render(w, r, "published.html", "published.title", "published", data)
}

func int64Of(v any) int64 {
	n, _ := v.(int64)
	return n
}

// timeOf is a view's RFC 3339 time, or the zero time.
func timeOf(v any) time.Time {
	t, _ := time.Parse(time.RFC3339, stringOf(v))
	return t
}

// reportsIndex sends /reports/ to the published record's reports: the
// publications, and the latest reports of each period.
func (s *Server) reportsIndex(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/published#reports", http.StatusSeeOther)
	return nil
}
