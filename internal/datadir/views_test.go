package datadir_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/store"
)

// TestOpenViewsReadsTheLog checks that the views a command opens beside a
// running server read the log's entries from its files: the rulebook, and
// a case's history as signed.
func TestOpenViewsReadsTheLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	m, _, err := demo.Full(ctx, dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Log.Close()
	db, closeViews, err := datadir.OpenViews(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer closeViews()
	rb, err := db.Rulebook(ctx)
	if err != nil {
		t.Fatalf("the rulebook: %v", err)
	}
	genesis, _, _, err := m.Log.Entry(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rb, genesis) {
		t.Fatalf("the rulebook read beside the server is not the log's entry 0:\n%s", rb)
	}
	cases, err := db.List(ctx, "cases", store.Filter{Limit: 1})
	if err != nil || len(cases.Rows) == 0 {
		t.Fatalf("no case listed: %v", err)
	}
	id, _ := cases.Rows[0]["id"].(int64)
	history, err := db.History(ctx, id)
	if err != nil || len(history) == 0 {
		t.Fatalf("the history of case %d: %d statements, %v", id, len(history), err)
	}
	opening, _, _, _ := m.Log.Entry(ctx, id)
	if history[0]["data"] != string(opening) {
		t.Fatalf("case %d's history opens with %v, not its report as signed", id, history[0]["data"])
	}
	if _, _, err := datadir.OpenViews(ctx, t.TempDir()); err == nil {
		t.Fatalf("a folder with no mechanism: %v", err)
	}
}
