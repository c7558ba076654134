package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// caseRow is case id as the API gives it: its row, its history in the
// order of events with each statement's log index, its claims, findings,
// penalties, evidence, verifications and deadlines, and the cases linked
// to it, each with its own times, place, figures and stage.
func (s *Server) caseRow(ctx context.Context, id int64) (store.Row, error) {
	db := s.views
	c, err := db.Case(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "there is no case " + strconv.FormatInt(id, 10)}
	}
	if err != nil {
		return nil, err
	}
	history, err := db.History(ctx, id)
	if err != nil {
		return nil, err
	}
	inEventOrder(history)
	c["history"] = history
	ids := strconv.FormatInt(id, 10)
	for _, v := range []string{"claims", "findings", "penalties", "evidence", "verifications"} {
		if c[v], err = rows(ctx, db, v, match("case", ids)); err != nil {
			return nil, err
		}
	}
	deadlines, err := rows(ctx, db, "deadlines", match("subject", ids))
	if err != nil {
		return nil, err
	}
	markOverdue(deadlines, time.Now())
	c["deadlines"] = deadlines
	linked, err := s.linked(ctx, id)
	if err != nil {
		return nil, err
	}
	c["linked"] = linked
	if c["replies"], err = rows(ctx, db, "replies", match("case", ids)); err != nil {
		return nil, err
	}
	said, err := db.ActorClaims(ctx, id, "")
	if err != nil {
		return nil, err
	}
	zones := s.zones()
	addLocalTimes(said, zones)
	c["actor_claims"] = byActor(said)
	addLocalTimes([]store.Row{c}, zones)
	s.resolvePlaces(ctx, []store.Row{c})
	for _, v := range []string{"history", "claims", "findings", "penalties", "evidence", "verifications", "deadlines", "replies"} {
		if rows, ok := c[v].([]store.Row); ok {
			addLocalTimes(rows, zones)
		}
	}
	return c, nil
}

// inEventOrder puts a case's history, oldest entry first, in the order of
// the events its statements tell of (mechanism.When), by log index where
// they tie, and gives each its index and its statement's JSON.
func inEventOrder(history []store.Row) {
	type key struct {
		at  time.Time
		idx int64
	}
	keys := make(map[int64]key, len(history))
	for _, h := range history {
		idx, _ := h["idx"].(int64)
		data, _ := h["data"].(string)
		delete(h, "data")
		at, _ := statement.ParseTime(stringOf(h["at"]))
		when, precision := at, "exact"
		if st, err := statement.Parse([]byte(data)); err == nil {
			h["statement"] = json.RawMessage(st.JSON)
			when, precision = mechanism.When(st.Kind, st.JSON, at)
		}
		h["index"] = idx
		delete(h, "idx")
		h["event_at"], h["event_precision"] = statement.FormatTime(when), precision
		keys[idx] = key{when, idx}
	}
	slices.SortStableFunc(history, func(a, b store.Row) int {
		ka, kb := keys[a["index"].(int64)], keys[b["index"].(int64)]
		return cmp.Or(ka.at.Compare(kb.at), cmp.Compare(ka.idx, kb.idx))
	})
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

// linked lists the links of case id that stand, oldest first, each with
// the case it links to as the API gives a case in a list, with that case's
// claims.
func (s *Server) linked(ctx context.Context, id int64) ([]store.Row, error) {
	ls, err := rows(ctx, s.views, "links", match("case", strconv.FormatInt(id, 10)))
	if err != nil {
		return nil, err
	}
	out := []store.Row{}
	for i := len(ls) - 1; i >= 0; i-- { // the list is newest first
		l := ls[i]
		if l["unlinked"] != nil {
			continue
		}
		other, _ := l["other"].(int64)
		if other == id {
			other, _ = l["case_id"].(int64)
		}
		c, err := s.views.Case(ctx, other)
		if err != nil {
			return nil, err
		}
		if c["claims"], err = rows(ctx, s.views, "claims", match("case", strconv.FormatInt(other, 10))); err != nil {
			return nil, err
		}
		s.resolvePlaces(ctx, []store.Row{c})
		addLocalTimes([]store.Row{c}, s.zones())
		out = append(out, store.Row{"link": l["idx"], "relation": l["relation"], "stands": l["stands"], "body": l["body"],
			"author": l["author"], "text": l["text"], "case": c})
	}
	return out, nil
}

// counts serves, for every body that reported a case or is accused in
// one, its cases, each event once (store.Counts).
func (s *Server) counts(w http.ResponseWriter, r *http.Request) error {
	if len(r.URL.Query()) > 0 && !(len(r.URL.Query()) == 1 && r.URL.Query().Has("at_least")) {
		return badRequest("counts takes no parameters but at_least")
	}
	c, err := s.views.Counts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": c})
	return nil
}

// sideRow is a row of the side-by-side table of a case and its linked
// cases: what it shows, and its value for each case.
type sideRow struct {
	Label string
	Cells []string
}

// historyEntry is a statement about a case, as its page lists it.
type historyEntry struct {
	Index              int64
	Kind, Author, Body string
	When               shownTime
	Filed              string
}

// casePage is what the page of a case shows.
type casePage struct {
	Title       string
	ID          int64
	Summary     string
	DuplicateOf any
	Zones       []string
	// Cases are the case and its linked cases' ids, in the order of the
	// table's columns; Side its rows.
	Cases   []int64
	Side    []sideRow
	History []historyEntry
}

// casePageHandler serves the page of a case: it and its linked cases side
// by side, with their times in every zone where the hour is known, and
// its history in the order of events.
func (s *Server) casePageHandler(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	c, err := s.caseRow(r.Context(), id)
	if err != nil {
		return err
	}
	zones := s.zones()
	p := casePage{ID: id, Summary: stringOf(c["summary"]), DuplicateOf: c["duplicate_of"]}
	if rb := s.log.Rulebook(); rb != nil {
		p.Title = rb.Title
	}
	for _, z := range zones {
		p.Zones = append(p.Zones, z.String())
	}
	cols := []store.Row{c}
	relations := []string{"this case"}
	linked, _ := c["linked"].([]store.Row)
	for _, l := range linked {
		lc, _ := l["case"].(store.Row)
		cols = append(cols, lc)
		rel := stringOf(l["relation"])
		if st, ok := l["stands"].(int64); ok {
			rel += " (case " + strconv.FormatInt(st, 10) + " stands)"
		}
		relations = append(relations, rel+", link "+strconv.FormatInt(l["link"].(int64), 10)+": "+stringOf(l["text"]))
	}
	row := func(label string, f func(store.Row) string) {
		sr := sideRow{Label: label}
		for _, col := range cols {
			sr.Cells = append(sr.Cells, f(col))
		}
		p.Side = append(p.Side, sr)
	}
	for _, col := range cols {
		p.Cases = append(p.Cases, col["id"].(int64))
	}
	p.Side = append(p.Side, sideRow{Label: "Link", Cells: relations})
	row("Summary", func(r store.Row) string { return stringOf(r["summary"]) })
	row("Reported by", func(r store.Row) string { return stringOf(r["reporter"]) })
	row("Accused", func(r store.Row) string { return stringOf(r["accused"]) })
	row("Event", func(r store.Row) string { return stringOf(r["event_type"]) + " / " + stringOf(r["sub_event_type"]) })
	when := func(r store.Row) shownTime {
		t, _ := statement.ParseTime(stringOf(r["event_at"]))
		return showIn(t, stringOf(r["event_precision"]), zones)
	}
	row("When (UTC)", func(r store.Row) string { return when(r).Shown })
	for i, z := range p.Zones {
		row("When ("+z+")", func(r store.Row) string {
			if l := when(r).Local; i < len(l) {
				return l[i]
			}
			return "hour not reported"
		})
	}
	row("Place", func(r store.Row) string {
		s := stringOf(r["place_name"])
		if lat, ok := r["lat"].(float64); ok {
			s += " (" + strconv.FormatFloat(lat, 'f', -1, 64) + ", " + strconv.FormatFloat(r["lon"].(float64), 'f', -1, 64) + ")"
		}
		return s
	})
	for _, m := range mechanism.Measures {
		row(m, func(r store.Row) string { return figures(r, m) })
	}
	row("Stage", func(r store.Row) string { return stringOf(r["stage"]) })
	row("Reports", func(r store.Row) string { return strconv.FormatInt(r["report_count"].(int64), 10) })
	row("Duplicate of", func(r store.Row) string {
		if d, ok := r["duplicate_of"].(int64); ok {
			return "case " + strconv.FormatInt(d, 10) + ", which is counted instead"
		}
		return ""
	})
	history, _ := c["history"].([]store.Row)
	for _, h := range history {
		t, _ := statement.ParseTime(stringOf(h["event_at"]))
		filed, _ := statement.ParseTime(stringOf(h["at"]))
		p.History = append(p.History, historyEntry{Index: h["index"].(int64), Kind: stringOf(h["kind"]), Author: stringOf(h["author"]),
			Body: stringOf(h["body"]), When: showIn(t, stringOf(h["event_precision"]), zones), Filed: showTime(filed, "exact")})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	return pages.ExecuteTemplate(w, "case.html", p)
}

// figures says each claim of a case's row on measure: who claims it, of
// whom (a party's forces, an armed group's or a country's civilians, under
// rules 3), and its best figure with its range where the claim gives one.
func figures(r store.Row, measure string) string {
	claims, _ := r["claims"].([]store.Row)
	var out string
	for i := len(claims) - 1; i >= 0; i-- { // the list is newest first
		c := claims[i]
		if stringOf(c["measure"]) != measure {
			continue
		}
		if out != "" {
			out += "; "
		}
		out += stringOf(c["body"]) + " (" + stringOf(c["kind"]) + " " + strconv.FormatInt(c["idx"].(int64), 10) + "): " +
			strconv.FormatInt(c["best"].(int64), 10)
		if low, ok := c["low"].(int64); ok {
			if high, ok := c["high"].(int64); ok {
				out += " (" + strconv.FormatInt(low, 10) + "–" + strconv.FormatInt(high, 10) + ")"
			}
		}
		for _, whose := range []string{"party", "actor", "country"} {
			if w := stringOf(c[whose]); w != "" {
				out += ", of " + w
			}
		}
	}
	return out
}
