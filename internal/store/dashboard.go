package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	// Upcoming is the most deadlines due after At that are listed.
	Upcoming int
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
	// Overdue are the deadlines still open whose time passed by At
	// (mechanism.Overdue); Missed counts, by deadline name, those the log
	// found missed that were due in each period.
	Overdue []DueDeadline
	Missed  []Figure
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
	// The periods' events: the index on event time finds them.
	if d.ByReporter, err = figures("the reports by body", `SELECT reporter, SUM(event_at >= ?2), SUM(event_at < ?2) FROM cases
		WHERE event_at >= ?1 AND event_at < ?3 AND duplicate_of IS NULL GROUP BY reporter ORDER BY reporter`, from, mid, to); err != nil {
		return nil, err
	}
	if d.ByCategory, err = figures("the reports by category", `SELECT k.category, SUM(c.event_at >= ?2), SUM(c.event_at < ?2)
		FROM cases c JOIN case_categories k ON k.case_id = c.id
		WHERE c.event_at >= ?1 AND c.event_at < ?3 AND c.duplicate_of IS NULL GROUP BY k.category ORDER BY k.category`, from, mid, to); err != nil {
		return nil, err
	}
	if d.ByStanding, err = figures("the cases by standing", `SELECT standing, SUM(event_at >= ?2), SUM(event_at < ?2) FROM cases
		WHERE event_at >= ?1 AND event_at < ?3 AND duplicate_of IS NULL GROUP BY standing ORDER BY standing`, from, mid, to); err != nil {
		return nil, err
	}
	all, err := figures("every case by standing", `SELECT standing, COUNT(*), 0 FROM cases
		WHERE duplicate_of IS NULL GROUP BY standing`)
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
	if err := d.deadlines(ctx, tx, q); err != nil {
		return nil, err
	}
	if d.Missed, err = figures("the missed deadlines", `SELECT name, SUM(due >= ?2), SUM(due < ?2) FROM deadlines
		WHERE status = ?4 AND due >= ?1 AND due < ?3 GROUP BY name ORDER BY name`, from, mid, to, mechanism.DeadlineMissed); err != nil {
		return nil, err
	}
	if err := d.crossings(ctx, tx); err != nil {
		return nil, err
	}
	if d.Next, err = meeting(ctx, tx, "start >= ? ORDER BY start, idx", q.At); err != nil {
		return nil, err
	}
	if d.Last, err = meeting(ctx, tx, "start < ? ORDER BY start DESC, idx DESC", q.At); err != nil {
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
	rows, err := tx.QueryContext(ctx, `SELECT reporter, CAST((unixepoch(event_at) - ?1) / 604800 AS INTEGER) AS w, COUNT(*) FROM cases
		WHERE event_at >= ?2 AND event_at < ?3 AND duplicate_of IS NULL GROUP BY reporter, w ORDER BY reporter, w`,
		start.Unix(), statement.FormatTime(start), statement.FormatTime(q.This.To))
	if err != nil {
		return fmt.Errorf("couldn't count the reports by week: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var w WeekCount
		if err := rows.Scan(&w.Body, &w.Week, &w.Count); err != nil {
			return fmt.Errorf("couldn't count the reports by week: %w", err)
		}
		if w.Week >= 0 && w.Week < q.Weeks {
			d.Weekly = append(d.Weekly, w)
		}
	}
	return rows.Err()
}

// deadlines reads the open deadlines: those overdue by q.At, and the
// first q.Upcoming due after it.
func (d *Dashboard) deadlines(ctx context.Context, tx *sql.Tx, q DashboardQuery) error {
	at := statement.FormatTime(q.At)
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
	// The index on (status, due) narrows the open deadlines to those due
	// by At; mechanism.Overdue decides.
	open, err := read("status = ? AND due <= ? ORDER BY due", mechanism.DeadlineOpen, at)
	if err != nil {
		return err
	}
	for _, dl := range open {
		if dl.OverdueAtNow {
			d.Overdue = append(d.Overdue, dl)
		}
	}
	if q.Upcoming > 0 {
		d.Upcoming, err = read("status = ? AND due > ? ORDER BY due LIMIT ?", mechanism.DeadlineOpen, at, q.Upcoming)
	}
	return err
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
