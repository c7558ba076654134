package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sulh-project/sulh/internal/blob"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// pageReader is the body whose member reads a page, "" for the public.
// Pages show what the public may see: this is the one place where a
// signed-in member's body would widen that (the evidence a sealed
// statement registered, for the bodies it is visible to), once the
// browser has a session. Until then every reader is the public.
func (s *Server) pageReader(r *http.Request) string {
	return ""
}

// when is a moment as a page shows it: as precisely as it is known, and,
// where its hour is known, in UTC and each of the rulebook's zones.
type when struct {
	L     *Locale
	Known bool
	Exact bool
	// Text is a moment known only to the day, week or month, as known.
	Text  string
	Zoned []ZonedTime
	// RFC3339 is the moment for <time datetime>.
	RFC3339 string
}

// whenOf reads v, a time as the views write it, known at precision
// ("exact" when empty), in l's language.
func whenOf(l *Locale, v any, precision string) when {
	t, err := statement.ParseTime(stringOf(v))
	if err != nil {
		return when{L: l}
	}
	w := when{L: l, Known: true, RFC3339: statement.FormatTime(t)}
	switch precision {
	case "day":
		w.Text = l.Date(t)
		w.RFC3339 = t.UTC().Format("2006-01-02")
	case "week":
		w.Text = l.T("cases.week_of", "Date", l.Date(t))
		w.RFC3339 = t.UTC().Format("2006-01-02")
	case "month":
		w.Text = l.T("cases.month_year", "Month", l.T(fmt.Sprintf("month.%d", t.UTC().Month())), "Year", l.digits(strconv.Itoa(t.UTC().Year())))
		w.RFC3339 = t.UTC().Format("2006-01")
	default:
		w.Exact = true
		w.Zoned = l.Zoned(t)
	}
	return w
}

// in is the moment in the i-th zone of l.Zoned (0 is UTC): its date and
// clock, or, for a moment whose hour is not known, its text in UTC and
// "hour not reported" elsewhere.
func (w when) in(l *Locale, i int) string {
	switch {
	case !w.Known:
		return ""
	case w.Exact && i < len(w.Zoned):
		return w.Zoned[i].Date + ", " + w.Zoned[i].Clock
	case i == 0:
		return w.Text
	}
	return l.T("cases.hour_unknown")
}

// sideRow is a row of the side-by-side table of a case and its linked
// cases: what it shows, its value for each case, and whether the accounts
// differ on it.
type sideRow struct {
	Label   string
	Cells   []string
	Differs bool
}

// figureRow is a row of the table of figures by side: a measure (of
// whom), and each body's figures for it.
type figureRow struct {
	Label   string
	Cells   []string
	Differs bool
}

// timelineEntry is a statement about a case, as its page shows it.
type timelineEntry struct {
	Index              int64
	Kind, Author, Body string
	Text, Language     string
	More               string // the statement's text beside its summary
	Event, Filed       when
}

// actorSaid is what one actor said about a case.
type actorSaid struct {
	Actor, Type string
	Names       []actorName
	Claims      []actorClaim
}

// actorName is an actor's name in one language.
type actorName struct{ Lang, Name string }

type actorClaim struct {
	Index                                  int64
	Position, Words, Language, Translation string
	Speaker, Via, Medium, URL, Body        string
	Said                                   when
}

// evidenceItem is an evidence file of a case as its page shows it.
type evidenceItem struct {
	SHA256, Name, MediaType, Collector, Tool, SourceURL, Verified string
	Size                                                          int64
	Index                                                         int64
	Captured                                                      when
	// Thumbnail is the URL of its thumbnail, when the reader may have it
	// and one can be made; File the URL of the file when the reader may
	// have it.
	Thumbnail, File string
}

type verificationItem struct {
	Index                                                   int64
	SHA256, Analyst, Source, Technical, Content, Result, By string
	Date                                                    when
}

type deadlineItem struct {
	Name, Status, Stage string
	Bodies              []string
	Due                 when
	Overdue             bool
}

type findingItem struct {
	Index                                int64
	Outcome, Party, Confidence, Rational string
	Endorsed                             bool
}

// stageStep is a stage of the rulebook, as the case's progress shows it.
type stageStep struct {
	ID, Name string
	Current  bool
	Done     bool
}

// casePage is what the page of a case shows.
type casePage struct {
	ID                 int64
	Summary, Language  string
	DuplicateOf        any
	Status, Stage      string
	Stages             []stageStep
	Zones              []string // the side table's time rows: UTC, then each zone
	Cases              []int64  // the table's columns: the case, then its linked cases
	Side               []sideRow
	Bodies             []string // the columns of the figures by side
	Figures            []figureRow
	Timeline           []timelineEntry
	Actors             []actorSaid
	Evidence           []evidenceItem
	Verifications      []verificationItem
	Deadlines          []deadlineItem
	Findings           []findingItem
	AnyDiffers         bool
	AnyFigureDiffers   bool
	EvidenceKept       bool
	PublicEvidenceOnly bool
}

// casePageHandler serves the page of a case: its stage, the two sides'
// accounts side by side (the case and its linked cases, and the figures
// each body gave) with what differs marked, its history as a timeline in
// the order of events, what actors said, its evidence, verifications,
// findings and deadlines.
func (s *Server) casePageHandler(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	c, err := s.caseRow(ctx, id)
	if err != nil {
		return err
	}
	l := s.locale(w, r)
	p := casePage{ID: id, Summary: stringOf(c["summary"]), DuplicateOf: c["duplicate_of"], Status: stringOf(c["status"]),
		Stage: stringOf(c["stage"]), EvidenceKept: s.evidence != nil}
	if rb := s.log.Rulebook(); rb != nil {
		done := true
		for _, st := range rb.Stages {
			cur := st.ID == p.Stage
			if cur {
				done = false
			}
			p.Stages = append(p.Stages, stageStep{ID: st.ID, Name: st.Name, Current: cur, Done: done && !cur})
		}
	}
	p.Zones = l.ZoneNames()
	s.sideBySide(l, c, &p)
	s.figuresBySide(l, c, &p)

	history, _ := c["history"].([]store.Row)
	for _, h := range history {
		e := timelineEntry{Index: h["index"].(int64), Kind: stringOf(h["kind"]), Author: stringOf(h["author"]), Body: stringOf(h["body"]),
			Event: whenOf(l, h["event_at"], stringOf(h["event_precision"])), Filed: whenOf(l, h["at"], "exact")}
		if raw, ok := h["statement"].(json.RawMessage); ok {
			var f map[string]any
			if json.Unmarshal(raw, &f) == nil {
				for _, k := range []string{"summary", "text", "words", "rationale", "reason", "note"} {
					if v, ok := f[k].(string); ok && v != "" {
						if e.Text == "" {
							e.Text = v
						} else {
							e.More = v
							break
						}
					}
				}
				e.Language, _ = f["language"].(string)
				if e.Index == id {
					p.Language = e.Language
				}
			}
		}
		p.Timeline = append(p.Timeline, e)
	}

	actors, _ := c["actor_claims"].([]store.Row)
	for _, a := range actors {
		as := actorSaid{Actor: stringOf(a["actor"]), Type: stringOf(a["type"])}
		if raw, ok := a["names"].(json.RawMessage); ok {
			var names map[string]string // the registry's: a name by language
			if json.Unmarshal(raw, &names) == nil {
				for _, lang := range slices.Sorted(maps.Keys(names)) {
					as.Names = append(as.Names, actorName{Lang: lang, Name: names[lang]})
				}
			}
		}
		claims, _ := a["claims"].([]store.Row)
		for _, cl := range claims {
			idx, _ := cl["idx"].(int64)
			as.Claims = append(as.Claims, actorClaim{Index: idx, Position: stringOf(cl["position"]), Words: stringOf(cl["words"]),
				Language: stringOf(cl["language"]), Translation: stringOf(cl["translation"]), Speaker: stringOf(cl["speaker"]),
				Via: stringOf(cl["via"]), Medium: stringOf(cl["medium"]), URL: stringOf(cl["url"]), Body: stringOf(cl["body"]),
				Said: whenOf(l, cl["said_at"], stringOf(cl["said_precision"]))})
		}
		p.Actors = append(p.Actors, as)
	}

	reader := s.pageReader(r)
	evidence, _ := c["evidence"].([]store.Row)
	for _, e := range evidence {
		it := evidenceItem{SHA256: stringOf(e["sha256"]), Name: stringOf(e["name"]), MediaType: stringOf(e["media_type"]),
			Collector: stringOf(e["collector"]), Tool: stringOf(e["tool"]), SourceURL: stringOf(e["source_url"]), Verified: stringOf(e["verified"]),
			Captured: whenOf(l, e["captured_at"], "exact")}
		it.Size, _ = e["size"].(int64)
		it.Index, _ = e["idx"].(int64)
		may, err := s.mayHaveEvidence(ctx, reader, it.SHA256)
		if err != nil {
			return err
		}
		if may && s.evidence != nil && s.evidence.Has(it.SHA256) {
			it.File = "/api/v1/evidence/" + it.SHA256 + "/file"
			if blob.Thumbnailable(it.MediaType) {
				it.Thumbnail = "/api/v1/evidence/" + it.SHA256 + "/thumbnail"
			}
		}
		p.Evidence = append(p.Evidence, it)
	}
	verifications, _ := c["verifications"].([]store.Row)
	for _, v := range verifications {
		idx, _ := v["idx"].(int64)
		p.Verifications = append(p.Verifications, verificationItem{Index: idx, SHA256: stringOf(v["sha256"]), Analyst: stringOf(v["analyst"]),
			Source: stringOf(v["source"]), Technical: stringOf(v["technical"]), Content: stringOf(v["content"]), Result: stringOf(v["result"]),
			By: stringOf(v["body"]), Date: whenOf(l, v["date"], "exact")})
	}
	deadlines, _ := c["deadlines"].([]store.Row)
	for _, d := range deadlines {
		it := deadlineItem{Name: stringOf(d["name"]), Status: stringOf(d["status"]), Stage: stringOf(d["stage"]), Due: whenOf(l, d["due"], "exact")}
		it.Overdue, _ = d["overdue"].(bool) // markOverdue: mechanism.Overdue
		if raw, ok := d["bodies"].(json.RawMessage); ok {
			json.Unmarshal(raw, &it.Bodies)
		}
		p.Deadlines = append(p.Deadlines, it)
	}
	findings, _ := c["findings"].([]store.Row)
	for _, f := range findings {
		idx, _ := f["idx"].(int64)
		p.Findings = append(p.Findings, findingItem{Index: idx, Outcome: stringOf(f["outcome"]), Party: stringOf(f["party"]),
			Confidence: stringOf(f["confidence"]), Rational: stringOf(f["rationale"]), Endorsed: f["endorsed"] != nil})
	}
	return s.renderTitled(w, r, "case.html", func(l *Locale) string { return l.T("cases.case_n", "ID", id) }, "cases", p)
}

// mayHaveEvidence reports whether members of body reader ("" for the
// public) may have an evidence file: the rule that evidenceAccess applies
// to the file itself, so that a page never shows a thumbnail its reader
// would be refused.
func (s *Server) mayHaveEvidence(ctx context.Context, reader, hash string) (bool, error) {
	reg, err := s.views.FirstRegistration(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !reg.Sealed || mechanism.MayRead(reader, reg.Body, reg.Visibility, reg.Disclosed), nil
}

// sideBySide fills the table of the case and its linked cases, one column
// each, marking the rows on which the accounts differ.
func (s *Server) sideBySide(l *Locale, c store.Row, p *casePage) {
	cols := []store.Row{c}
	relations := []string{l.T("cases.this_case")}
	linked, _ := c["linked"].([]store.Row)
	for _, lk := range linked {
		lc, _ := lk["case"].(store.Row)
		cols = append(cols, lc)
		rel := stringOf(lk["relation"])
		if st, ok := lk["stands"].(int64); ok {
			rel += " " + l.T("cases.stands", "ID", st)
		}
		relations = append(relations, rel+", "+l.T("cases.link_n", "Index", lk["link"].(int64))+": "+stringOf(lk["text"]))
	}
	for _, col := range cols {
		p.Cases = append(p.Cases, col["id"].(int64))
	}
	row := func(label string, compare bool, f func(store.Row) string) {
		sr := sideRow{Label: label}
		for _, col := range cols {
			sr.Cells = append(sr.Cells, f(col))
		}
		if compare && len(cols) > 1 {
			for _, x := range sr.Cells[1:] {
				if x != sr.Cells[0] {
					sr.Differs = true
				}
			}
		}
		p.AnyDiffers = p.AnyDiffers || sr.Differs
		p.Side = append(p.Side, sr)
	}
	p.Side = append(p.Side, sideRow{Label: l.T("cases.side.link"), Cells: relations})
	row(l.T("cases.side.summary"), false, func(r store.Row) string { return stringOf(r["summary"]) })
	row(l.T("cases.side.reporter"), false, func(r store.Row) string { return stringOf(r["reporter"]) })
	row(l.T("cases.side.accused"), true, func(r store.Row) string { return stringOf(r["accused"]) })
	row(l.T("cases.side.event"), true, func(r store.Row) string {
		return stringOf(r["event_type"]) + " / " + stringOf(r["sub_event_type"])
	})
	row(l.T("cases.side.categories"), true, func(r store.Row) string {
		var cs []string
		if raw, ok := r["categories"].(json.RawMessage); ok {
			json.Unmarshal(raw, &cs)
		}
		return strings.Join(cs, ", ")
	})
	for i, z := range p.Zones {
		row(l.T("cases.side.when", "Zone", z), true, func(r store.Row) string {
			return whenOf(l, r["event_at"], stringOf(r["event_precision"])).in(l, i)
		})
	}
	row(l.T("cases.side.place"), true, func(r store.Row) string {
		s := stringOf(r["place_name"])
		if lat, ok := r["lat"].(float64); ok {
			s += " (" + strconv.FormatFloat(lat, 'f', -1, 64) + ", " + strconv.FormatFloat(r["lon"].(float64), 'f', -1, 64) + ")"
		}
		return s
	})
	for _, m := range mechanism.Measures {
		id := "cases.measure." + m
		row(l.T(id), true, func(r store.Row) string { return figures(l, r, m) })
	}
	row(l.T("cases.side.stage"), false, func(r store.Row) string { return stringOf(r["stage"]) })
	row(l.T("cases.side.reports"), false, func(r store.Row) string { return l.N(r["report_count"].(int64)) })
	row(l.T("cases.side.duplicate_of"), false, func(r store.Row) string {
		if d, ok := r["duplicate_of"].(int64); ok {
			return l.T("cases.counted_instead", "ID", d)
		}
		return ""
	})
}

// figures says each claim of a case's row on measure: who claims it, of
// whom (a party's forces, an armed group's or a country's civilians, under
// rules 3), and its best figure with its range where the claim gives one.
func figures(l *Locale, r store.Row, measure string) string {
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
		out += l.T("cases.figure_by", "Body", stringOf(c["body"]), "Kind", stringOf(c["kind"]), "Index", strconv.FormatInt(c["idx"].(int64), 10)) +
			": " + figure(l, c)
	}
	return out
}

// figure is one claim's best figure, its range where it gives one, and
// whose dead or injured it counts.
func figure(l *Locale, c store.Row) string {
	out := l.N(c["best"].(int64))
	if low, ok := c["low"].(int64); ok {
		if high, ok := c["high"].(int64); ok {
			out += " (" + l.N(low) + "–" + l.N(high) + ")"
		}
	}
	for _, whose := range []string{"party", "actor", "country"} {
		if w := stringOf(c[whose]); w != "" {
			out += ", " + l.T("cases.of", "Whose", w)
		}
	}
	return out
}

// figuresBySide fills the table of figures by the body that gave them,
// from the case's claims and its linked cases': one column per body, one
// row per measure and whose dead or injured it counts, marking the rows
// where two bodies give different figures.
func (s *Server) figuresBySide(l *Locale, c store.Row, p *casePage) {
	type key struct{ measure, whose string }
	cells := map[key]map[string][]string{}
	var keys []key
	add := func(caseID int64, claims []store.Row) {
		for i := len(claims) - 1; i >= 0; i-- { // newest first
			cl := claims[i]
			body := stringOf(cl["body"])
			k := key{measure: stringOf(cl["measure"])}
			for _, w := range []string{"party", "actor", "country"} {
				if v := stringOf(cl[w]); v != "" {
					k.whose = v
				}
			}
			if cells[k] == nil {
				cells[k] = map[string][]string{}
				keys = append(keys, k)
			}
			if !slices.Contains(p.Bodies, body) {
				p.Bodies = append(p.Bodies, body)
			}
			best := l.N(cl["best"].(int64))
			if low, ok := cl["low"].(int64); ok {
				if high, ok := cl["high"].(int64); ok {
					best += " (" + l.N(low) + "–" + l.N(high) + ")"
				}
			}
			cells[k][body] = append(cells[k][body], best+" · "+l.T("cases.figure_source", "Kind", stringOf(cl["kind"]),
				"Index", strconv.FormatInt(cl["idx"].(int64), 10), "Case", strconv.FormatInt(caseID, 10)))
		}
	}
	claims, _ := c["claims"].([]store.Row)
	add(c["id"].(int64), claims)
	linked, _ := c["linked"].([]store.Row)
	for _, lk := range linked {
		lc, _ := lk["case"].(store.Row)
		lcl, _ := lc["claims"].([]store.Row)
		add(lc["id"].(int64), lcl)
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		return strings.Compare(a.measure+"\x00"+a.whose, b.measure+"\x00"+b.whose)
	})
	for _, k := range keys {
		id := "cases.measure." + k.measure
		label := l.T(id)
		if k.whose != "" {
			label += ", " + l.T("cases.of", "Whose", k.whose)
		}
		fr := figureRow{Label: label}
		var given []string
		for _, b := range p.Bodies {
			v := cells[k][b]
			fr.Cells = append(fr.Cells, strings.Join(v, "; "))
			if len(v) > 0 {
				// Compare the latest figure of each body, before its source.
				latest, _, _ := strings.Cut(v[len(v)-1], " · ")
				given = append(given, latest)
			}
		}
		for _, g := range given[min(1, len(given)):] {
			if g != given[0] {
				fr.Differs = true
			}
		}
		p.AnyFigureDiffers = p.AnyFigureDiffers || fr.Differs
		p.Figures = append(p.Figures, fr)
	}
}
