package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// AuditTables are the views that sulh audit reads: those of the figures
// it compares (Counts, CaseCounts and the lists of findings, penalties,
// commitments, crossings and publications) and those of the periodic
// reports it makes (Dashboard without deadlines, PeriodFigures,
// PeriodDetail, AddedPlaces, LogTime, ViewsCursor; a report shows no
// meeting). Views that write only these, and of the deadlines only the
// commitments', give the audit the same answers as the whole views
// (TestAuditTables), for a fraction of the rows.
var AuditTables = []string{
	"statements",      // LogTime; the time each finding was published
	"cases",           // every count; the period's cases
	"case_categories", // CaseCounts by category; a period's categories
	"case_counts",     // the dashboard's counts by hour
	"standing_counts", // all cases, whose share in a period picks how PeriodDetail reads them
	"findings",        // the findings list; the findings published
	"penalties",       // the penalties list
	"commitments",     // the commitments list; the commitments due
	"deadlines",       // a commitment's status and its deadline, only theirs
	"crossings",       // the crossings list; the crossing status
	"publications",    // the publications list; the reports to make
	"places",          // the places a report's map and regions name
}

// auditDeadline is the one deadline of the audit's views: a commitment's.
// A case's deadlines, three to a case under the default rulebook, are the
// most rows of all, and no figure the audit compares reads them.
const auditDeadline = mechanism.DeadlineCommitment

// AuditViewsVersion names what views that write only AuditTables hold:
// a short hash of the tables and the deadlines they keep. Views kept by
// one audit are resumed by the next only under the same version.
var AuditViewsVersion = func() string {
	l := slices.Sorted(slices.Values(AuditTables))
	h := sha256.Sum256([]byte(strings.Join(l, ",") + ";deadlines:" + auditDeadline))
	return hex.EncodeToString(h[:4])
}()

// auditUnusedIndexes are the indexes of AuditTables that none of the
// audit's reads needs: they serve the case list's filters and the
// statement list. WriteAuditTablesOnly drops them, as each is one more
// insert for every row. Writing the rows of 20,000 reports took 0.77-0.82
// s without them against 1.09-1.13 s with them (BenchmarkProjectAudit,
// docs/PERFORMANCE.md). TestAuditTables holds the answers the same.
var auditUnusedIndexes = []string{
	"cases_accused", "cases_reporter", "cases_type", "cases_lat", "cases_duplicate_of", "cases_status",
	"statements_kind", "statements_author",
}

// WriteAuditTablesOnly makes the views' transactions of db, and of the new
// views it makes, write only AuditTables, and of the deadlines only the
// commitments'; and drops the indexes that no read of the audit uses
// from its views and from the new views it makes: for sulh audit, whose
// views nothing else reads. Call it before the first transaction.
func (db *DB) WriteAuditTablesOnly(ctx context.Context) error {
	keep := map[string]bool{}
	for _, t := range AuditTables {
		keep[t] = true
	}
	db.skip = map[string]bool{}
	for _, ins := range inserts {
		if !logWrite[insertName(ins, 1)] && !keep[writtenTable(ins.head)] {
			db.skip[ins.name] = true
		}
	}
	for name, q := range writes {
		if !logWrite[name] && !keep[writtenTable(q)] {
			db.skip[name] = true
		}
	}
	return dropAuditUnused(ctx, db.vw)
}

// dropAuditUnused drops auditUnusedIndexes from the views that w writes.
func dropAuditUnused(ctx context.Context, w *sql.DB) error {
	for _, ix := range auditUnusedIndexes {
		if _, err := w.ExecContext(ctx, "DROP INDEX IF EXISTS "+ix); err != nil {
			return fmt.Errorf("couldn't drop the index %s from the audit's views: %w", ix, err)
		}
	}
	return nil
}

// writtenTable is the table that the INSERT or UPDATE q writes.
func writtenTable(q string) string {
	f := strings.Fields(q)
	switch {
	case len(f) > 2 && f[0] == "INSERT" && f[1] == "INTO":
		return f[2]
	case len(f) > 1 && f[0] == "UPDATE":
		return f[1]
	}
	return ""
}
