package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// The dashboard's figures: each event once (a case linked as a duplicate
// of another is counted under the case that stands for it), by event time.

// DashboardQuery asks for the figures of a period, This, beside those of
// the one before it, Last, which ends where This starts; for a count of
// each week of the Weeks weeks that end where This ends; and, as of At,
// for the deadlines overdue and due, and the meetings.
type DashboardQuery struct {
	This, Last Period
	Weeks      int
	At         time.Time
	// Overdue is the most overdue deadlines that are listed, those due
	// first; Upcoming the most deadlines due after At. Both are counted
	// whatever is listed.
	Overdue, Upcoming int
	// NoDeadlines leaves the deadlines unread: OverdueCount,
	// OverdueReplies, Overdue, Upcoming and Missed stay zero. Counting
	// those overdue reads each of them, a million on a log of a million
	// reports: a periodic report, which shows none, asks for none, and
	// sulh audit's views (WriteAuditTablesOnly) hold none but the
	// commitments'.
	NoDeadlines bool
}

// Period is the span of event time [From, To).
type Period struct{ From, To time.Time }

// Figure is a count in the period asked for and in the one before it.
type Figure struct {
	Key        string
	This, Last int64
}

// LastVerified is, for a category, the latest event of a verified case.
type LastVerified struct {
	Category string
	Case     int64
	EventAt  time.Time
}

// WeekCount is how many events a body reported in week Week (0 the
// oldest of the weeks asked for).
type WeekCount struct {
	Body  string
	Week  int
	Count int64
}

// DueDeadline is a deadline that is open.
type DueDeadline struct {
	Subject      int64
	Name, Stage  string
	Bodies       []string
	Due          time.Time
	Status       string
	Opened       int64
	OverdueAtNow bool // mechanism.Overdue as of the query's At
}

// Meeting is a round of talks.
type Meeting struct {
	Index                        int64
	Round                        int64
	Place                        string
	Start, End                   time.Time
	StartPrecision, EndPrecision string
	Bodies                       []string
}

// CrossingSide is one side's latest status of a crossing.
type CrossingSide struct {
	Crossing, Side, Name, Status string
	Allowed                      []string
	Since, SincePrecision        string
	Index                        int64
	Body                         string
}

// Dashboard is the dashboard's figures.
type Dashboard struct {
	// ByReporter counts the events each body reported; ByCategory those of
	// each category; ByStanding those of each standing
	// (mechanism.Standings), in both periods.
	ByReporter, ByCategory, ByStanding []Figure
	// Standing counts every event on the record by its standing.
	Standing map[string]int64
	// LastVerified is, for each category with a verified case, its latest.
	LastVerified []LastVerified
	// Weekly counts each body's events by week.
	Weekly []WeekCount
	// OverdueCount counts the deadlines still open whose time passed by
	// At (mechanism.Overdue), OverdueReplies those of them that are
	// reply windows; Overdue lists the first DashboardQuery.Overdue of
	// them, those due first. Missed counts, by deadline name, those the
	// log found missed that were due in each period.
	OverdueCount, OverdueReplies int64
	Overdue                      []DueDeadline
	Missed                       []Figure
	// Upcoming are the open deadlines due after At, soonest first.
	Upcoming []DueDeadline
	// Crossings are each side's latest status of every crossing.
	Crossings []CrossingSide
	// Next is the first meeting that starts at At or later, Last the
	// latest that started before; nil when there is none.
	Next, Last *Meeting
}

// Dashboard returns the dashboard's figures, all read in one snapshot of
// the views.
func (db *DB) Dashboard(ctx context.Context, q DashboardQuery) (*Dashboard, error) {
	if q.Last.To != q.This.From || !q.Last.From.Before(q.Last.To) || !q.This.From.Before(q.This.To) {
		return nil, fmt.Errorf("couldn't read the dashboard: the periods %v and %v do not follow each other", q.Last, q.This)
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("couldn't read the dashboard: %w", err)
	}
	defer tx.Rollback()
	from, mid, to := statement.FormatTime(q.Last.From), statement.FormatTime(q.This.From), statement.FormatTime(q.This.To)
	d := &Dashboard{Standing: map[string]int64{}}
	figures := func(what, query string, args ...any) ([]Figure, error) {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, fmt.Errorf("couldn't count %s: %w", what, err)
		}
		defer rows.Close()
		out := []Figure{}
		for rows.Next() {
			var f Figure
			if err := rows.Scan(&f.Key, &f.This, &f.Last); err != nil {
				return nil, fmt.Errorf("couldn't count %s: %w", what, err)
			}
			out = append(out, f)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("couldn't count %s: %w", what, err)
		}
		return out, nil
	}
	// The periods' events, from the counts the views keep by hour
	// (case_counts) and, for the hours a period starts or ends within,
	// from the cases themselves.
	this, last := newTally(), newTally()
	if err := this.count(ctx, tx, q.This.From, q.This.To); err != nil {
		return nil, err
	}
	if err := last.count(ctx, tx, q.Last.From, q.Last.To); err != nil {
		return nil, err
	}
	d.ByReporter = figuresOf(this.reporter, last.reporter)
	d.ByCategory = figuresOf(this.category, last.category)
	d.ByStanding = figuresOf(this.standing, last.standing)
	all, err := figures("every case by standing", `SELECT standing, n, 0 FROM standing_counts WHERE n > 0`)
	if err != nil {
		return nil, err
	}
	for _, f := range all {
		d.Standing[f.Key] = f.This
	}
	if err := d.lastVerified(ctx, tx); err != nil {
		return nil, err
	}
	if err := d.weekly(ctx, tx, q); err != nil {
		return nil, err
	}
	if !q.NoDeadlines {
		if err := d.deadlines(ctx, tx, q); err != nil {
			return nil, err
		}
		if d.Missed, err = figures("the missed deadlines", `SELECT name, SUM(`+later("due", "?2")+`), SUM(NOT `+later("due", "?2")+`) FROM deadlines
		WHERE status = ?4 AND `+atOrAfter("due", "?1")+` AND `+before("due", "?3")+` GROUP BY name ORDER BY name`, from, mid, to, mechanism.DeadlineMissed); err != nil {
			return nil, err
		}
	}
	if err := d.crossings(ctx, tx); err != nil {
		return nil, err
	}
	if d.Next, err = meeting(ctx, tx, atOrAfter("start", "?1")+" ORDER BY rtrim(start, 'Z'), idx", q.At); err != nil {
		return nil, err
	}
	if d.Last, err = meeting(ctx, tx, before("start", "?1")+" ORDER BY rtrim(start, 'Z') DESC, idx DESC", q.At); err != nil {
		return nil, err
	}
	return d, nil
}

// lastVerified finds, for each category, the latest event of a verified
// case (mechanism.StandingVerified, as the core wrote it).
func (d *Dashboard) lastVerified(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT k.category, c.id, MAX(c.event_at) FROM cases c JOIN case_categories k ON k.case_id = c.id
		WHERE c.standing = ? AND c.duplicate_of IS NULL GROUP BY k.category ORDER BY k.category`, mechanism.StandingVerified)
	if err != nil {
		return fmt.Errorf("couldn't find the latest verified cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l LastVerified
		var at string
		if err := rows.Scan(&l.Category, &l.Case, &at); err != nil {
			return fmt.Errorf("couldn't find the latest verified cases: %w", err)
		}
		if l.EventAt, err = statement.ParseTime(at); err != nil {
			return fmt.Errorf("couldn't read the event time of case %d: %w", l.Case, err)
		}
		d.LastVerified = append(d.LastVerified, l)
	}
	return rows.Err()
}

// weekly counts each body's events in each of the q.Weeks weeks that end
// where q.This ends.
func (d *Dashboard) weekly(ctx context.Context, tx *sql.Tx, q DashboardQuery) error {
	if q.Weeks <= 0 {
		return nil
	}
	const week = 7 * 24 * time.Hour
	start := q.This.To.Add(-time.Duration(q.Weeks) * week)
	for w := range q.Weeks {
		t := newTally()
		if err := t.count(ctx, tx, start.Add(time.Duration(w)*week), start.Add(time.Duration(w+1)*week)); err != nil {
			return err
		}
		for _, body := range slices.Sorted(maps.Keys(t.reporter)) {
			d.Weekly = append(d.Weekly, WeekCount{Body: body, Week: w, Count: t.reporter[body]})
		}
	}
	slices.SortStableFunc(d.Weekly, func(a, b WeekCount) int { return strings.Compare(a.Body, b.Body) })
	return nil
}

// tally is how many cases of a span of event time each body reported,
// how many there are of each category and of each standing.
type tally struct{ reporter, category, standing map[string]int64 }

func newTally() tally {
	return tally{map[string]int64{}, map[string]int64{}, map[string]int64{}}
}

// hourKey is the hour of t as case_counts holds it: the first 13
// characters of statement.FormatTime's text. As a bound on event_at's
// text it parts the events of that hour from those before.
func hourKey(t time.Time) string { return t.UTC().Format("2006-01-02T15") }

// count adds the cases of [from, to) that stand for themselves: the
// whole hours within it from case_counts, the rest from the cases.
func (t tally) count(ctx context.Context, tx *sql.Tx, from, to time.Time) error {
	if !from.Before(to) {
		return nil
	}
	first, end := from.Truncate(time.Hour), to.Truncate(time.Hour)
	if !first.Equal(from) {
		first = first.Add(time.Hour)
	}
	if !first.Before(end) {
		return t.cases(ctx, tx, statement.FormatTime(from), statement.FormatTime(to))
	}
	if err := t.add(ctx, tx, `SELECT reporter, category, standing, SUM(n) FROM case_counts WHERE hour >= ? AND hour < ?
		GROUP BY reporter, category, standing`, hourKey(first), hourKey(end)); err != nil {
		return err
	}
	if !first.Equal(from) {
		if err := t.cases(ctx, tx, statement.FormatTime(from), hourKey(first)); err != nil {
			return err
		}
	}
	if !end.Equal(to) {
		return t.cases(ctx, tx, hourKey(end), statement.FormatTime(to))
	}
	return nil
}

// cases adds the cases whose event_at is within [from, to) as text.
func (t tally) cases(ctx context.Context, tx *sql.Tx, from, to string) error {
	// The unary + keeps SQLite from reading every case that is no
	// duplicate by the index on duplicate_of, rather than the span's by
	// the index on event time.
	return t.add(ctx, tx, `SELECT reporter, '', standing, COUNT(*) FROM cases
		WHERE `+atOrAfter("event_at", "?1")+` AND `+before("event_at", "?2")+` AND +duplicate_of IS NULL GROUP BY reporter, standing
		UNION ALL SELECT c.reporter, k.category, c.standing, COUNT(*) FROM cases c JOIN case_categories k ON k.case_id = c.id
		WHERE `+atOrAfter("c.event_at", "?1")+` AND `+before("c.event_at", "?2")+` AND +c.duplicate_of IS NULL GROUP BY c.reporter, k.category, c.standing`, from, to)
}

// add adds rows of (reporter, category, standing, count), category ”
// counting the cases themselves.
func (t tally) add(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("couldn't count the cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var reporter, category, standing string
		var n int64
		if err := rows.Scan(&reporter, &category, &standing, &n); err != nil {
			return fmt.Errorf("couldn't count the cases: %w", err)
		}
		if category != "" {
			t.category[category] += n
			continue
		}
		t.reporter[reporter] += n
		t.standing[standing] += n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("couldn't count the cases: %w", err)
	}
	return nil
}

// figuresOf pairs the counts of two periods, by key.
func figuresOf(this, last map[string]int64) []Figure {
	out := []Figure{}
	for _, k := range slices.Sorted(maps.Keys(mergeKeys(this, last))) {
		out = append(out, Figure{Key: k, This: this[k], Last: last[k]})
	}
	return out
}

func mergeKeys(a, b map[string]int64) map[string]bool {
	m := make(map[string]bool, len(a)+len(b))
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// overdueCount counts the deadlines of status ?1 due before ?2, and those
// of them named ?3: from the index deadlines_open_due alone, not the
// table (TestOverdueCountReadsTheIndex).
const overdueCount = `SELECT COUNT(*), COALESCE(SUM(name = ?3), 0) FROM deadlines WHERE status = ?1 AND due < ?2`

// deadlines counts the open deadlines overdue by q.At and lists the first
// q.Overdue of them, and the first q.Upcoming due after it. Times are
// kept as RFC 3339 text with as many decimals as they need, which sorts
// as time does only between different seconds: the deadlines due before
// At's second are counted in SQL, and those due within it are read and
// decided by mechanism.Overdue.
func (d *Dashboard) deadlines(ctx context.Context, tx *sql.Tx, q DashboardQuery) error {
	second := q.At.UTC().Truncate(time.Second).Format(time.RFC3339)
	second = strings.TrimSuffix(second, "Z") // every due in that second has it as a prefix
	read := func(query string, args ...any) ([]DueDeadline, error) {
		rows, err := tx.QueryContext(ctx, `SELECT subject, name, stage, bodies, due, status, opened FROM deadlines WHERE `+query, args...)
		if err != nil {
			return nil, fmt.Errorf("couldn't read the deadlines: %w", err)
		}
		defer rows.Close()
		var out []DueDeadline
		for rows.Next() {
			var dl DueDeadline
			var bodies, due string
			if err := rows.Scan(&dl.Subject, &dl.Name, &dl.Stage, &bodies, &due, &dl.Status, &dl.Opened); err != nil {
				return nil, fmt.Errorf("couldn't read the deadlines: %w", err)
			}
			if dl.Due, err = statement.ParseTime(due); err != nil {
				return nil, fmt.Errorf("couldn't read the deadline of %d: %w", dl.Subject, err)
			}
			dl.Bodies = jsonStrings(bodies)
			dl.OverdueAtNow = mechanism.Overdue(dl.Status, dl.Due, q.At)
			out = append(out, dl)
		}
		return out, rows.Err()
	}
	// The index on (status, due, name) serves each of these, and the
	// count alone.
	if err := tx.QueryRowContext(ctx, overdueCount, mechanism.DeadlineOpen, second, mechanism.DeadlineReply).Scan(&d.OverdueCount, &d.OverdueReplies); err != nil {
		return fmt.Errorf("couldn't count the overdue deadlines: %w", err)
	}
	within, err := read("status = ? AND due >= ? AND due < ? ORDER BY due", mechanism.DeadlineOpen, second, second+"~")
	if err != nil {
		return err
	}
	for _, dl := range within {
		if dl.OverdueAtNow {
			d.OverdueCount++
			if dl.Name == mechanism.DeadlineReply {
				d.OverdueReplies++
			}
		}
	}
	if q.Overdue > 0 {
		first, err := read("status = ? AND due < ? ORDER BY due LIMIT ?", mechanism.DeadlineOpen, second, q.Overdue)
		if err != nil {
			return err
		}
		for _, dl := range append(first, within...) {
			if dl.OverdueAtNow && len(d.Overdue) < q.Overdue {
				d.Overdue = append(d.Overdue, dl)
			}
		}
	}
	if q.Upcoming > 0 {
		d.Upcoming, err = read("status = ? AND due >= ? ORDER BY due LIMIT ?", mechanism.DeadlineOpen, second, q.Upcoming+len(within))
		if err != nil {
			return err
		}
		d.Upcoming = slices.DeleteFunc(d.Upcoming, func(dl DueDeadline) bool { return dl.OverdueAtNow })
		d.Upcoming = d.Upcoming[:min(len(d.Upcoming), q.Upcoming)]
	}
	return nil
}

func (d *Dashboard) crossings(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT crossing, side, name, status, allowed, since, since_precision, idx, body
		FROM crossings ORDER BY crossing, side`)
	if err != nil {
		return fmt.Errorf("couldn't read the crossings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c CrossingSide
		var allowed string
		if err := rows.Scan(&c.Crossing, &c.Side, &c.Name, &c.Status, &allowed, &c.Since, &c.SincePrecision, &c.Index, &c.Body); err != nil {
			return fmt.Errorf("couldn't read the crossings: %w", err)
		}
		c.Allowed = jsonStrings(allowed)
		d.Crossings = append(d.Crossings, c)
	}
	return rows.Err()
}

// meeting returns the first meeting that where (a condition on start,
// then an order) selects, or nil.
func meeting(ctx context.Context, tx *sql.Tx, where string, at time.Time) (*Meeting, error) {
	var m Meeting
	var start, end, bodies string
	err := tx.QueryRowContext(ctx, `SELECT idx, round, place, start, "end", start_precision, end_precision, bodies FROM meetings
		WHERE `+where+` LIMIT 1`, statement.FormatTime(at)).Scan(&m.Index, &m.Round, &m.Place, &start, &end, &m.StartPrecision, &m.EndPrecision, &bodies)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't read the meetings: %w", err)
	}
	m.Start, _ = statement.ParseTime(start)
	m.End, _ = statement.ParseTime(end)
	m.Bodies = jsonStrings(bodies)
	return &m, nil
}

// LogTime returns the log's time as the views hold it: the latest time a
// statement claims (the core's clock, which only moves forward), or the
// zero time for empty views.
func (db *DB) LogTime(ctx context.Context) (time.Time, error) {
	var at sql.NullString
	if err := db.r.QueryRowContext(ctx, "SELECT MAX(at) FROM statements").Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("couldn't read the log's time: %w", err)
	}
	if !at.Valid {
		return time.Time{}, nil
	}
	t, err := statement.ParseTime(at.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("couldn't read the log's time: %w", err)
	}
	return t, nil
}

// PeriodCases returns the latest cases, by event time, of the period p
// that stand for themselves (no duplicate of another), at most limit:
// the dashboard's small map, which needs of each its id, place_id, lat,
// lon and standing, the columns of the rows. The index on event time is
// walked from the period's end and stops at the limit, however many cases
// the period holds.
func (db *DB) PeriodCases(ctx context.Context, p Period, limit int) ([]Row, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, place_id, lat, lon, standing FROM cases WHERE `+atOrAfter("event_at", "?1")+` AND `+before("event_at", "?2")+` AND +duplicate_of IS NULL
		ORDER BY event_at DESC, id DESC LIMIT ?3`, statement.FormatTime(p.From), statement.FormatTime(p.To), limit)
	if err != nil {
		return nil, fmt.Errorf("couldn't list the cases of the period: %w", err)
	}
	defer rows.Close()
	out, err := scanRows(rows)
	if err != nil {
		return nil, fmt.Errorf("couldn't list the cases of the period: %w", err)
	}
	return out, nil
}
