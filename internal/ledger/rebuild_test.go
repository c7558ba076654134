package ledger_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/ledger"
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

func TestRebuildNoMechanism(t *testing.T) {
	if _, err := datadir.Rebuild(context.Background(), t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "holds no mechanism") {
		t.Fatalf("Rebuild of an empty folder: %v", err)
	}
}
