package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// TestOverdueCountReadsTheIndex: the dashboard counts the overdue
// deadlines from the index on (status, due, name) alone, without reading
// each deadline's row, on every request; on a log of a million reports
// that was three million rows.
func TestOverdueCountReadsTheIndex(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "sulh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+overdueCount, mechanism.DeadlineOpen, "2025-11-01T00:00:00", mechanism.DeadlineReply)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(plan) != 1 || !strings.Contains(plan[0], "USING COVERING INDEX deadlines_open_due") {
		t.Errorf("the overdue deadlines are counted by %q, not from the index deadlines_open_due alone", plan)
	}
}
