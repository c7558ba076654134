package web

import (
	"embed"
	"html/template"
	"net/http"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

//go:embed templates
var templates embed.FS

var pages = template.Must(template.ParseFS(templates, "templates/*.html"))

// recentEntries is how many statements the front page lists.
const recentEntries = 25

type indexEntry struct {
	Index            int64
	Kind, Author, At string
	Local            []string
}

type zone struct {
	Name string
	loc  *time.Location
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) error {
	rb := s.log.Rulebook()
	cp := s.log.Checkpoint()
	if rb == nil || cp == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: statement.CodeShutdown, Msg: "the log is empty"}
	}
	var zones []zone
	for _, loc := range rb.Locations() {
		zones = append(zones, zone{loc.String(), loc})
	}
	var entries []indexEntry
	from := max(cp.N-recentEntries, 0)
	err := s.log.Entries(r.Context(), from, cp.N, func(idx int64, data []byte) error {
		e := indexEntry{Index: idx, Kind: "?", Author: "?"}
		if st, err := statement.Parse(data); err == nil {
			e.Kind, e.Author, e.At = st.Kind, st.Author, st.Time.Format("2006-01-02 15:04")
			for _, z := range zones {
				e.Local = append(e.Local, st.Time.In(z.loc).Format("2006-01-02 15:04"))
			}
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return err
	}
	for i, j := 0, len(entries)-1; i < j; i, j = i+1, j-1 {
		entries[i], entries[j] = entries[j], entries[i]
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	data := struct {
		Rulebook    *mechanism.Rulebook
		Origin, Key string
		Size        int64
		Root        string
		BaseURL     string
		Zones       []zone
		Entries     []indexEntry
	}{rb, s.log.Origin(), s.log.VerifierKey(), cp.N, cp.Hash.String(), scheme + "://" + r.Host, zones, entries}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	return pages.ExecuteTemplate(w, "index.html", data)
}
