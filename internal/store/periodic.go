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

// PeriodFigures are a periodic report's figures that neither the
// dashboard's nor PeriodDetail's hold.
type PeriodFigures struct {
	Findings []PeriodFinding
}

// PeriodFigures returns the findings published in the period This, read
// in one snapshot of the views, sorted by the time of publication then
// index; Last, the period before it, is checked to end where This
// starts.
func (db *DB) PeriodFigures(ctx context.Context, rb *mechanism.Rulebook, this, last Period) (*PeriodFigures, error) {
	if last.To != this.From || !last.From.Before(last.To) || !this.From.Before(this.To) {
		return nil, fmt.Errorf("couldn't read the period's figures: the periods %v and %v do not follow each other", last, this)
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("couldn't read the period's figures: %w", err)
	}
	defer tx.Rollback()
	mid, to := statement.FormatTime(this.From), statement.FormatTime(this.To)
	out := &PeriodFigures{Findings: []PeriodFinding{}}
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
