// Package report makes the mechanism's public outputs from its views:
// the cases as CSV with HXL hashtags and as GeoJSON, an ACLED-format CSV,
// and an Atom feed of published findings and reports. Every output reads
// the views' lists, which hold the public record alone, row by row.
package report

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// Source is what the outputs read: the views' lists, as the public API
// lists them. store.DB is one.
type Source interface {
	// Each calls fn with each row of a list that f selects, newest
	// first, one at a time (store.DB.Each).
	Each(ctx context.Context, list string, f store.Filter, fn func(store.Row) error) error
	// ClaimSides returns every claimant, measure and side of the claims
	// on the cases f selects, and the newest of those cases' ids
	// (store.DB.ClaimSides).
	ClaimSides(ctx context.Context, f store.Filter) ([]store.ClaimSide, int64, error)
}

var _ Source = (*store.DB)(nil)

// Exporter makes the outputs of one mechanism.
type Exporter struct {
	Source   Source
	Rulebook *mechanism.Rulebook
	// Base is the server's base URL, such as https://sulh.example.org,
	// for the links to case pages; empty for links relative to the
	// server.
	Base string
	// Place returns the administrative units of a gazetteer place, when
	// the gazetteer knows it; nil for none.
	Place func(id string) (mechanism.AdminUnit, bool)
}

// claim is one figure of a case's claims, as the claims list gives it.
type claim struct {
	Idx     int64  `json:"idx"`
	Body    string `json:"body"`
	Kind    string `json:"kind"`
	Measure string `json:"measure"`
	Party   string `json:"party"`
	Actor   string `json:"actor"`
	Country string `json:"country"`
	Low     *int64 `json:"low"`
	Best    *int64 `json:"best"`
	High    *int64 `json:"high"`
}

// whose is the side whose dead or injured the figure counts: a party, an
// actor or a country; empty for a figure of rules 1 or 2, which said only
// civilian or combatant.
func (c claim) whose() string {
	switch {
	case c.Party != "":
		return c.Party
	case c.Actor != "":
		return c.Actor
	}
	return c.Country
}

// low is the lowest figure the claim gives: its low, or its best.
func (c claim) low() int64 {
	switch {
	case c.Low != nil:
		return *c.Low
	case c.Best != nil:
		return *c.Best
	}
	return 0
}

// caseRec is a case as the outputs read it: its row, claims and actors.
type caseRec struct {
	row    store.Row
	claims []claim
	actors []string
	admin  mechanism.AdminUnit
	last   map[sideKey]claim // see latest
}

func (e *Exporter) record(r store.Row) (*caseRec, error) {
	c := &caseRec{row: r}
	if raw, ok := r["claims"].(json.RawMessage); ok {
		if err := json.Unmarshal(raw, &c.claims); err != nil {
			return nil, err
		}
	}
	if raw, ok := r["actors"].(json.RawMessage); ok {
		if err := json.Unmarshal(raw, &c.actors); err != nil {
			return nil, err
		}
	}
	// The place's administrative units as the opening report gives
	// them, or else as the gazetteer does.
	c.admin = placeAdmin(store.OpeningAdmin([]byte(c.str("opening"))), c.str("place_id"), e.Place)
	return c, nil
}

// placeAdmin is a case's administrative unit: the one its opening
// report's place gives (own), or else, when that gives none, the one the
// gazetteer (place, nil for none) gives its place's id.
func placeAdmin(own mechanism.AdminUnit, placeID string, place func(string) (mechanism.AdminUnit, bool)) mechanism.AdminUnit {
	if own.Country == "" && placeID != "" && place != nil {
		own, _ = place(placeID)
	}
	return own
}

func (c *caseRec) str(col string) string {
	s, _ := c.row[col].(string)
	return s
}

func (c *caseRec) int(col string) (int64, bool) {
	n, ok := c.row[col].(int64)
	return n, ok
}

func (c *caseRec) float(col string) (float64, bool) {
	switch v := c.row[col].(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	}
	return 0, false
}

func (c *caseRec) id() int64 { n, _ := c.int("id"); return n }

// latest returns, for each claimant body, measure and side, the figure of
// the body's latest statement on the case: its current word.
func (c *caseRec) latest() map[sideKey]claim {
	if c.last == nil {
		c.last = map[sideKey]claim{}
		for _, cl := range c.claims { // oldest first
			c.last[sideKey{cl.Body, cl.Measure, cl.whose()}] = cl
		}
	}
	return c.last
}

// sideKey is one claimant's figure of one measure for one side.
type sideKey struct{ body, measure, whose string }

// figuresText says every figure of every claim on the case, oldest first,
// each with its claimant, its statement and its side, as the case's page
// does: "pakistan (report 15): killed_combatant of afghanistan 200".
func (c *caseRec) figuresText() string {
	var b strings.Builder
	for i, cl := range c.claims {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(cl.Body + " (" + cl.Kind + " " + strconv.FormatInt(cl.Idx, 10) + "): " + cl.Measure)
		if w := cl.whose(); w != "" {
			b.WriteString(" of " + w)
		}
		if cl.Best != nil {
			b.WriteString(" " + strconv.FormatInt(*cl.Best, 10))
		}
		if cl.Low != nil && cl.High != nil && (*cl.Low != *cl.Best || *cl.High != *cl.Best) {
			b.WriteString(" (" + strconv.FormatInt(*cl.Low, 10) + "–" + strconv.FormatInt(*cl.High, 10) + ")")
		}
	}
	return b.String()
}

// caseURL is the link to case id's page.
func (e *Exporter) caseURL(id int64) string {
	return strings.TrimSuffix(e.Base, "/") + "/cases/" + strconv.FormatInt(id, 10)
}

// bodyName is a body's name in the rulebook, or its id.
func (e *Exporter) bodyName(id string) string {
	if e.Rulebook != nil {
		if b, ok := e.Rulebook.Body(id); ok && b.Name != "" {
			return b.Name
		}
	}
	return id
}

// bodyOrder orders bodies as the rulebook lists them, unknown ones last.
func (e *Exporter) bodyOrder(id string) int {
	if e.Rulebook != nil {
		if i := slices.IndexFunc(e.Rulebook.Bodies, func(b mechanism.Body) bool { return b.ID == id }); i >= 0 {
			return i
		}
	}
	return 1 << 20
}

// formulaStart are the characters that make a spreadsheet read a cell as
// a formula (OWASP, CSV injection).
const formulaStart = "=+-@\t\r"

// neutralise makes a text cell of a CSV file safe to open in a
// spreadsheet, as OWASP's guidance on CSV injection says: a cell whose
// first character, or first after spaces, starts a formula is prefixed
// with a single quote, which the spreadsheet shows as text. Numbers that
// sulh writes itself are not text cells.
func neutralise(s string) string {
	t := strings.TrimLeft(s, " ")
	if t != "" && strings.ContainsRune(formulaStart, rune(t[0])) || s != "" && strings.ContainsRune(formulaStart, rune(s[0])) {
		return "'" + s
	}
	return s
}

// date is the UTC date of an RFC 3339 time, or "".
func date(s string) string {
	t, err := statement.ParseTime(s)
	if err != nil {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}
