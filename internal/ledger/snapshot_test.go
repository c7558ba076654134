package ledger_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// snapshotHeader is the size of the ledger's header before the core's
// snapshot: a magic line, the tree size and the tree hash.
const snapshotHeader = len("sulh state snapshot\n") + 8 + 32

// withSnapshots makes a demo mechanism that takes a state snapshot every
// 50 entries, files n reports, and closes it.
func withSnapshots(t *testing.T, n int) (m *demo.Mechanism, dir string, sign func(i int) []byte) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	m, err := demo.Create(ctx, dir, mechanism.DefaultRulebook, demo.Start, ledger.Options{SnapshotEvery: 50})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	sign = func(i int) []byte { return report(t, m, "pakistan-liaison-1", i) }
	for i := range n {
		if _, err := m.Log.Submit(ctx, sign(i)); err != nil {
			t.Fatal(err)
		}
	}
	m.Log.Close()
	return m, dir, sign
}

func reopen(t *testing.T, dir string) (*datadir.Node, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	n, err := datadir.Open(context.Background(), dir, ledger.Options{SnapshotEvery: 50, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n, reg
}

// gauge returns the value of a gauge in reg.
func gauge(reg *prometheus.Registry, name string) float64 {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1
}

// waitVerified waits for the background check of the log before the
// snapshot to reach want entries.
func waitVerified(t *testing.T, reg *prometheus.Registry, want int64) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if int64(gauge(reg, "sulh_log_verified_entries")) >= want {
			return
		}
	}
	t.Fatalf("the log before the snapshot was not verified up to %d", want)
}

// TestStartFromSnapshot: a log reopened starts from its state snapshot and
// goes on exactly as if it had replayed everything: the same texts are
// duplicates, the next index follows, and the views are what a rebuild
// makes.
func TestStartFromSnapshot(t *testing.T) {
	ctx := context.Background()
	_, dir, sign := withSnapshots(t, 230)
	b, err := os.ReadFile(store.SnapshotFile(filepath.Join(dir, datadir.DatabaseFile)))
	if err != nil {
		t.Fatalf("no snapshot after Close: %v", err)
	}
	if info, _ := os.Stat(store.SnapshotFile(filepath.Join(dir, datadir.DatabaseFile))); info.Mode().Perm() != 0o600 {
		t.Errorf("the snapshot is mode %v, want 0600", info.Mode().Perm())
	}
	n, reg := reopen(t, dir)
	size := n.Checkpoint().N
	st, err := mechanism.UnmarshalSnapshot(b[snapshotHeader:])
	if err != nil || st.Size != size {
		t.Fatalf("the snapshot Close saved: %v, size %v, want the log's %d", err, st, size)
	}
	if got := int64(gauge(reg, "sulh_state_snapshot_loaded_entries")); got != size {
		t.Errorf("started from a snapshot of %d entries, want all %d", got, size)
	}
	waitVerified(t, reg, size)
	if _, err := n.Submit(ctx, sign(7)); code(err) != statement.CodeDuplicate {
		t.Errorf("a report filed before the snapshot, again: %v, want a duplicate", err)
	}
	r, err := n.Submit(ctx, sign(1000))
	if err != nil || r.Index != size {
		t.Fatalf("a new report: %v at %d, want %d", err, r.Index, size)
	}
	if err := n.WaitViews(ctx, r.Index+1); err != nil {
		t.Fatal(err)
	}
	n.Close()
	res, err := datadir.Rebuild(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Before != res.After {
		t.Errorf("the views after starting from a snapshot differ from a rebuild's")
	}
}

// TestSnapshotRefused: a snapshot that does not decode, or is of another
// tree, is set aside and the whole log replayed; one that decodes and
// names the right tree but holds another state is found out by the
// background check, which then stops the log.
func TestSnapshotRefused(t *testing.T) {
	ctx := context.Background()
	_, dir, sign := withSnapshots(t, 120)
	file := store.SnapshotFile(filepath.Join(dir, datadir.DatabaseFile))
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"truncated":    good[:len(good)/2],
		"another tree": append(append(append([]byte{}, good[:snapshotHeader-1]...), good[snapshotHeader-1]^1), good[snapshotHeader:]...),
		"flipped byte": append(append([]byte{}, good[:len(good)-40]...), append([]byte{good[len(good)-40] ^ 0x10}, good[len(good)-39:]...)...),
		"empty":        {},
	} {
		if err := os.WriteFile(file, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		n, reg := reopen(t, dir)
		if got := gauge(reg, "sulh_state_snapshot_loaded_entries"); got != 0 {
			t.Errorf("%s snapshot: started from it (%v entries)", name, got)
		}
		waitVerified(t, reg, n.Checkpoint().N)
		if _, err := n.Submit(ctx, sign(1)); code(err) != statement.CodeDuplicate {
			t.Errorf("%s snapshot: a report filed before, again: %v, want a duplicate from the replayed state", name, err)
		}
		n.Close()
	}

	// The same tree, another state: the rulebook's title changed.
	st, err := mechanism.UnmarshalSnapshot(good[snapshotHeader:])
	if err != nil {
		t.Fatal(err)
	}
	rb := *st.Rulebook
	rb.Title = "A mechanism someone edited"
	st.Rulebook = &rb
	forged, err := st.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(append([]byte{}, good[:snapshotHeader]...), forged...), 0o600); err != nil {
		t.Fatal(err)
	}
	n, _ := reopen(t, dir)
	var err2 error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err2 = n.Submit(ctx, sign(5000+int(time.Now().UnixNano()%1000))); code(err2) == statement.CodeInternal {
			break
		}
	}
	if code(err2) != statement.CodeInternal {
		t.Fatalf("a forged snapshot: statements are still taken (%v); the background check should stop the log", err2)
	}
}
