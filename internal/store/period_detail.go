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
	if last.To != this.From || !last.From.Before(last.To) || !this.From.Before(this.To) {
		return nil, fmt.Errorf("couldn't read the period's cases: the periods %v and %v do not follow each other", last, this)
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("couldn't read the period's cases: %w", err)
	}
	defer tx.Rollback()
	from, mid, to := statement.FormatTime(last.From), statement.FormatTime(this.From), statement.FormatTime(this.To)
	cases, err := casesBetween(ctx, tx, from, to)
	if err != nil {
		return nil, err
	}
	// Counted in SQL, since a period may hold a million cases; grouped by
	// exact coordinates, which the report rounds for its map. The unary +
	// keeps SQLite from reading every case that is no duplicate by the
	// index on duplicate_of, rather than the periods' by event time.
	rows, err := tx.QueryContext(ctx, `SELECT NOT `+later("c.event_at", "?2")+`, c.accused, c.id IN (SELECT k.case_id FROM case_categories k WHERE k.category = ?4),
			c.finding IS NOT NULL, c.standing, c.place_id, c.lat, c.lon, c.admin_country, c.admin1, COUNT(*), MIN(c.id)
		FROM `+cases+` WHERE `+atOrAfter("c.event_at", "?1")+` AND `+before("c.event_at", "?3")+` AND +c.duplicate_of IS NULL
		GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`, from, mid, to, flag)
	if err != nil {
		return nil, fmt.Errorf("couldn't count the period's cases: %w", err)
	}
	defer rows.Close()
	out := &PeriodDetail{Cases: []PeriodCases{}, Commitments: []PeriodCommitment{}}
	for rows.Next() {
		var c PeriodCases
		if err := rows.Scan(&c.Last, &c.Accused, &c.Flagged, &c.Ruled, &c.Standing, &c.PlaceID, &c.Lat, &c.Lon,
			&c.Admin.Country, &c.Admin.Admin1, &c.Count, &c.First); err != nil {
			return nil, fmt.Errorf("couldn't count the period's cases: %w", err)
		}
		out.Cases = append(out.Cases, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't count the period's cases: %w", err)
	}
	out.Complaints = complaints(out.Cases)
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
// high.
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
