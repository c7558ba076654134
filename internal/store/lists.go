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
}

// MaxTextParam is the longest value a parameter may have, in bytes.
const MaxTextParam = 200

func eq(name, column string) Param    { return Param{Name: name, cond: column + " = ?"} }
func intEq(name, column string) Param { return Param{Name: name, Kind: Integer, cond: column + " = ?"} }
func oneOf(name, column string, allowed []string) Param {
	return Param{Name: name, Kind: OneOf, Allowed: allowed, cond: column + " = ?"}
}

var lists = []*List{
	{Name: "cases", from: "cases", key: "id", columns: "*", BBox: true, Params: []Param{
		eq("stage", "stage"),
		{Name: "party", cond: "EXISTS (SELECT 1 FROM case_bodies b WHERE b.body = ? AND b.case_id = cases.id)", drive: "case_bodies.body"},
		eq("accused", "accused"),
		eq("reporter", "reporter"),
		eq("type", "event_type"),
		eq("sub_type", "sub_event_type"),
		{Name: "category", cond: "EXISTS (SELECT 1 FROM case_categories k WHERE k.category = ? AND k.case_id = cases.id)", drive: "case_categories.category"},
		oneOf("outcome", "outcome", mechanism.Outcomes),
		{Name: "from", Kind: Time, cond: "event_at >= ?"},
		{Name: "to", Kind: Time, cond: "event_at < ?"},
	}},
	{Name: "statements", from: "statements", key: "idx", columns: "*", Params: []Param{
		eq("kind", "kind"), eq("author", "author"), eq("body", "body")}},
	{Name: "claims", from: "claims", key: "rowid", columns: "*", Params: []Param{
		intEq("case", "case_id"), eq("body", "body"), eq("measure", "measure")}},
	{Name: "findings", from: "findings", key: "idx", columns: "*", Params: []Param{
		intEq("case", "case_id"), eq("party", "party"), oneOf("outcome", "outcome", mechanism.Outcomes)}},
	{Name: "penalties", from: "penalties", key: "idx", columns: "*", Params: []Param{
		intEq("case", "case_id"), eq("party", "party"), intEq("finding", "finding")}},
	{Name: "actors", from: "actors", key: "rowid", columns: "*", Params: []Param{eq("actor", "actor"), eq("body", "body")}},
	{Name: "crossings", from: "crossings", key: "idx", columns: "*", Params: []Param{
		oneOf("status", "status", mechanism.Crossings), eq("crossing", "crossing")}},
	{Name: "crossing_events", from: "crossing_events", key: "idx", columns: "*", Params: []Param{eq("crossing", "crossing")}},
	{Name: "commitments", from: "commitments", key: "idx",
		columns: "*, (SELECT status FROM deadlines d WHERE d.opened = commitments.idx AND d.name = 'commitment') AS status",
		Params:  []Param{eq("body", "body"), eq("actor", "actor")}},
	{Name: "actions", from: "actions", key: "idx", columns: "*", Params: []Param{
		eq("body", "body"), intEq("commitment", "commitment"), intEq("verifies", "verifies")}},
	{Name: "deadlines", from: "deadlines", key: "rowid", columns: "*", Params: []Param{
		oneOf("status", "status", []string{mechanism.DeadlineOpen, mechanism.DeadlineMet, mechanism.DeadlineMissed}),
		intEq("subject", "subject"),
		eq("name", "name"),
		{Name: "body", cond: "EXISTS (SELECT 1 FROM json_each(bodies) WHERE value = ?)"},
		intEq("opened", "opened"),
	}},
	{Name: "evidence", from: "evidence", key: "idx", columns: "*", Params: []Param{
		intEq("case", "case_id"), eq("media_type", "media_type"), eq("body", "body"),
		oneOf("verified", "verified", append([]string{""}, mechanism.VerificationResults...))}},
	{Name: "custody", from: "custody", key: "idx", columns: "*", Params: []Param{
		eq("sha256", "sha256"), oneOf("event", "event", mechanism.CustodyEvents)}},
	{Name: "verifications", from: "verifications", key: "idx", columns: "*", Params: []Param{
		eq("sha256", "sha256"), oneOf("result", "result", mechanism.VerificationResults),
		{Name: "case", Kind: Integer, cond: "sha256 IN (SELECT sha256 FROM evidence WHERE case_id = ?)"}}},
	{Name: "sealed", from: "sealed", key: "idx", columns: "*", Params: []Param{
		eq("author", "author"), eq("body", "body"), oneOf("sealed_kind", "sealed_kind", mechanism.SealableKinds)}},
	{Name: "meetings", from: "meetings", key: "idx", columns: "*"},
	{Name: "publications", from: "publications", key: "idx", columns: "*"},
	{Name: "members", from: "members", key: "rowid", columns: "*", Params: []Param{eq("body", "body")}},
}

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
		return "", filterError("parameter %s is too long", p.Name)
	}
	switch p.Kind {
	case Integer:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "", filterError("%s must be an integer", p.Name)
		}
	case OneOf:
		if !slices.Contains(p.Allowed, v) {
			return "", filterError("%s must be one of %v", p.Name, p.Allowed)
		}
	case Time:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return "", filterError("%s: %q is not an RFC 3339 time such as 2025-10-20T22:00:00+05:00 or 2025-10-20T17:00:00Z", p.Name, v)
		}
		return statement.FormatTime(t), nil
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
func (l *List) query(f Filter) (string, []any, error) {
	key := l.from + "." + l.key
	q := "SELECT " + l.columns + ", " + key + " AS " + cursor + " FROM " + l.from
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
			q = "SELECT " + l.from + ".*, " + key + " AS " + cursor + " FROM " + table + " AS d CROSS JOIN " + l.from + " ON " + l.from + "." + l.key + " = d.case_id"
			where, args = append(where, "d."+column+" = ?"), append(args, v)
			continue
		}
		where = append(where, p.cond)
		for range strings.Count(p.cond, "?") {
			args = append(args, v)
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
