package store

import (
	"context"
	"fmt"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// PublishedFindings returns a page of the published findings, newest first:
// the finding in force of each case that reached rb's stage of publication
// (mechanism.Rulebook.Published), with its case's summary, place and event
// time. Only findings the findings view holds appear: a sealed finding is
// not there until an endorsement discloses it. Paging is by the finding's
// index, as Filter.Before and Page.Next do for lists; limit is at least 1.
func (db *DB) PublishedFindings(ctx context.Context, rb *mechanism.Rulebook, before int64, limit int) (Page, error) {
	stage := lastStage(rb)
	if stage == "" || limit < 1 {
		return Page{Rows: []Row{}}, nil
	}
	q := `SELECT f.idx, f.case_id, f.outcome, f.party, f.confidence, f.rationale, f.clauses, f.signers, f.endorsed,
			f.rulebook_version, c.summary, c.place_name, c.event_at, c.event_precision, c.reporter, c.accused, c.stage_idx
		FROM cases c JOIN findings f ON f.idx = c.finding
		WHERE c.stage = ?1 AND (?2 = 0 OR f.idx < ?2)
		ORDER BY f.idx DESC LIMIT ?3`
	rows, err := db.r.QueryContext(ctx, q, stage, before, limit)
	if err != nil {
		return Page{}, fmt.Errorf("couldn't list the published findings: %w", err)
	}
	defer rows.Close()
	out, err := scanRows(rows)
	if err != nil {
		return Page{}, fmt.Errorf("couldn't list the published findings: %w", err)
	}
	p := Page{Rows: out}
	if len(out) == limit {
		p.Next, _ = out[len(out)-1]["idx"].(int64)
	}
	return p, nil
}

// StatementCases returns the cases a statement belongs to, by id, in
// order: none for a statement about no case.
func (db *DB) StatementCases(ctx context.Context, idx int64) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT case_id FROM case_statements WHERE idx = ? ORDER BY case_id`, idx)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the cases of statement %d: %w", idx, err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("couldn't read the cases of statement %d: %w", idx, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't read the cases of statement %d: %w", idx, err)
	}
	return out, nil
}
