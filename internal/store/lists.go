package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// A list is a view that can be listed, newest first, a page at a time, and
// filtered by its parameters. The SQL of each list lives here; callers
// name a list and give a Filter.

// ParamKind says which values a list's parameter takes.
type ParamKind int

// Kinds of parameters.
const (
	Text    ParamKind = iota // any text, compared exactly
	Integer                  // a decimal integer
	OneOf                    // one of Param.Allowed
	Time                     // an RFC 3339 time in any zone, compared in UTC
)

// Param is one parameter of a list, and the condition on rows it stands
// for.
type Param struct {
	Name    string
	Kind    ParamKind
	Allowed []string // for OneOf
	// cond is an SQL condition with one "?" per use of the value.
	cond string
	// drive, if set, is "table.column" of a (value, case_id) table that
	// the query may walk instead of testing cond; see List.
	drive string
	// known, if set, is a query of the values the parameter may take, as
	// one column named value: a value the views do not hold is refused,
	// with the values they do.
	known string
	// values, if set, gives the values a Text parameter takes: a
	// rulebook's stages, say, or the statement kinds; what names one of
	// them, as in "a stage of the rulebook". See CheckIn.
	values func(rb *mechanism.Rulebook) []string
	what   string
}

// Known reports whether p takes only values the views hold, such as
// the actors they know; DB.List refuses any other with those it holds.
func (p Param) Known() bool { return p.known != "" }

// joint is a condition on rows that two parameters of a list make
// together, when both are given: each adds its own condition, and the
// joint one ties them to the same row of another table.
type joint struct {
	params [2]string
	// cond is an SQL condition with a "?" for each parameter, in order.
	cond string
}

// List is a view that can be listed: its table, the column that keys and
// orders it (newest first; unique, so that paging skips nothing), the
// columns it shows and its parameters.
type List struct {
	Name   string
	Params []Param
	// BBox is whether the list can be filtered by a bounding box of its
	// lat and lon.
	BBox bool

	from, key, columns string
	joints             []joint
}

// MaxTextParam is the longest value a parameter may have, in bytes.
const MaxTextParam = 200

func eq(name, column string) Param    { return Param{Name: name, cond: column + " = ?"} }
func intEq(name, column string) Param { return Param{Name: name, Kind: Integer, cond: column + " = ?"} }
func oneOf(name, column string, allowed []string) Param {
	return Param{Name: name, Kind: OneOf, Allowed: allowed, cond: column + " = ?"}
}

// ruled is p, whose values are those that values gives, each of them
// what.
func ruled(p Param, what string, values func(rb *mechanism.Rulebook) []string) Param {
	p.values, p.what = values, what
	return p
}

// The values of parameters that a rulebook or the mechanism names.
var (
	stages = func(rb *mechanism.Rulebook) []string {
		var out []string
		for _, s := range rb.Stages {
			out = append(out, s.ID)
		}
		return out
	}
	bodies = func(rb *mechanism.Rulebook) []string {
		var out []string
		for _, b := range rb.Bodies {
			out = append(out, b.ID)
		}
		return out
	}
	parties = func(rb *mechanism.Rulebook) []string {
		var out []string
		for _, b := range rb.Bodies {
			if b.Type == mechanism.BodyParty {
				out = append(out, b.ID)
			}
		}
		return out
	}
	categories = func(rb *mechanism.Rulebook) []string {
		var out []string
		for _, c := range rb.Categories {
			out = append(out, c.ID)
		}
		return out
	}
	kinds      = func(*mechanism.Rulebook) []string { return mechanism.Kinds }
	eventTypes = func(*mechanism.Rulebook) []string {
		var out []string
		for _, t := range mechanism.EventTypes {
			out = append(out, t.ID)
		}
		return out
	}
	subEventTypes = func(*mechanism.Rulebook) []string {
		var out []string
		for _, t := range mechanism.EventTypes {
			for _, s := range t.SubTypes {
				out = append(out, s.ID)
			}
		}
		return out
	}
)

const aBody = "a body of the rulebook"

// byBody is the parameter body: the row's body, one of the rulebook's.
func byBody() Param { return ruled(eq("body", "body"), aBody, bodies) }

var lists = []*List{
	{Name: "cases", from: "cases", key: "id", columns: "*", BBox: true, Params: []Param{
		ruled(eq("stage", "stage"), "a stage of the rulebook", stages),
		ruled(Param{Name: "party", cond: "EXISTS (SELECT 1 FROM case_bodies b WHERE b.body = ? AND b.case_id = cases.id)", drive: "case_bodies.body"}, aBody, bodies),
		ruled(eq("accused", "accused"), "a party of the rulebook", parties),
		ruled(eq("reporter", "reporter"), aBody, bodies),
		ruled(eq("type", "event_type"), "an ACLED event type", eventTypes),
		ruled(eq("sub_type", "sub_event_type"), "an ACLED sub-event type", subEventTypes),
		ruled(Param{Name: "category", cond: "EXISTS (SELECT 1 FROM case_categories k WHERE k.category = ? AND k.case_id = cases.id)", drive: "case_categories.category"}, "a category of the rulebook", categories),
		oneOf("outcome", "outcome", mechanism.Outcomes),
		{Name: "from", Kind: Time, cond: atOrAfter("event_at", "?")},
		{Name: "to", Kind: Time, cond: before("event_at", "?")},
		{Name: "actor", cond: "EXISTS (SELECT 1 FROM case_actors a WHERE a.actor = ? AND a.case_id = cases.id)", drive: "case_actors.actor", known: knownActors},
		{Name: "claim", Kind: OneOf, Allowed: mechanism.ClaimPositions,
			cond: "EXISTS (SELECT 1 FROM actor_claims a WHERE a.position = ? AND a.case_id = cases.id)"},
		// distinct=true lists each event once: not the cases linked as
		// duplicates of another, which stands for them.
		{Name: "distinct", Kind: OneOf, Allowed: []string{"true", "false"}, cond: "(duplicate_of IS NULL OR ? = 'false')"},
		oneOf("status", "status", mechanism.CaseStatuses),
		// Where the case stands on the record, as the core decided
		// (mechanism.Rulebook.Standing).
		oneOf("standing", "standing", mechanism.Standings),
	}, joints: []joint{{[2]string{"actor", "claim"},
		"EXISTS (SELECT 1 FROM actor_claims a WHERE a.actor = ? AND a.position = ? AND a.case_id = cases.id)"}}},
	{Name: "statements", from: "statements", key: "idx", columns: "*", Params: []Param{
		ruled(eq("kind", "kind"), "a statement kind", kinds), eq("author", "author"), byBody()}},
	{Name: "claims", from: "claims", key: "rowid", columns: "*", Params: []Param{
		intEq("case", "case_id"), byBody(), oneOf("measure", "measure", mechanism.Measures),
		ruled(eq("party", "party"), "a party of the rulebook", parties), eq("actor", "actor"), eq("country", "country")}},
	{Name: "findings", from: "findings", key: "idx", columns: "*", Params: []Param{
		intEq("case", "case_id"), ruled(eq("party", "party"), "a party of the rulebook", parties), oneOf("outcome", "outcome", mechanism.Outcomes)}},
	{Name: "penalties", from: "penalties", key: "idx", columns: "*", Params: []Param{
		intEq("case", "case_id"), ruled(eq("party", "party"), "a party of the rulebook", parties), intEq("finding", "finding")}},
	{Name: "actors", from: "actors", key: "rowid", columns: "*", Params: []Param{eq("actor", "actor"), byBody()}},
	{Name: "crossings", from: "crossings", key: "idx", columns: "*", Params: []Param{
		oneOf("status", "status", mechanism.Crossings), eq("crossing", "crossing"), eq("side", "side")}},
	{Name: "crossing_events", from: "crossing_events", key: "idx", columns: "*", Params: []Param{eq("crossing", "crossing"), eq("side", "side")}},
	{Name: "commitments", from: "commitments", key: "idx",
		columns: "*, (SELECT status FROM deadlines d WHERE d.opened = commitments.idx AND d.name = 'commitment') AS status",
		Params:  []Param{byBody(), eq("actor", "actor")}},
	{Name: "actions", from: "actions", key: "idx", columns: "*", Params: []Param{
		byBody(), intEq("commitment", "commitment"), intEq("verifies", "verifies")}},
	{Name: "deadlines", from: "deadlines", key: "rowid", columns: "*", Params: []Param{
		oneOf("status", "status", []string{mechanism.DeadlineOpen, mechanism.DeadlineMet, mechanism.DeadlineMissed, mechanism.DeadlineClosed}),
		intEq("subject", "subject"),
		eq("name", "name"),
		ruled(Param{Name: "body", cond: "EXISTS (SELECT 1 FROM json_each(bodies) WHERE value = ?)"}, aBody, bodies),
		intEq("opened", "opened"),
		{Name: "due_from", Kind: Time, cond: atOrAfter("due", "?")},
		{Name: "due_to", Kind: Time, cond: before("due", "?")},
	}},
	{Name: "evidence", from: "evidence", key: "idx", columns: "*", Params: []Param{
		intEq("case", "case_id"), eq("media_type", "media_type"), byBody(),
		oneOf("verified", "verified", append([]string{""}, mechanism.VerificationResults...))}},
	{Name: "custody", from: "custody", key: "idx", columns: "*", Params: []Param{
		eq("sha256", "sha256"), oneOf("event", "event", mechanism.CustodyEvents)}},
	{Name: "verifications", from: "verifications", key: "idx", columns: "*", Params: []Param{
		eq("sha256", "sha256"), oneOf("result", "result", mechanism.VerificationResults),
		{Name: "case", Kind: Integer, cond: "sha256 IN (SELECT sha256 FROM evidence WHERE case_id = ?)"}}},
	{Name: "sealed", from: "sealed", key: "idx", columns: "*", Params: []Param{
		eq("author", "author"), byBody(), oneOf("sealed_kind", "sealed_kind", mechanism.SealableKinds)}},
	{Name: "meetings", from: "meetings", key: "idx", columns: "*"},
	{Name: "publications", from: "publications", key: "idx", columns: "*"},
	{Name: "members", from: "members", key: "rowid", columns: "*", Params: []Param{byBody()}},
	{Name: "actor_registry", from: "actor_registry", key: "added", columns: `*,
		(SELECT COALESCE(SUM(m.mentions), 0) FROM actors m WHERE m.actor = actor_registry.id) AS mentions,
		(SELECT COUNT(*) FROM actor_claims c WHERE c.actor = actor_registry.id AND c.position = 'claimed') AS claimed,
		(SELECT COUNT(*) FROM actor_claims c WHERE c.actor = actor_registry.id AND c.position = 'denied') AS denied,
		(SELECT COUNT(*) FROM actor_claims c WHERE c.actor = actor_registry.id AND c.position = 'retracted') AS retracted,
		(SELECT COUNT(*) FROM actor_claims c WHERE c.actor = actor_registry.id AND c.position = 'condemned') AS condemned,
		(SELECT COUNT(*) FROM case_actors k WHERE k.actor = actor_registry.id) AS cases`,
		Params: []Param{oneOf("type", "type", mechanism.ActorTypes), byBody()}},
	{Name: "actor_claims", from: "actor_claims", key: "idx", columns: "*", Params: []Param{
		intEq("case", "case_id"),
		{Name: "actor", cond: "actor = ?", known: knownActors},
		oneOf("position", "position", mechanism.ClaimPositions),
		byBody()}},
	{Name: "replies", from: "replies", key: "idx", columns: "*", Params: []Param{
		intEq("case", "case_id"), byBody(),
		{Name: "position", Kind: OneOf, Allowed: mechanism.ReplyPositions, cond: "EXISTS (SELECT 1 FROM json_each(positions) WHERE value = ?)"}}},
	{Name: "links", from: "links", key: "idx", columns: "*", Params: []Param{
		{Name: "case", Kind: Integer, cond: "(case_id = ? OR other = ?)"},
		oneOf("relation", "relation", mechanism.Relations),
		byBody()}},
}

// knownActors are the actors the views know: those of the registry and
// those any statement named.
const knownActors = "SELECT id AS value FROM actor_registry UNION SELECT actor FROM actors"

// Lists returns every list, sorted by name.
func Lists() []*List {
	return slices.SortedFunc(slices.Values(lists), func(a, b *List) int { return strings.Compare(a.Name, b.Name) })
}

// ListNamed returns the list called name.
func ListNamed(name string) (*List, bool) {
	i := slices.IndexFunc(lists, func(l *List) bool { return l.Name == name })
	if i < 0 {
		return nil, false
	}
	return lists[i], true
}

// Param returns the list's parameter called name.
func (l *List) Param(name string) (Param, bool) {
	i := slices.IndexFunc(l.Params, func(p Param) bool { return p.Name == name })
	if i < 0 {
		return Param{}, false
	}
	return l.Params[i], true
}

// FilterError is a filter that a list cannot take; its message says what
// the list takes instead.
type FilterError struct{ Msg string }

func (e *FilterError) Error() string { return e.Msg }

func filterError(format string, args ...any) error {
	return &FilterError{Msg: fmt.Sprintf(format, args...)}
}

// Check validates a value of p and returns it as the query compares it:
// a time in UTC.
func (p Param) Check(v string) (string, error) {
	if len(v) > MaxTextParam {
		return "", filterError("parameter %s is too long: at most %d bytes", p.Name, MaxTextParam)
	}
	switch p.Kind {
	case Integer:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "", filterError("%s must be an integer, such as %s=54; got %q", p.Name, p.Name, v)
		}
	case OneOf:
		if !slices.Contains(p.Allowed, v) {
			return "", filterError("%s must be one of %v; got %q", p.Name, p.Allowed, v)
		}
	case Time:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			if i := strings.IndexByte(v, ' '); i > 0 && i >= 19 {
				// A '+' in a query string is a space once decoded.
				if _, err := time.Parse(time.RFC3339Nano, v[:i]+"+"+v[i+1:]); err == nil {
					return "", filterError("%s: %q has a space where its zone's '+' was: a '+' in a query string means a space, so write it as %%2B, as in %s=%s, or give the time in UTC with a Z", p.Name, v, p.Name, v[:i]+"%2B"+v[i+1:])
				}
			}
			return "", filterError("%s: %q is not an RFC 3339 time such as 2025-10-20T22:00:00%%2B05:00 (the '+' written %%2B) or 2025-10-20T17:00:00Z", p.Name, v)
		}
		return statement.FormatTime(t), nil
	}
	return v, nil
}

// CheckIn is Check, and refuses a value that the rulebook rb, or the
// mechanism, does not know for the parameter: a stage, a body or a
// statement kind that does not exist. The empty value, which matches the
// rows that have none, is not refused. A nil rb checks only what Check
// does.
func (p Param) CheckIn(v string, rb *mechanism.Rulebook) (string, error) {
	v, err := p.Check(v)
	if err != nil || p.values == nil || rb == nil || v == "" {
		return v, err
	}
	allowed := p.values(rb)
	if !slices.Contains(allowed, v) {
		return "", filterError("%s: %q is not %s; use one of %s", p.Name, v, p.what, strings.Join(allowed, ", "))
	}
	return v, nil
}

// Filter selects rows of a list: those that match every condition, newest
// first.
type Filter struct {
	// Match holds parameters of the list and the value each must have.
	Match []Match
	// BBox, if not nil, keeps the rows whose place is within it.
	BBox *BBox
	// Before pages backwards: only rows whose key is less than Before, when
	// it is not zero; a page's Next is the Before of the page after it.
	Before int64
	// Limit is the most rows returned; 0 means no limit.
	Limit int
}

// Match is one condition of a filter: a list's parameter and its value.
type Match struct{ Param, Value string }

// BBox is a bounding box in degrees.
type BBox struct{ MinLon, MinLat, MaxLon, MaxLat float64 }

// Where adds the condition that param has value v.
func (f *Filter) Where(param, v string) *Filter {
	f.Match = append(f.Match, Match{param, v})
	return f
}

// Page is a page of a list.
type Page struct {
	Rows []Row
	// Next is the key to ask for the next page with, as Filter.Before, or
	// 0 when this page is the last.
	Next int64
}

// List returns a page of the rows of the named list that f selects. A
// filter the list does not take is a *FilterError.
func (db *DB) List(ctx context.Context, name string, f Filter) (Page, error) {
	l, ok := ListNamed(name)
	if !ok {
		return Page{}, fmt.Errorf("no list %q", name)
	}
	for _, m := range f.Match {
		if p, ok := l.Param(m.Param); ok && p.known != "" {
			if err := db.checkKnown(ctx, p, m.Value); err != nil {
				return Page{}, err
			}
		}
	}
	q, args, err := l.query(f)
	if err != nil {
		return Page{}, err
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return Page{}, fmt.Errorf("couldn't list %s: %w", name, err)
	}
	defer rows.Close()
	out, err := scanRows(rows)
	if err != nil {
		return Page{}, fmt.Errorf("couldn't list %s: %w", name, err)
	}
	var p Page
	if f.Limit > 0 && len(out) == f.Limit {
		p.Next, _ = out[len(out)-1][cursor].(int64)
	}
	for _, r := range out {
		delete(r, cursor)
	}
	p.Rows = out
	return p, nil
}

// cursor is the column the query adds to each row: the row's key.
const cursor = "_cursor"

// query is the SQL of a filter on l and its arguments.
func (l *List) query(f Filter) (string, []any, error) { return l.queryWith(f, "") }

// queryWith is query, with extra columns (", expr AS name", …) on each
// row.
func (l *List) queryWith(f Filter, extra string) (string, []any, error) {
	key := l.from + "." + l.key
	q := "SELECT " + l.columns + extra + ", " + key + " AS " + cursor + " FROM " + l.from
	var where []string
	var args []any
	driven := false
	for _, m := range f.Match {
		p, ok := l.Param(m.Param)
		if !ok {
			return "", nil, filterError("unknown parameter %q; %s takes %s", m.Param, l.Name, l.ParamNames())
		}
		v, err := p.Check(m.Value)
		if err != nil {
			return "", nil, err
		}
		if table, column, ok := strings.Cut(p.drive, "."); ok && !driven {
			// The driving table's index is walked newest first and
			// stops at the limit, which stays fast however many or few
			// rows match. CROSS JOIN keeps it outermost.
			driven = true
			key = "d.case_id"
			q = "SELECT " + l.from + ".*" + extra + ", " + key + " AS " + cursor + " FROM " + table + " AS d CROSS JOIN " + l.from + " ON " + l.from + "." + l.key + " = d.case_id"
			where, args = append(where, "d."+column+" = ?"), append(args, v)
			continue
		}
		where = append(where, p.cond)
		for range strings.Count(p.cond, "?") {
			args = append(args, v)
		}
	}
	for _, j := range l.joints {
		var vs []any
		for _, name := range j.params {
			if i := slices.IndexFunc(f.Match, func(m Match) bool { return m.Param == name }); i >= 0 {
				vs = append(vs, f.Match[i].Value)
			}
		}
		if len(vs) == len(j.params) {
			where, args = append(where, j.cond), append(args, vs...)
		}
	}
	if b := f.BBox; b != nil {
		if !l.BBox {
			return "", nil, filterError("%s cannot be filtered by bbox", l.Name)
		}
		where, args = append(where, "lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?"), append(args, b.MinLat, b.MaxLat, b.MinLon, b.MaxLon)
	}
	if f.Before > 0 {
		where, args = append(where, key+" < ?"), append(args, f.Before)
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + key + " DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return q, args, nil
}

// maxKnown is the most known values a refusal lists.
const maxKnown = 50

// checkKnown refuses a value of p that the views do not hold, with those
// they do.
func (db *DB) checkKnown(ctx context.Context, p Param, v string) error {
	var found int
	err := db.r.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM ("+p.known+") WHERE value = ?)", v).Scan(&found)
	if err != nil {
		return fmt.Errorf("couldn't check %s %q: %w", p.Name, v, err)
	}
	if found == 1 {
		return nil
	}
	rows, err := db.r.QueryContext(ctx, "SELECT value FROM ("+p.known+") ORDER BY value LIMIT ?", maxKnown+1)
	if err != nil {
		return fmt.Errorf("couldn't list the known values of %s: %w", p.Name, err)
	}
	defer rows.Close()
	var known []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return fmt.Errorf("couldn't list the known values of %s: %w", p.Name, err)
		}
		known = append(known, k)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("couldn't list the known values of %s: %w", p.Name, err)
	}
	list := strings.Join(known[:min(len(known), maxKnown)], ", ")
	switch {
	case len(known) == 0:
		list = "none yet"
	case len(known) > maxKnown:
		list += ", …"
	}
	return filterError("%s: %q is not one the mechanism knows; known values: %s", p.Name, v, list)
}

// ParamNames lists the parameters l takes, paging and bbox included.
func (l *List) ParamNames() string {
	names := []string{"limit", "before"}
	if l.BBox {
		names = append(names, "bbox")
	}
	for _, p := range l.Params {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}
