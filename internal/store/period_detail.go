package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// PeriodCases counts the cases whose event falls in a periodic report's
// period or in the one before it, each event once (a case linked as a
// duplicate of another is left out), that share all the report counts
// them by: the party accused, whether a category asked for is among
// theirs, whether a finding on them is filed, their standing and their
// place.
type PeriodCases struct {
	// Last is whether their events fall in the period before.
	Last     bool
	Accused  string
	Flagged  bool // the category PeriodDetail was asked about is theirs
	Ruled    bool // a finding on them is filed
	Standing string
	PlaceID  string
	// Lat and Lon are the reports' coordinates, nil when they gave only a
	// gazetteer place (PlaceID) or none.
	Lat, Lon *float64
	// Admin is the country and first province (Admin1 only) of the
	// opening reports' place, as the views keep it; zero when they gave
	// none.
	Admin mechanism.AdminUnit
	// Count is how many cases these are, First the lowest case id.
	Count, First int64
}

// PeriodCommitment is a party's commitment whose deadline falls in a
// periodic report's period or in the one before it, with its deadline's
// status as the core set it (mechanism.DeadlineOpen, DeadlineMet or
// DeadlineMissed): met when the party filed an action referencing the
// commitment by its deadline.
type PeriodCommitment struct {
	Index int64
	// Last is whether its deadline falls in the period before.
	Last         bool
	Party, Group string
	Deadline     string
	Status       string
	// Closed is the statement that met the deadline (the party's action)
	// or found it missed; nil while it is open.
	Closed *int64
}

// PeriodDetail is what a periodic report reads of the cases and
// commitments of a period beyond the dashboard's counts by category: the
// cases of the two periods by event time, counted by what the report
// counts them by, in no order; the complaints against each party, sorted
// by party, summed from those counts; and the commitments due in the two
// periods by deadline, oldest first.
type PeriodDetail struct {
	Cases       []PeriodCases
	Complaints  []PartyComplaints
	Commitments []PeriodCommitment
}

// PeriodDetail returns the cases and the commitments of the period This
// and of the one before it, Last, read in one snapshot of the views; a
// case is flagged when flag is one of its categories.
func (db *DB) PeriodDetail(ctx context.Context, this, last Period, flag string) (*PeriodDetail, error) {
	out, err := db.PeriodDetails(ctx, []Periods{{This: this, Last: last}}, flag)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// Periods are a periodic report's period, This, and the one before it,
// Last.
type Periods struct{ This, Last Period }

// PeriodDetails returns PeriodDetail for each of periods, in order, all
// read in one snapshot of the views and the cases in one pass: the
// daily, weekly and monthly reports of a day read the cases of their
// two months once, not three times. The pass reads the cases from the
// earliest period to the latest, so periods far apart read those between
// them too.
func (db *DB) PeriodDetails(ctx context.Context, periods []Periods, flag string) ([]*PeriodDetail, error) {
	if len(periods) == 0 {
		return nil, nil
	}
	for _, p := range periods {
		if p.Last.To != p.This.From || !p.Last.From.Before(p.Last.To) || !p.This.From.Before(p.This.To) {
			return nil, fmt.Errorf("couldn't read the period's cases: the periods %v and %v do not follow each other", p.Last, p.This)
		}
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("couldn't read the period's cases: %w", err)
	}
	defer tx.Rollback()
	lines := &periodLines{ids: map[string]int{}}
	groups := make([]periodGroups, len(periods))
	for i, p := range periods {
		groups[i] = newPeriodGroups(p)
	}
	if err := readPeriodCases(ctx, tx, periods, lines, groups, flag); err != nil {
		return nil, err
	}
	parsed := make([]PeriodCases, len(lines.lines))
	for i, line := range lines.lines {
		if parsed[i], err = periodCasesOf(line); err != nil {
			return nil, fmt.Errorf("couldn't count the period's cases: %w", err)
		}
	}
	out := make([]*PeriodDetail, len(periods))
	for i, p := range periods {
		d := &PeriodDetail{Cases: groups[i].cases(parsed)}
		d.Complaints = complaints(d.Cases)
		if d.Commitments, err = commitmentsDue(ctx, tx, p); err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// periodLines numbers the distinct lines (rowLineFunc) of what
// PeriodCases holds beside their period, in the order first read.
type periodLines struct {
	ids   map[string]int
	lines []string
}

// id is line's number.
func (l *periodLines) id(line []byte) int {
	if id, ok := l.ids[string(line)]; ok {
		return id
	}
	id := len(l.lines)
	l.lines = append(l.lines, string(line))
	l.ids[l.lines[id]] = id
	return id
}

// periodGroups counts the cases of a pair of periods by the number of
// their line (periodLines): those of the period in this, those of the
// period before in last.
type periodGroups struct {
	from, mid, to timeBound // the periods' bounds
	this, last    []periodCount
}

// periodCount is how many cases a line counts, and the lowest of them;
// none yet if n is 0.
type periodCount struct{ n, first int64 }

func newPeriodGroups(p Periods) periodGroups {
	return periodGroups{
		from: newTimeBound(statement.FormatTime(p.Last.From)), mid: newTimeBound(statement.FormatTime(p.This.From)),
		to: newTimeBound(statement.FormatTime(p.This.To)),
	}
}

// add counts case id, whose event is at at (as the views keep it) and
// whose line is number line, if its event falls in either period: as the
// SQL conditions atOrAfter, before and later would.
func (g *periodGroups) add(at []byte, line int, id int64) {
	if !g.from.atOrAfter(at) || !g.to.before(at) {
		return
	}
	m := &g.this
	if !g.mid.later(at) {
		m = &g.last
	}
	for len(*m) <= line {
		*m = append(*m, periodCount{})
	}
	c := &(*m)[line]
	if c.n == 0 || id < c.first {
		c.first = id
	}
	c.n++
}

// cases are the counts as PeriodCases, in the order of the lines'
// numbers, this period's first; parsed are the lines read.
func (g *periodGroups) cases(parsed []PeriodCases) []PeriodCases {
	out := []PeriodCases{}
	for i, counts := range [][]periodCount{g.this, g.last} {
		for line, n := range counts {
			if n.n == 0 {
				continue
			}
			c := parsed[line]
			c.Last, c.Count, c.First = i == 1, n.n, n.first
			out = append(out, c)
		}
	}
	return out
}

// readPeriodCases reads, in one pass, the cases whose event falls in the
// periods of any of groups, each event once (a case linked as a
// duplicate of another is left out), and counts each in the groups whose
// periods hold it. SQLite reads each case's line of what the report
// counts it by, and Go counts the lines: grouped in SQL, a million cases
// were sorted, which took twice as long.
func readPeriodCases(ctx context.Context, tx *sql.Tx, periods []Periods, lines *periodLines, groups []periodGroups, flag string) error {
	first, end := periods[0].Last.From, periods[0].This.To
	for _, p := range periods[1:] {
		if p.Last.From.Before(first) {
			first = p.Last.From
		}
		if p.This.To.After(end) {
			end = p.This.To
		}
	}
	from, to := statement.FormatTime(first), statement.FormatTime(end)
	cases, err := casesBetween(ctx, tx, from, to)
	if err != nil {
		return err
	}
	// The unary + keeps SQLite from reading every case that is no
	// duplicate by the index on duplicate_of, rather than the periods' by
	// event time. Each case's line holds what periodCasesOf reads.
	rows, err := tx.QueryContext(ctx, `SELECT c.event_at, `+rowLineFunc+`(c.accused, c.id IN (SELECT k.case_id FROM case_categories k WHERE k.category = ?3),
			c.finding IS NOT NULL, c.standing, c.place_id, c.lat, c.lon, c.admin_country, c.admin1), c.id
		FROM `+cases+` WHERE `+atOrAfter("c.event_at", "?1")+` AND `+before("c.event_at", "?2")+` AND +c.duplicate_of IS NULL`, from, to, flag)
	if err != nil {
		return fmt.Errorf("couldn't count the period's cases: %w", err)
	}
	defer rows.Close()
	var at, line sql.RawBytes
	var id int64
	for rows.Next() {
		if err := rows.Scan(&at, &line, &id); err != nil {
			return fmt.Errorf("couldn't count the period's cases: %w", err)
		}
		n := lines.id(line)
		for i := range groups {
			groups[i].add(at, n, id)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("couldn't count the period's cases: %w", err)
	}
	return nil
}

// periodCasesOf reads a line of readPeriodCases: the accused party,
// whether flagged and ruled, the standing, the place's id, latitude and
// longitude, country and first province.
func periodCasesOf(line string) (PeriodCases, error) {
	v, err := parseRowLine(line)
	if err != nil {
		return PeriodCases{}, err
	}
	var c PeriodCases
	if len(v) != 9 {
		return c, fmt.Errorf("a line of %d values, not 9: %q", len(v), line)
	}
	texts := []*string{&c.Accused, &c.Standing, &c.PlaceID, &c.Admin.Country, &c.Admin.Admin1}
	for i, k := range []int{0, 3, 4, 7, 8} {
		s, ok := v[k].(string)
		if !ok {
			return c, fmt.Errorf("value %d of %q is not text", k+1, line)
		}
		*texts[i] = s
	}
	flags := []*bool{&c.Flagged, &c.Ruled}
	for i, k := range []int{1, 2} {
		n, ok := v[k].(int64)
		if !ok {
			return c, fmt.Errorf("value %d of %q is not an integer", k+1, line)
		}
		*flags[i] = n != 0
	}
	coords := []**float64{&c.Lat, &c.Lon}
	for i, k := range []int{5, 6} {
		switch x := v[k].(type) {
		case nil:
		case float64:
			*coords[i] = &x
		case int64:
			f := float64(x)
			*coords[i] = &f
		default:
			return c, fmt.Errorf("value %d of %q is not a number", k+1, line)
		}
	}
	return c, nil
}

// commitmentsDue are the commitments whose deadlines fall in p's periods,
// oldest first.
func commitmentsDue(ctx context.Context, tx *sql.Tx, p Periods) ([]PeriodCommitment, error) {
	from, mid, to := statement.FormatTime(p.Last.From), statement.FormatTime(p.This.From), statement.FormatTime(p.This.To)
	// The commitments first (CROSS JOIN keeps SQLite to that order), each
	// with its deadlines by the index on their subject: without it SQLite
	// read every deadline (three a case under the default rulebook) for the
	// few commitments.
	crows, err := tx.QueryContext(ctx, `SELECT m.idx, NOT `+later("d.due", "?2")+`, m.body, m.label, d.due, d.status, d.closed
		FROM commitments m CROSS JOIN deadlines d ON d.subject = m.idx
		WHERE d.name = ?4 AND `+atOrAfter("d.due", "?1")+` AND `+before("d.due", "?3")+` ORDER BY rtrim(d.due, 'Z'), m.idx`, from, mid, to, mechanism.DeadlineCommitment)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the commitments due: %w", err)
	}
	defer crows.Close()
	out := []PeriodCommitment{}
	for crows.Next() {
		var c PeriodCommitment
		if err := crows.Scan(&c.Index, &c.Last, &c.Party, &c.Group, &c.Deadline, &c.Status, &c.Closed); err != nil {
			return nil, fmt.Errorf("couldn't read the commitments due: %w", err)
		}
		out = append(out, c)
	}
	if err := crows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't read the commitments due: %w", err)
	}
	return out, nil
}

// complaints sums the complaints against each party from the counts of
// cases: the cases that accuse it, in the period by standing and with a
// finding filed, and in the period before.
func complaints(cases []PeriodCases) []PartyComplaints {
	byParty := map[string]*PartyComplaints{}
	for _, c := range cases {
		if c.Accused == "" {
			continue
		}
		p, ok := byParty[c.Accused]
		if !ok {
			p = &PartyComplaints{Party: c.Accused}
			byParty[c.Accused] = p
		}
		if c.Last {
			p.Last += c.Count
			continue
		}
		p.Received += c.Count
		if c.Ruled {
			p.Ruled += c.Count
		}
		switch c.Standing {
		case mechanism.StandingVerified:
			p.Verified += c.Count
		case mechanism.StandingCleared:
			p.Cleared += c.Count
		case mechanism.StandingPending:
			p.Pending += c.Count
		case mechanism.StandingClosed:
			p.Closed += c.Count
		}
	}
	out := make([]PartyComplaints, 0, len(byParty))
	for _, p := range byParty {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b PartyComplaints) int { return strings.Compare(a.Party, b.Party) })
	return out
}

// scanShare is the share of all the cases, each event once, above which
// casesBetween reads a period's cases by reading the whole table in
// order rather than by the index on event time.
var scanShare = 0.5

// casesBetween returns the cases table as a query reads those whose
// event falls from from to to (times as statement.FormatTime writes
// them), with the alias c: by the index on event time, or, when the
// dashboard's counts by hour (case_counts) say that more than scanShare
// of the cases fall in those hours, NOT INDEXED. By the index, SQLite
// looks each case up in the table apart, at random where cases were
// filed in another order than that of their events; read in order, the
// table costs a step a case. Over a million cases filed in no order of
// their events, PeriodDetail took, by the table and by the index: 4.4 to
// 4.7 s against 10.7 s with all of them in the periods; 2.1 to 2.5 s
// against 4.7 to 5.5 s with 47% of them; 1.1 to 1.2 s against 2.2 to 3.3
// s with 23%; 0.6 s against 0.1 s with 0.75%. Cases filed in the order of
// their events make the index the cheaper further up: the share is set
// high. (Those times are of PeriodDetail when SQLite still grouped the
// cases it read; the reads are the same.)
func casesBetween(ctx context.Context, tx *sql.Tx, from, to string) (string, error) {
	var in, all int64
	if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COALESCE(SUM(n), 0) FROM case_counts WHERE hour >= substr(?1, 1, 13) AND hour <= substr(?2, 1, 13) AND category = ''),
			(SELECT COALESCE(SUM(n), 0) FROM standing_counts)`, from, to).Scan(&in, &all); err != nil {
		return "", fmt.Errorf("couldn't count the period's cases: %w", err)
	}
	if float64(in) > scanShare*float64(all) {
		return "cases c NOT INDEXED", nil
	}
	return "cases c", nil
}

// OpeningAdmin is the first administrative unit of the place that the
// report entry (a case's opening, as signed) gives; zero when it gives
// none or is not a report that can be read.
func OpeningAdmin(entry []byte) mechanism.AdminUnit {
	st, err := statement.Parse(entry)
	if err != nil {
		return mechanism.AdminUnit{}
	}
	var rep struct {
		Place mechanism.Place `json:"place"`
	}
	if json.Unmarshal(st.JSON, &rep) != nil || len(rep.Place.Admin) == 0 {
		return mechanism.AdminUnit{}
	}
	return rep.Place.Admin[0]
}
