package report

import (
	"cmp"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// Statements reads the time of a statement: store.DB is one.
type Statements interface {
	// Statement returns the statements row of the entry at idx, or
	// store.ErrNotFound.
	Statement(ctx context.Context, idx int64) (store.Row, error)
}

// FeedEntries is the most entries of each kind the feed holds: the
// newest published findings and the newest reports.
const FeedEntries = 100

// AtomNS is the namespace of Atom 1.0 (RFC 4287).
const AtomNS = "http://www.w3.org/2005/Atom"

// AtomFeed is an Atom 1.0 feed (RFC 4287), as the feed writes it.
type AtomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   AtomText    `xml:"title"`
	Updated string      `xml:"updated"`
	Author  AtomPerson  `xml:"author"`
	Links   []AtomLink  `xml:"link"`
	Entries []AtomEntry `xml:"entry"`
}

// AtomEntry is an entry of the feed: a published finding or a report.
type AtomEntry struct {
	ID         string         `xml:"id"`
	Title      AtomText       `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published,omitempty"`
	Links      []AtomLink     `xml:"link"`
	Categories []AtomCategory `xml:"category"`
	Summary    AtomText       `xml:"summary"`
	Content    *AtomText      `xml:"content,omitempty"`
}

// AtomText is a text construct, always of type text: its characters are
// escaped as XML, never read as markup.
type AtomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

// AtomPerson is the feed's author.
type AtomPerson struct {
	Name string `xml:"name"`
}

// AtomLink is a link of the feed or an entry.
type AtomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

// AtomCategory is an entry's category: its kind, its outcome.
type AtomCategory struct {
	Term string `xml:"term,attr"`
}

func plain(s string) AtomText { return AtomText{Type: "text", Text: s} }

// tagID is the tag URI (RFC 4151) of the mechanism's things: the log
// origin's host, the date of its rulebook, its id, then what: "finding/46".
func (e *Exporter) tagID(created time.Time, what string) string {
	host, _, _ := strings.Cut(e.Rulebook.LogOrigin, "/")
	return "tag:" + host + "," + created.UTC().Format("2006-01-02") + ":" + e.Rulebook.ID + "/" + what
}

// Atom writes the feed of the newest published findings (a case's finding
// once the case reached the rulebook's last stage, rulebook.Published) and
// the newest reports (publication statements), newest first, at most
// FeedEntries of each. An entry's id is a tag URI of its statement's log
// index, and never changes; its updated time is its statement's, or for
// a finding the time its case was published.
func (e *Exporter) Atom(ctx context.Context, w io.Writer, st Statements) error {
	at := func(idx int64) (time.Time, error) {
		r, err := st.Statement(ctx, idx)
		if err != nil {
			return time.Time{}, fmt.Errorf("couldn't read statement %d: %w", idx, err)
		}
		s, _ := r["at"].(string)
		return statement.ParseTime(s)
	}
	created, err := at(0)
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(e.Base, "/")
	feed := AtomFeed{
		ID:     e.tagID(created, "feed"),
		Title:  plain(e.Rulebook.Title + ": findings and reports"),
		Author: AtomPerson{Name: e.Rulebook.Title},
		Links: []AtomLink{
			{Rel: "self", Type: "application/atom+xml", Href: base + "/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: base + "/"},
		},
	}
	var updated []time.Time
	add := func(t time.Time, en AtomEntry) {
		en.Updated = statement.FormatTime(t)
		feed.Entries = append(feed.Entries, en)
		updated = append(updated, t)
	}

	var published []*caseRec
	f := store.Filter{Limit: FeedEntries}
	f.Where("stage", e.Rulebook.Published())
	if err := e.Source.Each(ctx, "cases", f, func(r store.Row) error {
		c, err := e.record(r)
		published = append(published, c)
		return err
	}); err != nil {
		return err
	}
	for _, c := range published {
		fi, ok := c.int("finding")
		if !ok {
			continue // published without a finding
		}
		var finding store.Row
		ff := store.Filter{Limit: 1}
		ff.Where("case", strconv.FormatInt(c.id(), 10))
		if err := e.Source.Each(ctx, "findings", ff, func(r store.Row) error { finding = r; return nil }); err != nil {
			return err
		}
		if idx, _ := finding["idx"].(int64); finding == nil || idx != fi {
			continue // its finding is not public
		}
		filed, err := at(fi)
		if err != nil {
			return err
		}
		when := filed
		if si, ok := c.int("stage_idx"); ok {
			if when, err = at(si); err != nil {
				return err
			}
		}
		outcome, _ := finding["outcome"].(string)
		party, _ := finding["party"].(string)
		confidence, _ := finding["confidence"].(string)
		rationale, _ := finding["rationale"].(string)
		says := outcome
		if party != "" {
			says += " to " + e.bodyName(party)
		}
		add(when, AtomEntry{
			ID:        e.tagID(created, "finding/"+strconv.FormatInt(fi, 10)),
			Title:     plain(fmt.Sprintf("Case %d: finding %s (%s confidence)", c.id(), says, confidence)),
			Published: statement.FormatTime(filed),
			Links: []AtomLink{
				{Rel: "alternate", Type: "text/html", Href: e.caseURL(c.id())},
				{Rel: "related", Type: "application/json", Href: base + "/api/v1/statements/" + strconv.FormatInt(fi, 10)},
			},
			Categories: []AtomCategory{{Term: "finding"}, {Term: outcome}},
			Summary:    plain(c.str("summary")),
			Content:    &AtomText{Type: "text", Text: rationale},
		})
	}

	err = e.Source.Each(ctx, "publications", store.Filter{Limit: FeedEntries}, func(r store.Row) error {
		idx, _ := r["idx"].(int64)
		t, err := at(idx)
		if err != nil {
			return err
		}
		str := func(k string) string { s, _ := r[k].(string); return s }
		links := []AtomLink{{Rel: "related", Type: "application/json", Href: base + "/api/v1/statements/" + strconv.FormatInt(idx, 10)}}
		if u := str("url"); strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
			links = append([]AtomLink{{Rel: "alternate", Href: u}}, links...)
		}
		size, _ := r["size"].(int64)
		add(t, AtomEntry{
			ID:         e.tagID(created, "publication/"+strconv.FormatInt(idx, 10)),
			Title:      plain(str("title")),
			Published:  statement.FormatTime(t),
			Links:      links,
			Categories: []AtomCategory{{Term: "report"}},
			Summary: plain(fmt.Sprintf("Report for %s to %s, %d bytes, SHA-256 %s: the publication statement at log index %d.",
				str("period_from"), str("period_to"), size, str("sha256"), idx)),
		})
		return nil
	})
	if err != nil {
		return err
	}
	order := make([]int, len(feed.Entries))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(updated[b].Compare(updated[a]), strings.Compare(feed.Entries[a].ID, feed.Entries[b].ID))
	})
	entries := make([]AtomEntry, len(order))
	newest := created
	for i, j := range order {
		entries[i] = feed.Entries[j]
		if updated[j].After(newest) {
			newest = updated[j]
		}
	}
	feed.Entries = entries
	feed.Updated = statement.FormatTime(newest)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(feed); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}
