package store

import (
	"fmt"
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// TestCountNewCases holds countNewCases to what the trigger it replaces
// counted: a category once however often a case lists it, "" as the case
// itself, a duplicate not at all, and the same row of counts for cases of
// the same hour, reporter, category and standing.
func TestCountNewCases(t *testing.T) {
	tx := &Tx{queued: newQueued()}
	open := func(id int64, hour, reporter, standing string, duplicateOf int64, categories ...string) {
		tx.cases[id] = len(tx.caseOrder)
		tx.caseOrder = append(tx.caseOrder, mechanism.CaseState{ID: id, Standing: standing, DuplicateOf: duplicateOf})
		tx.newCases = append(tx.newCases, pendingCase{id: id, hour: hour, reporter: reporter, categories: categories})
	}
	open(1, "2025-11-01T10", "pakistan", "pending", -1, "cross_border_fire", "cross_border_fire", "")
	open(2, "2025-11-01T10", "pakistan", "pending", -1, "cross_border_fire")
	open(3, "2025-11-01T10", "pakistan", "pending", 1, "cross_border_fire")
	open(4, "2025-11-01T11", "afghanistan", "closed", -1)
	tx.countNewCases()
	got := fmt.Sprint(tx.rows["case.count"], " ", tx.rows["standing.count"])
	want := "[2025-11-01T10 pakistan  pending 2 2025-11-01T10 pakistan cross_border_fire pending 2 2025-11-01T11 afghanistan  closed 1] [pending 2 closed 1]"
	if got != want {
		t.Fatalf("counts queued:\n%s\nwant\n%s", got, want)
	}
}
