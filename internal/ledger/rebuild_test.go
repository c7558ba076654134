package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/store"
)

func TestRebuild(t *testing.T) {
	ctx := context.Background()
	m, dir := newMechanism(t)
	if err := m.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := m.Log.Submit(ctx, report(t, m, "pakistan-liaison-1", 100+i)); err != nil {
			t.Fatal(err)
		}
	}
	// No rebuild while a server holds the mechanism.
	if _, err := datadir.Rebuild(ctx, dir, nil); err == nil || !strings.Contains(err.Error(), "another sulh process") {
		t.Fatalf("Rebuild with the log open: %v", err)
	}
	m.Log.Close()

	size, digest, err := datadir.Digest(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if size != 60 {
		t.Fatalf("Digest: size %d, want 60", size)
	}
	var calls int
	res, err := datadir.Rebuild(ctx, dir, func(done, total int64) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if res.Size != size || res.Before != digest || res.After != digest || calls == 0 {
		t.Fatalf("Rebuild: %+v (progress called %d times); want size %d and digest %x before and after", res, calls, size, digest)
	}

	// Views edited behind the log's back change the digest; a rebuild
	// restores them from the log.
	db, err := sql.Open("sqlite", "file:"+store.ViewsFile(filepath.Join(dir, datadir.DatabaseFile)))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"UPDATE cases SET stage = 'published' WHERE id = 9",
		"DELETE FROM claims WHERE idx = 8",
		"INSERT INTO actors (actor, body, label, first, last, mentions) VALUES ('x', 'pakistan', 'forged', 1, 1, 1)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	_, tampered, err := datadir.Digest(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if tampered == digest {
		t.Fatal("the digest did not change when the views were edited")
	}
	res, err = datadir.Rebuild(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Before != tampered || res.After != digest {
		t.Fatalf("Rebuild of edited views: before %x after %x; want %x and %x", res.Before, res.After, tampered, digest)
	}

	// The log is untouched and opens as before.
	l, err := datadir.Open(ctx, dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Checkpoint().N != size {
		t.Fatalf("after rebuild the log has %d entries, want %d", l.Checkpoint().N, size)
	}
}

// TestRebuildMatchesFollower: the views a rebuild writes, replaying the
// log in chunks verified ahead of the writes, many rows to a statement,
// are those the follower wrote as the log grew, to the digest: every kind
// of the demo's scenario, then enough reports, in batches of many, for the
// replay to span several chunks and the follower many transactions, their
// deadlines missed as the log's time moves on. The views keep the same
// indexes.
func TestRebuildMatchesFollower(t *testing.T) {
	ctx := context.Background()
	m, dir := newMechanism(t)
	if err := m.Members(ctx); err != nil {
		t.Fatal(err)
	}
	story, err := m.Scenario(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2500
	msgs := make([][]byte, n)
	for i := range msgs {
		author := []string{"pakistan-liaison-1", "afghanistan-liaison-1"}[i%2]
		at := story.End.Add(time.Duration(i) * 5 * time.Minute)
		msgs[i], err = m.Sign(mechanism.KindReport, author, at, demo.SampleReport(fmt.Sprintf("report %d", i), accusedBy(author), at.Add(-time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
	}
	for start := 0; start < n; start += 250 {
		var wg sync.WaitGroup
		for _, msg := range msgs[start:min(start+250, n)] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := m.Log.Submit(ctx, msg); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	if t.Failed() {
		t.FailNow()
	}
	size := m.Log.Checkpoint().N
	if err := m.Log.WaitViews(ctx, size); err != nil {
		t.Fatal(err)
	}
	m.Log.Close()
	indexes := viewIndexes(t, dir)

	followed, digest, err := datadir.Digest(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	// A rebuild stopped halfway, while the digest of the views before is
	// read beside it, leaves the views as they were.
	cctx, cancel := context.WithCancel(ctx)
	_, err = datadir.Rebuild(cctx, dir, func(done, total int64) {
		if done < total {
			cancel()
		}
	})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a rebuild stopped halfway: %v", err)
	}
	if _, d, err := datadir.Digest(ctx, dir); err != nil || d != digest {
		t.Fatalf("after a rebuild stopped halfway the views' digest is %x (%v), want %x", d, err, digest)
	}
	res, err := datadir.Rebuild(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if followed != size || res.Size != size || res.Before != digest || res.After != digest {
		t.Fatalf("rebuild of %d entries (the follower's views at %d): digest %x, the follower's %x", res.Size, followed, res.After, digest)
	}
	if got := viewIndexes(t, dir); !slices.Equal(got, indexes) {
		t.Fatalf("after the rebuild the views have the indexes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(indexes, "\n"))
	}
}

// viewIndexes returns the definitions of the indexes of the views'
// database in dir, in order.
func viewIndexes(t *testing.T, dir string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+store.ViewsFile(filepath.Join(dir, datadir.DatabaseFile)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT name || ': ' || coalesce(sql, 'automatic') FROM sqlite_schema WHERE type = 'index' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 20 {
		t.Fatalf("the views have %d indexes: %q", len(out), out)
	}
	return out
}

func TestRebuildNoMechanism(t *testing.T) {
	if _, err := datadir.Rebuild(context.Background(), t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "holds no mechanism") {
		t.Fatalf("Rebuild of an empty folder: %v", err)
	}
}

// TestReplayTo replays the log's first entries into views apart from the
// live ones: they hold those entries and no more, the state is the
// core's after them, the live views are untouched, and a size the log
// does not hold is refused.
func TestReplayTo(t *testing.T) {
	ctx := context.Background()
	m, _ := newMechanism(t)
	if err := m.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := m.Log.Submit(ctx, report(t, m, "pakistan-liaison-1", 100+i)); err != nil {
			t.Fatal(err)
		}
	}
	n := m.Log.Checkpoint().N
	if err := m.Log.WaitViews(ctx, n); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{1, n - 4, n} {
		db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "at.db"))
		if err != nil {
			t.Fatal(err)
		}
		state, err := m.Log.ReplayTo(ctx, db, size)
		if err != nil {
			t.Fatal(err)
		}
		at, err := db.ViewsCursor(ctx)
		if err != nil || at != size || state.Size != size || state.Rulebook == nil {
			t.Errorf("replayed to %d: views at %d (%v), state of %d entries", size, at, err, state.Size)
		}
		var listed int64
		if err := db.Each(ctx, "statements", store.Filter{}, func(store.Row) error { listed++; return nil }); err != nil || listed != size {
			t.Errorf("replayed to %d: the views list %d statements (%v)", size, listed, err)
		}
		db.Close()
	}
	if at := m.Log.ViewsAt(); at != n {
		t.Errorf("the live views moved to %d", at)
	}
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "at.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := m.Log.ReplayTo(ctx, db, n+1); err == nil {
		t.Error("replayed to a size beyond the log")
	}
}
