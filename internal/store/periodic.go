package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// PartyComplaints are the complaints against one party (the cases that
// accuse it, each event once) whose event falls in a period, by the
// standing the core gave them (mechanism.Rulebook.Standing, the views'
// standing column): Received all of them, Ruled those with a finding
// filed, and one count per standing. Last is how many it received in the
// period before.
type PartyComplaints struct {
	Party                              string
	Received, Ruled                    int64
	Verified, Cleared, Pending, Closed int64
	Last                               int64
}

// PeriodFinding is a finding published in a period: the finding in force
// of a case that reached the rulebook's stage of publication by a
// statement whose time falls in the period.
type PeriodFinding struct {
	Index, Case                 int64
	Outcome, Party, Confidence  string
	Summary, Published, EventAt string
}

// PeriodFigures are a periodic report's figures that the dashboard's do
// not hold.
type PeriodFigures struct {
	Complaints []PartyComplaints
	Findings   []PeriodFinding
}

// PeriodFigures returns, for the period This and the one before it,
// Last, the complaints against each party and the findings published in
// This, read in one snapshot of the views, sorted by party and by the
// time of publication then index.
func (db *DB) PeriodFigures(ctx context.Context, rb *mechanism.Rulebook, this, last Period) (*PeriodFigures, error) {
	if last.To != this.From || !last.From.Before(last.To) || !this.From.Before(this.To) {
		return nil, fmt.Errorf("couldn't read the period's figures: the periods %v and %v do not follow each other", last, this)
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("couldn't read the period's figures: %w", err)
	}
	defer tx.Rollback()
	from, mid, to := statement.FormatTime(last.From), statement.FormatTime(this.From), statement.FormatTime(this.To)
	// The unary + as in PeriodDetail: the periods' cases by event time.
	rows, err := tx.QueryContext(ctx, `SELECT accused, standing, SUM(`+later("event_at", "?2")+`), SUM(`+later("event_at", "?2")+` AND finding IS NOT NULL), SUM(NOT `+later("event_at", "?2")+`)
		FROM cases WHERE `+atOrAfter("event_at", "?1")+` AND `+before("event_at", "?3")+` AND +duplicate_of IS NULL AND accused != ''
		GROUP BY accused, standing ORDER BY accused, standing`, from, mid, to)
	if err != nil {
		return nil, fmt.Errorf("couldn't count the complaints: %w", err)
	}
	defer rows.Close()
	out := &PeriodFigures{Complaints: []PartyComplaints{}, Findings: []PeriodFinding{}}
	for rows.Next() {
		var party, standing string
		var n, ruled, before int64
		if err := rows.Scan(&party, &standing, &n, &ruled, &before); err != nil {
			return nil, fmt.Errorf("couldn't count the complaints: %w", err)
		}
		if len(out.Complaints) == 0 || out.Complaints[len(out.Complaints)-1].Party != party {
			out.Complaints = append(out.Complaints, PartyComplaints{Party: party})
		}
		c := &out.Complaints[len(out.Complaints)-1]
		c.Received += n
		c.Ruled += ruled
		c.Last += before
		switch standing {
		case mechanism.StandingVerified:
			c.Verified += n
		case mechanism.StandingCleared:
			c.Cleared += n
		case mechanism.StandingPending:
			c.Pending += n
		case mechanism.StandingClosed:
			c.Closed += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't count the complaints: %w", err)
	}
	stage := lastStage(rb)
	if stage == "" {
		return out, nil
	}
	// As PublishedFindings reads them, bounded by the time of the
	// statement that published the case.
	frows, err := tx.QueryContext(ctx, `SELECT f.idx, f.case_id, f.outcome, f.party, f.confidence, c.summary, s.at, c.event_at
		FROM cases c JOIN findings f ON f.idx = c.finding JOIN statements s ON s.idx = c.stage_idx
		WHERE c.stage = ?1 AND `+atOrAfter("s.at", "?2")+` AND `+before("s.at", "?3")+` ORDER BY rtrim(s.at, 'Z'), f.idx`, stage, mid, to)
	if err != nil {
		return nil, fmt.Errorf("couldn't list the findings published: %w", err)
	}
	defer frows.Close()
	for frows.Next() {
		var f PeriodFinding
		if err := frows.Scan(&f.Index, &f.Case, &f.Outcome, &f.Party, &f.Confidence, &f.Summary, &f.Published, &f.EventAt); err != nil {
			return nil, fmt.Errorf("couldn't list the findings published: %w", err)
		}
		out.Findings = append(out.Findings, f)
	}
	if err := frows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't list the findings published: %w", err)
	}
	return out, nil
}
