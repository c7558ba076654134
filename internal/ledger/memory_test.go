package ledger_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// memory is log storage held in memory, and views that keep nothing but
// their cursor: the sequencer with no disk and no views to write, for
// BenchmarkSubmitMemory's ceiling. It is not durable and not for use.
type memory struct {
	mu      sync.Mutex
	entries [][]byte
	hashes  []tlog.Hash
	leaves  map[tlog.Hash]int64
	size    int64
	signed  []byte
	snap    []byte
	cursor  atomic.Int64
}

// copyToMemory reads the whole log of db into memory.
func copyToMemory(ctx context.Context, db ledger.Storage) (*memory, error) {
	m := &memory{leaves: map[tlog.Hash]int64{}}
	var err error
	if m.size, m.signed, err = db.Checkpoint(ctx); err != nil {
		return nil, err
	}
	if err := db.Entries(ctx, 0, m.size, func(i int64, data []byte) error {
		m.entries = append(m.entries, data)
		m.leaves[tlog.RecordHash(data)] = i
		return nil
	}); err != nil {
		return nil, err
	}
	if err := db.HashRange(ctx, 0, tlog.StoredHashCount(m.size), func(_ int64, h tlog.Hash) error {
		m.hashes = append(m.hashes, h)
		return nil
	}); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *memory) Checkpoint(context.Context) (int64, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.size, m.signed, nil
}

func (m *memory) Entry(_ context.Context, i int64) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i < 0 || i >= int64(len(m.entries)) {
		return nil, ledger.ErrNotStored
	}
	return m.entries[i], nil
}

func (m *memory) Entries(ctx context.Context, from, to int64, fn func(int64, []byte) error) error {
	for i := from; i < to; i++ {
		data, err := m.Entry(ctx, i)
		if err != nil {
			return err
		}
		if err := fn(i, data); err != nil {
			return err
		}
	}
	return nil
}

func (m *memory) HashRange(_ context.Context, from, to int64, fn func(int64, tlog.Hash) error) error {
	for id := from; id < to; id++ {
		m.mu.Lock()
		if id >= int64(len(m.hashes)) {
			m.mu.Unlock()
			return ledger.ErrNotStored
		}
		h := m.hashes[id]
		m.mu.Unlock()
		if err := fn(id, h); err != nil {
			return err
		}
	}
	return nil
}

func (m *memory) HashReader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(ids []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ids))
		for i, id := range ids {
			if err := m.HashRange(ctx, id, id+1, func(_ int64, h tlog.Hash) error { out[i] = h; return nil }); err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}

func (m *memory) BeginLog(context.Context) (ledger.LogTx, error) {
	return &memoryTx{m: m, leaves: map[tlog.Hash]int64{}}, nil
}

func (m *memory) Sync(context.Context) error { return nil }

func (m *memory) LoadSnapshot(context.Context) ([]byte, error) { return m.snap, nil }

func (m *memory) SaveSnapshot(_ context.Context, b []byte) error {
	m.snap = b
	return nil
}

func (m *memory) ViewsCursor(context.Context) (int64, error) { return m.cursor.Load(), nil }

func (m *memory) BeginViews(context.Context) (ledger.ViewTx, error) { return &memoryViews{m: m}, nil }

// memoryTx gathers one batch and adds it to the memory at its commit.
type memoryTx struct {
	m       *memory
	entries [][]byte
	hashes  map[int64]tlog.Hash
	leaves  map[tlog.Hash]int64
	size    int64
	signed  []byte
}

func (t *memoryTx) LeafIndex(h tlog.Hash) (int64, error) {
	if i, ok := t.leaves[h]; ok {
		return i, nil
	}
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if i, ok := t.m.leaves[h]; ok {
		return i, nil
	}
	return 0, ledger.ErrNotStored
}

func (t *memoryTx) AppendEntry(idx int64, leaf tlog.Hash, data []byte, _ time.Time) error {
	t.entries = append(t.entries, data)
	t.leaves[leaf] = idx
	return nil
}

func (t *memoryTx) PutHash(id int64, h tlog.Hash) error {
	if t.hashes == nil {
		t.hashes = map[int64]tlog.Hash{}
	}
	t.hashes[id] = h
	return nil
}

func (t *memoryTx) PutSealedBody(int64, []byte, []byte) error { return nil }

func (t *memoryTx) SetCheckpoint(size int64, signed []byte) error {
	t.size, t.signed = size, signed
	return nil
}

func (t *memoryTx) Commit() error {
	m := t.m
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, t.entries...)
	for h, i := range t.leaves {
		m.leaves[h] = i
	}
	for id := int64(len(m.hashes)); ; id++ {
		h, ok := t.hashes[id]
		if !ok {
			break
		}
		m.hashes = append(m.hashes, h)
	}
	if t.signed != nil {
		m.size, m.signed = t.size, t.signed
	}
	return nil
}

func (t *memoryTx) Rollback() error { return nil }

// memoryViews writes no rows: only the cursor.
type memoryViews struct {
	m      *memory
	cursor int64
}

func (v *memoryViews) Project(*mechanism.Effects, *statement.Statement) error { return nil }

func (v *memoryViews) SetViewsCursor(n int64) error {
	v.cursor = n
	return nil
}

func (v *memoryViews) Commit() error {
	v.m.cursor.Store(v.cursor)
	return nil
}

func (v *memoryViews) Rollback() error { return nil }

var (
	_ ledger.Storage   = (*memory)(nil)
	_ ledger.ViewStore = (*memory)(nil)
)

// openMemory opens the log of a new demo mechanism, its members enrolled,
// on memory storage, with the function that signs its i-th report. With
// onDisk, the log stays in its files and only the views are nothing.
func openMemory(t testing.TB, onDisk bool) (*ledger.Log, *memory, func(i int) []byte) {
	t.Helper()
	ctx := context.Background()
	files, _, key, sign := seeded(t)
	mem, err := copyToMemory(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	var log ledger.Storage = mem
	if onDisk {
		log = files
	}
	mem.cursor.Store(mem.size) // nothing to write: the views are nothing
	l, err := ledger.Open(ctx, log, mem, key, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l, mem, sign
}

// TestMemoryStorage checks the memory storage that BenchmarkSubmitMemory
// measures on: what it acknowledges it holds, under the log's checkpoint,
// and a duplicate is found in it.
func TestMemoryStorage(t *testing.T) {
	ctx := context.Background()
	l, mem, sign := openMemory(t, false)
	before := l.Checkpoint().N
	var rs []ledger.Receipt
	for i := range 300 {
		r, err := l.Submit(ctx, sign(i))
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	if _, err := l.Submit(ctx, sign(7)); code(err) != statement.CodeDuplicate {
		t.Fatalf("a re-post: %v, want a duplicate", err)
	}
	size, _, _ := mem.Checkpoint(ctx)
	if size != before+300 || l.Checkpoint().N != size {
		t.Fatalf("the memory holds %d entries, the log says %d; want %d", size, l.Checkpoint().N, before+300)
	}
	for _, r := range rs {
		data, err := mem.Entry(ctx, r.Index)
		if err != nil || tlog.RecordHash(data) != r.LeafHash {
			t.Fatalf("entry %d: %v", r.Index, err)
		}
	}
	root, err := tlog.TreeHash(size, mem.HashReader(ctx))
	if err != nil || root != l.Checkpoint().Hash {
		t.Fatalf("the memory's tree is %x (%v), the checkpoint's %x", root, err, l.Checkpoint().Hash)
	}
}

// BenchmarkSubmitMemory is BenchmarkSubmit with the log held in memory and
// no views written: what opening, applying, hashing and signing cost
// without a disk, the ceiling that storage work alone can reach.
func BenchmarkSubmitMemory(b *testing.B) { benchSubmitWithout(b, false) }

// BenchmarkSubmitNoViews is BenchmarkSubmit with no views written: the log
// alone, in its files.
func BenchmarkSubmitNoViews(b *testing.B) { benchSubmitWithout(b, true) }

func benchSubmitWithout(b *testing.B, logOnDisk bool) {
	ctx := context.Background()
	l, _, sign := openMemory(b, logOnDisk)
	msgs := make([][]byte, b.N)
	for i := range msgs {
		msgs[i] = sign(i)
	}
	var next atomic.Int64
	b.SetParallelism(32) // 64 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Submit(ctx, msgs[next.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "statements/s")
}
