package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// PeriodCases counts the cases whose event falls in a periodic report's
// period or in the one before it, each event once (a case linked as a
// duplicate of another is left out), that share all the report counts
// them by: the party accused, whether a category asked for is among
// theirs, their standing and their place.
type PeriodCases struct {
	// Last is whether their events fall in the period before.
	Last     bool
	Accused  string
	Flagged  bool // the category PeriodDetail was asked about is theirs
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

// PeriodDetail is what a periodic report reads beyond the counts by party
// and category: the cases of the two periods by event time, counted by
// what the report counts them by, in no order, and the commitments due in
// them by deadline, oldest first.
type PeriodDetail struct {
	Cases       []PeriodCases
	Commitments []PeriodCommitment
}

// PeriodDetail returns the cases and the commitments of the period This
// and of the one before it, Last, read in one snapshot of the views; a
// case is flagged when flag is one of its categories.
func (db *DB) PeriodDetail(ctx context.Context, this, last Period, flag string) (*PeriodDetail, error) {
	if last.To != this.From || !last.From.Before(last.To) || !this.From.Before(this.To) {
		return nil, fmt.Errorf("couldn't read the period's cases: the periods %v and %v do not follow each other", last, this)
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("couldn't read the period's cases: %w", err)
	}
	defer tx.Rollback()
	from, mid, to := statement.FormatTime(last.From), statement.FormatTime(this.From), statement.FormatTime(this.To)
	// Counted in SQL, since a period may hold a million cases; grouped by
	// exact coordinates, which the report rounds for its map. The unary +
	// keeps SQLite from reading every case that is no duplicate by the
	// index on duplicate_of, rather than the periods' by event time.
	rows, err := tx.QueryContext(ctx, `SELECT NOT `+later("c.event_at", "?2")+`, c.accused, c.id IN (SELECT k.case_id FROM case_categories k WHERE k.category = ?4),
			c.standing, c.place_id, c.lat, c.lon, c.admin_country, c.admin1, COUNT(*), MIN(c.id)
		FROM cases c WHERE `+atOrAfter("c.event_at", "?1")+` AND `+before("c.event_at", "?3")+` AND +c.duplicate_of IS NULL
		GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9`, from, mid, to, flag)
	if err != nil {
		return nil, fmt.Errorf("couldn't count the period's cases: %w", err)
	}
	defer rows.Close()
	out := &PeriodDetail{Cases: []PeriodCases{}, Commitments: []PeriodCommitment{}}
	for rows.Next() {
		var c PeriodCases
		if err := rows.Scan(&c.Last, &c.Accused, &c.Flagged, &c.Standing, &c.PlaceID, &c.Lat, &c.Lon,
			&c.Admin.Country, &c.Admin.Admin1, &c.Count, &c.First); err != nil {
			return nil, fmt.Errorf("couldn't count the period's cases: %w", err)
		}
		out.Cases = append(out.Cases, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't count the period's cases: %w", err)
	}
	crows, err := tx.QueryContext(ctx, `SELECT m.idx, NOT `+later("d.due", "?2")+`, m.body, m.label, d.due, d.status, d.closed
		FROM deadlines d JOIN commitments m ON m.idx = d.subject
		WHERE d.name = ?4 AND `+atOrAfter("d.due", "?1")+` AND `+before("d.due", "?3")+` ORDER BY rtrim(d.due, 'Z'), m.idx`, from, mid, to, mechanism.DeadlineCommitment)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the commitments due: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var c PeriodCommitment
		if err := crows.Scan(&c.Index, &c.Last, &c.Party, &c.Group, &c.Deadline, &c.Status, &c.Closed); err != nil {
			return nil, fmt.Errorf("couldn't read the commitments due: %w", err)
		}
		out.Commitments = append(out.Commitments, c)
	}
	if err := crows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't read the commitments due: %w", err)
	}
	return out, nil
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
