package filelog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/filelog"
	"github.com/sulh-project/sulh/internal/ledger"
)

// side keeps sealed bodies and the snapshot in memory, and fails its
// puts when told to.
type side struct {
	mu      sync.Mutex
	bodies  map[int64]string
	snap    []byte
	failPut bool
	syncs   int
}

func newSide() *side { return &side{bodies: map[int64]string{}} }

func (s *side) PutSealedBodies(_ context.Context, bodies []filelog.SealedBody) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failPut {
		return errors.New("no space left on device")
	}
	for _, b := range bodies {
		s.bodies[b.Index] = string(b.Salt) + "/" + string(b.Body)
	}
	return nil
}

func (s *side) DropSealedBodies(_ context.Context, from int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.bodies {
		if i >= from {
			delete(s.bodies, i)
		}
	}
	return nil
}

func (s *side) Sync(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncs++
	return nil
}

func (s *side) LoadSnapshot(context.Context) ([]byte, error)   { return s.snap, nil }
func (s *side) SaveSnapshot(_ context.Context, b []byte) error { s.snap = b; return nil }

// model is what the log should hold: its entries and stored hashes.
type model struct {
	entries [][]byte
	hashes  []tlog.Hash
}

func entry(i int64) []byte {
	return fmt.Appendf(nil, "entry %d %s", i, strings.Repeat("x", int(i%37)))
}

// appendBatch appends n entries in one transaction, entry sealedAt (if in
// the batch) with a sealed body, sets its checkpoint and commits.
func (m *model) appendBatch(t *testing.T, l *filelog.Log, n int, sealedAt int64) error {
	t.Helper()
	ctx := context.Background()
	tx, err := l.BeginLog(ctx)
	if err != nil {
		return err
	}
	hashes := m.hashes
	reader := tlog.HashReaderFunc(func(ids []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ids))
		for i, id := range ids {
			out[i] = hashes[id]
		}
		return out, nil
	})
	size := int64(len(m.entries))
	var added [][]byte
	for range n {
		data := entry(size)
		if err := tx.AppendEntry(size, tlog.RecordHash(data), data, time.Now()); err != nil {
			t.Fatal(err)
		}
		hs, err := tlog.StoredHashes(size, data, reader)
		if err != nil {
			t.Fatal(err)
		}
		for k, h := range hs {
			if err := tx.PutHash(tlog.StoredHashIndex(0, size)+int64(k), h); err != nil {
				t.Fatal(err)
			}
		}
		hashes = append(hashes, hs...)
		if size == sealedAt {
			if err := tx.PutSealedBody(size, []byte("salt"), []byte("body")); err != nil {
				t.Fatal(err)
			}
		}
		added = append(added, data)
		size++
	}
	if err := tx.SetCheckpoint(size, fmt.Appendf(nil, "checkpoint %d\n", size)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	m.entries, m.hashes = append(m.entries, added...), hashes
	return nil
}

// check holds the log to the model.
func (m *model) check(t *testing.T, l *filelog.Log) {
	t.Helper()
	ctx := context.Background()
	size, signed, err := l.Checkpoint(ctx)
	n := int64(len(m.entries))
	if err != nil || size != n || (n > 0 && string(signed) != fmt.Sprintf("checkpoint %d\n", n)) {
		t.Fatalf("checkpoint: %d %q %v; want %d", size, signed, err, n)
	}
	var got [][]byte
	if err := l.Entries(ctx, 0, n, func(i int64, data []byte) error {
		if i != int64(len(got)) {
			t.Fatalf("entry %d given as %d", len(got), i)
		}
		got = append(got, data)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range m.entries {
		if !bytes.Equal(got[i], m.entries[i]) {
			t.Fatalf("entry %d: %q, want %q", i, got[i], m.entries[i])
		}
		one, err := l.Entry(ctx, int64(i))
		if err != nil || !bytes.Equal(one, m.entries[i]) {
			t.Fatalf("entry %d alone: %q %v", i, one, err)
		}
	}
	if _, err := l.Entry(ctx, n); !errors.Is(err, ledger.ErrNotStored) {
		t.Fatalf("entry %d past the end: %v", n, err)
	}
	// Entry bundles, appended after what a reused buffer holds.
	for _, r := range [][2]int64{{0, n}, {n / 3, n}, {n - 1, n}, {0, min(n, 256)}} {
		if r[0] < 0 || r[0] >= r[1] {
			continue
		}
		want := []byte("held")
		for _, e := range m.entries[r[0]:r[1]] {
			want, _ = torchwood.AppendTileEntry(want, e)
		}
		got, err := l.AppendBundle(ctx, []byte("held"), r[0], r[1])
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("bundle of entries [%d, %d): %v\n%q\nwant\n%q", r[0], r[1], err, got, want)
		}
	}
	for _, r := range [][2]int64{{n, n + 1}, {0, n + 1}, {1, 1}, {-1, 1}} {
		if _, err := l.AppendBundle(ctx, nil, r[0], r[1]); !errors.Is(err, ledger.ErrNotStored) {
			t.Fatalf("bundle of entries [%d, %d) of %d: %v", r[0], r[1], n, err)
		}
	}
	var hashes []tlog.Hash
	if err := l.HashRange(ctx, 0, tlog.StoredHashCount(n), func(_ int64, h tlog.Hash) error {
		hashes = append(hashes, h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(hashes) != len(m.hashes) {
		t.Fatalf("%d stored hashes, want %d", len(hashes), len(m.hashes))
	}
	for i := range hashes {
		if hashes[i] != m.hashes[i] {
			t.Fatalf("stored hash %d differs", i)
		}
	}
	// Ids in order, in runs close together or far apart, backwards,
	// twice, and one past the end.
	all := len(m.hashes)
	for _, ids := range [][]int64{
		iota(0, all, 1), iota(0, all, 3), iota(0, all, 40), iota(all-1, -1, -1),
		{0, 0, int64(all) - 1, int64(all) - 1}, {int64(all) - 1, 0, int64(all) - 1},
	} {
		if all == 0 {
			break
		}
		hs, err := l.HashReader(ctx).ReadHashes(ids)
		if err != nil || len(hs) != len(ids) {
			t.Fatalf("hashes %v: %d, %v", ids, len(hs), err)
		}
		for i, id := range ids {
			if hs[i] != m.hashes[id] {
				t.Fatalf("stored hash %d read as one of %v differs", id, ids)
			}
		}
	}
	if _, err := l.HashReader(ctx).ReadHashes([]int64{0, int64(all)}); !errors.Is(err, ledger.ErrNotStored) {
		t.Fatalf("hash %d past the end: %v", all, err)
	}
	if n > 0 {
		root, err := tlog.TreeHash(n, l.HashReader(ctx))
		want, _ := tlog.TreeHash(n, tlog.HashReaderFunc(func(ids []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(ids))
			for i, id := range ids {
				out[i] = m.hashes[id]
			}
			return out, nil
		}))
		if err != nil || root != want {
			t.Fatalf("tree hash %x (%v), want %x", root, err, want)
		}
	}
}

// iota returns the ids from, from+step, ... up to to, not included.
func iota(from, to, step int) []int64 {
	var ids []int64
	for i := from; (step > 0 && i < to) || (step < 0 && i > to); i += step {
		ids = append(ids, int64(i))
	}
	return ids
}

func mustOpen(t *testing.T, dir string, s filelog.Side) *filelog.Log {
	t.Helper()
	l, err := filelog.Open(context.Background(), dir, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestAppendAndRead appends batches, reads every entry, hash and tree
// hash back, before and after opening the files again, and finds each
// entry by its leaf hash.
func TestAppendAndRead(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "log")
	s := newSide()
	l := mustOpen(t, dir, s)
	var m model
	m.check(t, l)
	for b := range 20 {
		if err := m.appendBatch(t, l, 1+b*7, -1); err != nil {
			t.Fatal(err)
		}
		if err := l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	m.check(t, l)
	tx, _ := l.BeginLog(ctx)
	for _, i := range []int64{0, 1, 500, int64(len(m.entries)) - 1} {
		if got, err := tx.LeafIndex(tlog.RecordHash(m.entries[i])); err != nil || got != i {
			t.Fatalf("leaf of entry %d: %d %v", i, got, err)
		}
	}
	if _, err := tx.LeafIndex(tlog.RecordHash([]byte("never appended"))); !errors.Is(err, ledger.ErrNotStored) {
		t.Fatalf("a leaf never appended: %v", err)
	}
	tx.Rollback()
	// Entries appended after the leaves were read are found too.
	if err := m.appendBatch(t, l, 3, -1); err != nil {
		t.Fatal(err)
	}
	tx, _ = l.BeginLog(ctx)
	last := int64(len(m.entries)) - 1
	if got, err := tx.LeafIndex(tlog.RecordHash(m.entries[last])); err != nil || got != last {
		t.Fatalf("leaf of entry %d: %d %v", last, got, err)
	}
	tx.Rollback()
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	m.check(t, mustOpen(t, dir, s))
	if size, err := filelog.Size(dir); err != nil || size != int64(len(m.entries)) {
		t.Fatalf("Size: %d %v", size, err)
	}
	if _, err := filelog.Size(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Size of a folder with no log: %v", err)
	}
}

// TestBundleOfALongEntry checks that an entry longer than an entry bundle
// can say is refused, not cut to its length's last two bytes.
func TestBundleOfALongEntry(t *testing.T) {
	ctx := context.Background()
	l := mustOpen(t, filepath.Join(t.TempDir(), "log"), newSide())
	tx, err := l.BeginLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, data := range [][]byte{[]byte("short"), bytes.Repeat([]byte("x"), 0x10000)} {
		if err := tx.AppendEntry(int64(i), tlog.RecordHash(data), data, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.SetCheckpoint(2, []byte("checkpoint 2\n")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, err := l.AppendBundle(ctx, nil, 0, 1); err != nil || string(b) != "\x00\x05short" {
		t.Fatalf("bundle of the short entry: %q %v", b, err)
	}
	if b, err := l.AppendBundle(ctx, nil, 0, 2); err == nil || !strings.Contains(err.Error(), "entry 1 has 65536 bytes") {
		t.Fatalf("bundle with an entry of 65,536 bytes: %d bytes, %v", len(b), err)
	}
}

// TestCrashCutsUnsynced checks that what no Sync covered is gone when the
// files are opened again, with its sealed bodies, whichever checkpoint
// slot the last Sync wrote, and that the log goes on from there.
func TestCrashCutsUnsynced(t *testing.T) {
	for _, batches := range []int{1, 2} {
		t.Run(fmt.Sprint(batches, " synced batches"), func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "log")
			s := newSide()
			l := mustOpen(t, dir, s)
			var m model
			for range batches {
				if err := m.appendBatch(t, l, 10, 3); err != nil {
					t.Fatal(err)
				}
				if err := l.Sync(ctx); err != nil {
					t.Fatal(err)
				}
			}
			synced := m
			if err := m.appendBatch(t, l, 5, int64(len(m.entries))+2); err != nil {
				t.Fatal(err)
			}
			if len(s.bodies) != 2 {
				t.Fatalf("%d sealed bodies kept, want 2", len(s.bodies))
			}
			l.Close() // a crash: the last batch was committed, never synced
			l = mustOpen(t, dir, s)
			synced.check(t, l)
			if len(s.bodies) != 1 || s.bodies[3] == "" {
				t.Fatalf("sealed bodies after the crash: %v, want entry 3's alone", s.bodies)
			}
			for name, want := range map[string]int64{filelog.IndexFile: 8 * int64(len(synced.entries)), filelog.HashesFile: 32 * int64(len(synced.hashes))} {
				if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() != want {
					t.Fatalf("%s after the crash: %v bytes (%v), want %d", name, fi.Size(), err, want)
				}
			}
			m = synced
			if err := m.appendBatch(t, l, 4, -1); err != nil {
				t.Fatal(err)
			}
			if err := l.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			l.Close()
			m.check(t, mustOpen(t, dir, s))
		})
	}
}

// TestTornCheckpoint checks that a checkpoint torn as it was written (a
// byte of its size, its note's length, its note or its checksum) leaves
// the one before it, and that the files are cut to that one.
func TestTornCheckpoint(t *testing.T) {
	// The slot of "checkpoint 18\n": 8 bytes of size, 4 of length, 14 of
	// note, 4 of checksum.
	for _, torn := range []int{0, 11, 20, 28} {
		t.Run(fmt.Sprint("byte ", torn), func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "log")
			s := newSide()
			l := mustOpen(t, dir, s)
			var m model
			var before model
			for range 3 {
				before = m
				if err := m.appendBatch(t, l, 6, -1); err != nil {
					t.Fatal(err)
				}
				if err := l.Sync(ctx); err != nil {
					t.Fatal(err)
				}
			}
			l.Close()
			// The third sync wrote slot 0 (the first wrote 0, the second 1).
			f, err := os.OpenFile(filepath.Join(dir, filelog.CheckpointFile), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 1)
			f.ReadAt(b, int64(torn))
			f.WriteAt([]byte{b[0] ^ 0x40}, int64(torn))
			f.Close()
			before.check(t, mustOpen(t, dir, s))
		})
	}
}

// TestDamagedFolder checks that files holding less than their checkpoint
// names are refused, not cut.
func TestDamagedFolder(t *testing.T) {
	for _, name := range []string{filelog.EntriesFile, filelog.IndexFile, filelog.HashesFile} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "log")
			s := newSide()
			l := mustOpen(t, dir, s)
			var m model
			if err := m.appendBatch(t, l, 9, -1); err != nil {
				t.Fatal(err)
			}
			if err := l.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			l.Close()
			fi, _ := os.Stat(filepath.Join(dir, name))
			if err := os.Truncate(filepath.Join(dir, name), fi.Size()-1); err != nil {
				t.Fatal(err)
			}
			if _, err := filelog.Open(ctx, dir, s); err == nil || !strings.Contains(err.Error(), "damaged") {
				t.Fatalf("a short %s: %v, want it called damaged", name, err)
			}
		})
	}
}

// TestFailedCommit checks that a batch whose sealed bodies could not be
// kept leaves nothing in the files, and that the next batch takes its
// indexes.
func TestFailedCommit(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "log")
	s := newSide()
	l := mustOpen(t, dir, s)
	var m model
	if err := m.appendBatch(t, l, 5, -1); err != nil {
		t.Fatal(err)
	}
	s.failPut = true
	if err := m.appendBatch(t, l, 5, 7); err == nil {
		t.Fatal("a commit whose sealed bodies failed succeeded")
	}
	m.check(t, l)
	s.failPut = false
	if err := m.appendBatch(t, l, 5, 7); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	m.check(t, mustOpen(t, dir, s))
	if s.syncs != 1 || len(s.bodies) != 1 {
		t.Fatalf("the side synced %d times and holds %d bodies; want 1 and 1", s.syncs, len(s.bodies))
	}
}

// TestOutOfOrder checks that an entry, a hash or a checkpoint out of
// place is refused.
func TestOutOfOrder(t *testing.T) {
	ctx := context.Background()
	l := mustOpen(t, filepath.Join(t.TempDir(), "log"), newSide())
	tx, _ := l.BeginLog(ctx)
	defer tx.Rollback()
	if err := tx.AppendEntry(1, tlog.Hash{}, []byte("x"), time.Now()); err == nil {
		t.Error("entry 1 of an empty log was taken")
	}
	if err := tx.PutHash(2, tlog.Hash{}); err == nil {
		t.Error("stored hash 2 of an empty log was taken")
	}
	if err := tx.SetCheckpoint(1, []byte("cp\n")); err == nil {
		t.Error("a checkpoint of size 1 for an empty batch was taken")
	}
	if err := tx.SetCheckpoint(0, bytes.Repeat([]byte("x"), filelog.SlotSize)); err == nil {
		t.Error("a checkpoint larger than a slot was taken")
	}
}

// TestImport copies a log into new files and checks that a copy left
// unfinished is replaced and a folder that holds a log is refused.
func TestImport(t *testing.T) {
	ctx := context.Background()
	s := newSide()
	src := mustOpen(t, filepath.Join(t.TempDir(), "log"), s)
	var m model
	for range 5 {
		if err := m.appendBatch(t, src, 40, -1); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "log")
	if err := os.MkdirAll(dir+".new", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir+".new", filelog.EntriesFile), []byte("half a copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	var last int64
	if err := filelog.Import(ctx, dir, src, s, func(done, total int64) { last = done }); err != nil {
		t.Fatal(err)
	}
	if last != 200 {
		t.Fatalf("the progress ended at %d, want 200", last)
	}
	if _, err := os.Stat(dir + ".new"); !os.IsNotExist(err) {
		t.Fatalf("the copy's folder is still there: %v", err)
	}
	m.check(t, mustOpen(t, dir, s))
	if err := filelog.Import(ctx, dir, src, s, nil); err == nil {
		t.Fatal("a log was imported over another")
	}
}

// FuzzParseSlot checks that any slot parses without panicking, and that
// what parses is written back to the same size and note.
func FuzzParseSlot(f *testing.F) {
	f.Add(make([]byte, filelog.SlotSize))
	f.Add(bytes.Repeat([]byte{0xff}, filelog.SlotSize))
	valid, _ := filelog.AppendSlot(nil, 7, []byte("example.org/log\n7\nAAAA\n\n— example.org/log sig\n"))
	f.Add(valid)
	f.Fuzz(func(t *testing.T, b []byte) {
		slot := make([]byte, filelog.SlotSize)
		copy(slot, b)
		size, signed, err := filelog.ParseSlot(slot)
		if err != nil || signed == nil {
			return
		}
		again, err := filelog.AppendSlot(nil, size, signed)
		if err != nil {
			t.Fatalf("slot of size %d parsed but cannot be written: %v", size, err)
		}
		size2, signed2, err := filelog.ParseSlot(again)
		if err != nil || size2 != size || !bytes.Equal(signed, signed2) {
			t.Fatalf("written back, the slot reads %d %q %v", size2, signed2, err)
		}
	})
}

// TestReader checks that a reader beside an open log reads the entries
// that the checkpoint on the disk names, and no further.
func TestReader(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "log")
	l := mustOpen(t, dir, newSide())
	var m model
	for range 2 {
		if err := m.appendBatch(t, l, 7, -1); err != nil {
			t.Fatal(err)
		}
		if err := l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	synced := len(m.entries)
	if err := m.appendBatch(t, l, 3, -1); err != nil { // committed, not synced
		t.Fatal(err)
	}
	r, err := filelog.OpenReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := range synced {
		if got, err := r.Entry(ctx, int64(i)); err != nil || !bytes.Equal(got, m.entries[i]) {
			t.Fatalf("entry %d: %q %v", i, got, err)
		}
	}
	if _, err := r.Entry(ctx, int64(synced)); !errors.Is(err, ledger.ErrNotStored) {
		t.Fatalf("entry %d, past the checkpoint on the disk: %v", synced, err)
	}
	if _, err := filelog.OpenReader(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a folder with no log: %v", err)
	}
}
