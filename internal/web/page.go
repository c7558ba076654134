package web

import (
	"embed"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
)

//go:embed templates
var templates embed.FS

var pages = template.Must(template.ParseFS(templates, "templates/*.html"))
// recentEntries is how many statements the front page lists.
const recentEntries = 25

type indexEntry struct {
	Index        int64
	Kind, Author string
	Time         time.Time
	Known        bool // the entry parsed as a statement
}

// explore is the log's page: where it is, how to check it, and its latest
// statements.
func (s *Server) explore(w http.ResponseWriter, r *http.Request) error {
	cp := s.log.Checkpoint()
	if s.log.Rulebook() == nil || cp == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "the log is empty"}
	}
	var entries []indexEntry
	from := max(cp.N-recentEntries, 0)
	err := s.log.Entries(r.Context(), from, cp.N, func(idx int64, data []byte) error {
		e := indexEntry{Index: idx, Kind: "?", Author: "?"}
		if st, err := statement.Parse(data); err == nil {
			e.Kind, e.Author, e.Time, e.Known = st.Kind, st.Author, st.Time, true
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return err
	}
	slices.Reverse(entries)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	data := struct {
		Origin, Key string
		Size        int64
		Root        string
		BaseURL     string
		Entries     []indexEntry
	}{s.log.Origin(), s.log.VerifierKey(), cp.N, cp.Hash.String(), scheme + "://" + r.Host, entries}
	return s.render(w, r, "explore.html", "explore.title", "explore", data)
}
