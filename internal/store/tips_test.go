package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sulh-project/sulh/internal/store"
)

// TestTips: a tip is kept with its files and read back, newest first and
// a page at a time; a tip that is not there is ErrNotFound; and tips
// survive the database being closed and opened again, in the log's
// database, not the views' that a rebuild replaces.
func TestTips(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "sulh.db")
	db, err := store.OpenSQLite(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	first := store.Tip{ReceivedAt: "2025-12-06T01:00:00Z", Text: "Shelling heard near Chaman <script>", Place: "Chaman",
		EventAt: "2025-12-05T17:00:00Z", Contact: "+92 300 0000000", Language: "ur",
		Files: []store.TipFile{{SHA256: "ab", Name: "a.jpg", MediaType: "image/jpeg", Size: 10}}}
	id1, err := db.AddTip(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := db.AddTip(ctx, store.Tip{ReceivedAt: "2025-12-06T02:00:00Z", Text: "A second tip", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if id2 <= id1 {
		t.Fatalf("ids %d then %d", id1, id2)
	}
	db.Close()
	if db, err = store.OpenSQLite(ctx, file); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Tip(ctx, id1)
	if err != nil {
		t.Fatal(err)
	}
	first.ID = id1
	if got.Text != first.Text || got.Place != first.Place || got.EventAt != first.EventAt || got.Contact != first.Contact ||
		len(got.Files) != 1 || got.Files[0] != first.Files[0] {
		t.Errorf("tip %d came back as %+v", id1, got)
	}
	all, err := db.Tips(ctx, 0, 10)
	if err != nil || len(all) != 2 || all[0].ID != id2 || all[1].ID != id1 || all[0].Files == nil {
		t.Errorf("tips: %+v %v; want %d then %d, files never null", all, err, id2, id1)
	}
	older, err := db.Tips(ctx, id2, 10)
	if err != nil || len(older) != 1 || older[0].ID != id1 {
		t.Errorf("tips before %d: %+v %v", id2, older, err)
	}
	if _, err := db.Tip(ctx, id2+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a tip that is not there: %v", err)
	}
}
