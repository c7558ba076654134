// Package filelog keeps a log's entries, its tree's hashes and its
// checkpoint in files that only grow, as the tiles they serve: the log's
// storage (ledger.Storage) that costs least per entry. The confidential
// bodies of sealed statements and the state snapshot stay with a Side, the
// SQLite database beside it.
//
// A folder holds four files:
//
//	entries      every entry's bytes, one after another
//	index        the end offset of each entry in entries, 8 bytes big-endian
//	hashes       every stored hash of the tree, 32 bytes each, by its
//	             tlog.StoredHashIndex
//	checkpoint   two slots of SlotSize bytes, each a signed checkpoint with
//	             its size and a CRC-32C; the valid one of the larger size is
//	             the log's
//
// A commit writes the first three past their ends; Sync flushes them to
// the disk and only then writes the new checkpoint into the older slot and
// flushes it. So the checkpoint on the disk never names an entry the disk
// does not hold, a checkpoint torn by a crash leaves the other slot, and
// Open cuts whatever lies past the checkpoint: what no sync covered was
// never acknowledged.
package filelog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/sys/unix"

	"github.com/sulh-project/sulh/internal/ledger"
)

// The files of a log's folder.
const (
	EntriesFile    = "entries"
	IndexFile      = "index"
	HashesFile     = "hashes"
	CheckpointFile = "checkpoint"
)

// SlotSize is the size of each of the checkpoint file's two slots: a
// signed checkpoint is at most SlotSize-slotHeader-4 bytes.
const SlotSize = 4096

// slotHeader is a slot's size (8 bytes) and the signed note's length (4).
const slotHeader = 12

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SealedBody is the confidential body of the sealed statement at Index.
type SealedBody struct {
	Index      int64
	Salt, Body []byte
}

// Side keeps, beside the files, what a log's transaction writes that is
// not the log itself: store.DB is one.
type Side interface {
	// PutSealedBodies commits bodies, made durable by the next Sync.
	PutSealedBodies(ctx context.Context, bodies []SealedBody) error
	// DropSealedBodies removes the bodies of the entries from index from
	// on: those whose entries a crash cut.
	DropSealedBodies(ctx context.Context, from int64) error
	Sync(ctx context.Context) error
	LoadSnapshot(ctx context.Context) ([]byte, error)
	SaveSnapshot(ctx context.Context, b []byte) error
}

// Log is a log's storage in a folder of files.
type Log struct {
	dir                             string
	side                            Side
	entries, index, hashes, cpoints *os.File

	// wmu is held by a commit while it writes, and by Sync while it reads
	// what was committed; mu guards what readers see.
	wmu sync.Mutex
	mu  sync.RWMutex
	// ends[i] is where entry i ends in entries: the committed entries
	// are [0, len(ends)).
	ends    []int64
	nhashes int64 // the committed stored hashes
	size    int64 // the committed checkpoint
	signed  []byte
	leaves  map[tlog.Hash]int64 // built on the first lookup
	broken  error               // a commit that could not be undone

	smu        sync.Mutex // held by Sync
	synced     int64      // the size of the checkpoint on the disk
	slot       int        // the slot that holds it
	sealedSync bool       // bodies were committed since the last Sync

	spare atomic.Pointer[batch] // the buffers of the last batch that ended, for the next
}

var _ ledger.Storage = (*Log)(nil)

// Exists reports whether dir holds a log's files.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, CheckpointFile))
	return err == nil
}

// Open opens the log in dir, creating an empty one if dir holds none. It
// cuts what lies past the checkpoint on the disk, and has the side drop
// the sealed bodies of the entries it cut.
func Open(ctx context.Context, dir string, side Side) (*Log, error) {
	created := !Exists(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("couldn't create the log's folder: %w", err)
	}
	l := &Log{dir: dir, side: side}
	open := func(name string) (*os.File, error) {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("couldn't open the log's %s: %w", name, err)
		}
		return f, nil
	}
	var err error
	// The checkpoint file comes last: a folder with one holds a log.
	for _, f := range []struct {
		to   **os.File
		name string
	}{{&l.entries, EntriesFile}, {&l.index, IndexFile}, {&l.hashes, HashesFile}, {&l.cpoints, CheckpointFile}} {
		if *f.to, err = open(f.name); err != nil {
			l.Close()
			return nil, err
		}
	}
	if created {
		err := syncDir(dir)
		if err == nil {
			err = syncDir(filepath.Dir(dir))
		}
		if err != nil {
			l.Close()
			return nil, err
		}
	}
	if err := l.recover(ctx); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// recover reads the checkpoint on the disk and cuts every file to it.
func (l *Log) recover(ctx context.Context) error {
	var err error
	if l.size, l.signed, l.slot, err = latest(l.cpoints); err != nil {
		return err
	}
	l.synced = l.size
	if l.ends, err = readEnds(l.index, l.size, l.size+l.size/4+1024); err != nil {
		return err
	}
	var last int64
	if l.size > 0 {
		last = l.ends[l.size-1]
	}
	l.nhashes = tlog.StoredHashCount(l.size)
	cut := false
	for _, f := range []struct {
		f    *os.File
		name string
		size int64
	}{{l.index, IndexFile, 8 * l.size}, {l.entries, EntriesFile, last}, {l.hashes, HashesFile, tlog.HashSize * l.nhashes}} {
		fi, err := f.f.Stat()
		if err != nil {
			return fmt.Errorf("couldn't read the log's %s: %w", f.name, err)
		}
		if fi.Size() < f.size {
			return fmt.Errorf("the log's %s has %d bytes, fewer than its checkpoint's %d entries need (%d): the folder is damaged", f.name, fi.Size(), l.size, f.size)
		}
		if fi.Size() > f.size {
			cut = true
			if err := f.f.Truncate(f.size); err != nil {
				return fmt.Errorf("couldn't cut the log's %s to its checkpoint: %w", f.name, err)
			}
			if err := fdatasync(f.f); err != nil {
				return fmt.Errorf("couldn't cut the log's %s to its checkpoint: %w", f.name, err)
			}
		}
	}
	// A batch past the checkpoint may have left its sealed bodies: a
	// commit writes them after the files.
	if cut {
		return l.side.DropSealedBodies(ctx, l.size)
	}
	return nil
}

// latest returns the checkpoint of the larger size among the valid slots
// of the checkpoint file f, and the slot that holds it: 1 when neither
// does, so that the next Sync writes slot 0.
func latest(f io.ReaderAt) (size int64, signed []byte, slot int, err error) {
	var slots [2 * SlotSize]byte
	n, err := f.ReadAt(slots[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, nil, 0, fmt.Errorf("couldn't read the log's checkpoint: %w", err)
	}
	slot = 1
	for i := 0; i < 2 && (i+1)*SlotSize <= n; i++ {
		sz, sg, err := ParseSlot(slots[i*SlotSize : (i+1)*SlotSize])
		if err == nil && sg != nil && (signed == nil || sz > size) {
			size, signed, slot = sz, sg, i
		}
	}
	return size, signed, slot, nil
}

// readEnds reads from the index file f where each of the first n entries
// ends, into a slice with room for capacity.
func readEnds(f *os.File, n, capacity int64) ([]int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("couldn't read the log's index: %w", err)
	}
	if fi.Size() < 8*n {
		return nil, fmt.Errorf("the log's index holds %d entries, fewer than its checkpoint's %d: the folder is damaged", fi.Size()/8, n)
	}
	buf := make([]byte, 8*n)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return nil, fmt.Errorf("couldn't read the log's index: %w", err)
	}
	ends := make([]int64, n, max(n, capacity))
	var last int64
	for i := range ends {
		end := int64(binary.BigEndian.Uint64(buf[8*i:]))
		if end < last {
			return nil, fmt.Errorf("the log's index is damaged at entry %d", i)
		}
		ends[i], last = end, end
	}
	return ends, nil
}

// ParseSlot reads a checkpoint slot: the size and signed note it holds,
// or nil and no error for an empty slot.
func ParseSlot(b []byte) (size int64, signed []byte, err error) {
	if len(b) != SlotSize {
		return 0, nil, fmt.Errorf("a checkpoint slot has %d bytes, not %d", len(b), SlotSize)
	}
	n := binary.BigEndian.Uint32(b[8:12])
	if n == 0 && binary.BigEndian.Uint64(b[0:8]) == 0 {
		return 0, nil, nil
	}
	if n > SlotSize-slotHeader-4 {
		return 0, nil, fmt.Errorf("a checkpoint slot says its note has %d bytes, more than it holds", n)
	}
	end := slotHeader + int(n)
	if crc32.Checksum(b[:end], castagnoli) != binary.BigEndian.Uint32(b[end:end+4]) {
		return 0, nil, errors.New("a checkpoint slot's checksum does not match: it was torn")
	}
	size = int64(binary.BigEndian.Uint64(b[0:8]))
	if size < 0 || n == 0 {
		return 0, nil, errors.New("a checkpoint slot is malformed")
	}
	return size, b[slotHeader:end:end], nil
}

// appendSlot appends to b the slot of a checkpoint.
func appendSlot(b []byte, size int64, signed []byte) ([]byte, error) {
	if len(signed) == 0 || len(signed) > SlotSize-slotHeader-4 {
		return nil, fmt.Errorf("a signed checkpoint of %d bytes does not fit in a slot", len(signed))
	}
	start := len(b)
	b = binary.BigEndian.AppendUint64(b, uint64(size))
	b = binary.BigEndian.AppendUint32(b, uint32(len(signed)))
	b = append(b, signed...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
	return append(b, make([]byte, SlotSize-(len(b)-start))...), nil
}

// Close closes the files.
func (l *Log) Close() error {
	var err error
	for _, f := range []*os.File{l.entries, l.index, l.hashes, l.cpoints} {
		if f != nil {
			err = errors.Join(err, f.Close())
		}
	}
	return err
}

// Checkpoint returns the latest committed checkpoint.
func (l *Log) Checkpoint(context.Context) (int64, []byte, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.size, l.signed, nil
}

// span returns where the committed entries [from, to) lie in entries.
func (l *Log) span(from, to int64) (start, end int64, err error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if from < 0 || from >= to || to > int64(len(l.ends)) {
		return 0, 0, ledger.ErrNotStored
	}
	if from > 0 {
		start = l.ends[from-1]
	}
	return start, l.ends[to-1], nil
}

// Entry returns entry i.
func (l *Log) Entry(_ context.Context, i int64) ([]byte, error) {
	start, end, err := l.span(i, i+1)
	if err != nil {
		return nil, err
	}
	b := make([]byte, end-start)
	if _, err := l.entries.ReadAt(b, start); err != nil {
		return nil, fmt.Errorf("couldn't read entry %d: %w", i, err)
	}
	return b, nil
}

// readChunk is about the most bytes Entries and HashRange read at once.
const readChunk = 1 << 20

// Entries calls fn with the entries [from, to), in order. Each entry's
// bytes are its own: fn may keep them.
func (l *Log) Entries(ctx context.Context, from, to int64, fn func(idx int64, data []byte) error) error {
	for from < to {
		if err := ctx.Err(); err != nil {
			return err
		}
		start, _, err := l.span(from, from+1)
		if err != nil {
			return fmt.Errorf("entry %d: %w", from, err)
		}
		// As many entries as fit in a chunk, at least one.
		l.mu.RLock()
		last := from + 1
		for last < to && last < int64(len(l.ends)) && l.ends[last]-start <= readChunk {
			last++
		}
		end := l.ends[last-1]
		ends := l.ends[from:last:last]
		l.mu.RUnlock()
		b := make([]byte, end-start)
		if _, err := l.entries.ReadAt(b, start); err != nil {
			return fmt.Errorf("couldn't read entries from %d: %w", from, err)
		}
		prev := start
		for i, e := range ends {
			if err := fn(from+int64(i), b[prev-start:e-start:e-start]); err != nil {
				return err
			}
			prev = e
		}
		from = last
	}
	return nil
}

// AppendBundle appends to dst the entries [from, to) as a c2sp.org/tlog-tiles
// entry bundle: each entry after its length in two bytes, big-endian. It
// reads them from the file into dst with one read, past room for the
// lengths, and moves each into place: a tile served from a buffer that the
// server reuses costs no garbage.
func (l *Log) AppendBundle(_ context.Context, dst []byte, from, to int64) ([]byte, error) {
	start, end, err := l.span(from, to)
	if err != nil {
		return dst, err
	}
	l.mu.RLock()
	ends := l.ends[from:to:to] // committed ends never change
	l.mu.RUnlock()
	n := len(ends)
	size := int(end-start) + 2*n
	dst = slices.Grow(dst, size)
	b := dst[len(dst) : len(dst)+size]
	if _, err := l.entries.ReadAt(b[2*n:], start); err != nil {
		return dst, fmt.Errorf("couldn't read entries from %d: %w", from, err)
	}
	// Entry i lies at 2n+off, where off is its offset in what was read,
	// and goes to off+2i+2, after its length: to the left, never over
	// an entry after it, which lies at 2n+off+len or further.
	off := 0
	for i, e := range ends {
		length := int(e-start) - off
		if length > 0xFFFF {
			return dst, fmt.Errorf("entry %d has %d bytes, more than an entry bundle holds", from+int64(i), length)
		}
		at := off + 2*i
		copy(b[at+2:at+2+length], b[2*n+off:2*n+off+length])
		binary.BigEndian.PutUint16(b[at:], uint16(length))
		off += length
	}
	return dst[:len(dst)+size], nil
}

// HashRange calls fn with the stored hashes [from, to), in order.
func (l *Log) HashRange(ctx context.Context, from, to int64, fn func(id int64, h tlog.Hash) error) error {
	l.mu.RLock()
	n := l.nhashes
	l.mu.RUnlock()
	if from < 0 || to > n {
		return fmt.Errorf("stored hash %d: %w", max(n, from), ledger.ErrNotStored)
	}
	buf := make([]byte, min(to-from, readChunk/tlog.HashSize)*tlog.HashSize)
	for from < to {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := min(to-from, readChunk/tlog.HashSize)
		b := buf[:k*tlog.HashSize]
		if _, err := l.hashes.ReadAt(b, from*tlog.HashSize); err != nil {
			return fmt.Errorf("couldn't read stored hashes from %d: %w", from, err)
		}
		for i := range k {
			if err := fn(from+i, tlog.Hash(b[i*tlog.HashSize:])); err != nil {
				return err
			}
		}
		from += k
	}
	return nil
}

// hashGap is the most stored hashes between two that HashReader reads at
// once, with those between. The ids of a tile's hashes at level 0 are 1
// to about 20 apart, so a tile there is one read of some 16 KB; at higher
// levels they are hundreds apart and read one by one.
const hashGap = 32

// HashReader returns a tlog.HashReader over the committed stored hashes.
// It reads ids that lie close together, as a tile's do, at once.
func (l *Log) HashReader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(ids []int64) ([]tlog.Hash, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l.mu.RLock()
		n := l.nhashes
		l.mu.RUnlock()
		out := make([]tlog.Hash, len(ids))
		var buf []byte
		for i := 0; i < len(ids); {
			first := ids[i]
			if first < 0 || first >= n {
				return nil, fmt.Errorf("stored hash %d: %w", first, ledger.ErrNotStored)
			}
			j := i + 1
			for j < len(ids) && ids[j] > ids[j-1] && ids[j]-ids[j-1] <= hashGap && ids[j] < n && (ids[j]-first+1)*tlog.HashSize <= readChunk {
				j++
			}
			last := ids[j-1]
			buf = slices.Grow(buf[:0], int(last-first+1)*tlog.HashSize)[:int(last-first+1)*tlog.HashSize]
			if _, err := l.hashes.ReadAt(buf, first*tlog.HashSize); err != nil {
				return nil, fmt.Errorf("couldn't read stored hashes from %d: %w", first, err)
			}
			for k := i; k < j; k++ {
				out[k] = tlog.Hash(buf[(ids[k]-first)*tlog.HashSize:])
			}
			i = j
		}
		return out, nil
	})
}

// LoadSnapshot returns the side's snapshot.
func (l *Log) LoadSnapshot(ctx context.Context) ([]byte, error) { return l.side.LoadSnapshot(ctx) }

// SaveSnapshot saves the snapshot with the side.
func (l *Log) SaveSnapshot(ctx context.Context, b []byte) error { return l.side.SaveSnapshot(ctx, b) }

// Sync makes every committed transaction durable: the entries, the index,
// the hashes and the sealed bodies first, then the checkpoint, into the
// slot that does not hold the last one.
func (l *Log) Sync(ctx context.Context) error {
	l.smu.Lock()
	defer l.smu.Unlock()
	// What is committed now, the files hold: a commit writes before it
	// publishes.
	l.wmu.Lock()
	l.mu.RLock()
	size, signed := l.size, l.signed
	l.mu.RUnlock()
	sealed := l.sealedSync
	l.sealedSync = false
	l.wmu.Unlock()
	if size == l.synced {
		return nil
	}
	// The files are flushed side by side: a flush waits mostly for the
	// disk, which takes them together.
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i, f := range []*os.File{l.entries, l.index, l.hashes} {
		wg.Go(func() {
			if err := fdatasync(f); err != nil {
				errs[i] = fmt.Errorf("couldn't sync the log's %s: %w", filepath.Base(f.Name()), err)
			}
		})
	}
	if sealed {
		wg.Go(func() { errs[3] = l.side.Sync(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	slot, err := appendSlot(make([]byte, 0, SlotSize), size, signed)
	if err != nil {
		return err
	}
	next := 1 - l.slot
	if _, err := l.cpoints.WriteAt(slot, int64(next)*SlotSize); err != nil {
		return fmt.Errorf("couldn't write the log's checkpoint: %w", err)
	}
	if err := fdatasync(l.cpoints); err != nil {
		return fmt.Errorf("couldn't sync the log's checkpoint: %w", err)
	}
	l.slot, l.synced = next, size
	return nil
}

// BeginLog starts a transaction: what it appends is written at Commit.
func (l *Log) BeginLog(context.Context) (ledger.LogTx, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.broken != nil {
		return nil, l.broken
	}
	b := l.spare.Swap(nil)
	if b == nil {
		b = &batch{leaves: map[tlog.Hash]int64{}}
	}
	return &tx{l: l, first: int64(len(l.ends)), firstHash: l.nhashes, batch: b}, nil
}

// tx gathers one batch.
type tx struct {
	l                *Log
	first, firstHash int64 // the entry and hash the batch starts at
	*batch
	sealed []SealedBody
	size   int64
	signed []byte
	done   bool
}

// batch is what a tx writes to the files. A tx that ends hands it back,
// emptied, to the next, which then fills buffers already grown.
type batch struct {
	data, index []byte
	ends        []int64
	hashes      []byte
	leaves      map[tlog.Hash]int64
}

// release hands t's buffers back to its log; t is not used after it.
func (t *tx) release() {
	b := t.batch
	b.data, b.index, b.ends, b.hashes = b.data[:0], b.index[:0], b.ends[:0], b.hashes[:0]
	clear(b.leaves)
	t.l.spare.Store(b)
	t.batch = nil
}

func (t *tx) LeafIndex(h tlog.Hash) (int64, error) {
	if i, ok := t.leaves[h]; ok {
		return i, nil
	}
	return t.l.leafIndex(h)
}

// leafIndex looks h up among the committed entries' leaf hashes, which it
// reads from the hashes file the first time it is asked.
func (l *Log) leafIndex(h tlog.Hash) (int64, error) {
	l.mu.RLock()
	leaves, n := l.leaves, int64(len(l.ends))
	l.mu.RUnlock()
	if leaves == nil {
		// Only a commit changes the committed entries, and the sequencer
		// that asks commits: they cannot change meanwhile.
		leaves = make(map[tlog.Hash]int64, n)
		var next int64
		if err := l.HashRange(context.Background(), 0, tlog.StoredHashCount(n), func(id int64, h tlog.Hash) error {
			if next < n && id == tlog.StoredHashIndex(0, next) {
				leaves[h] = next
				next++
			}
			return nil
		}); err != nil {
			return 0, err
		}
		l.mu.Lock()
		l.leaves = leaves
		l.mu.Unlock()
	}
	if i, ok := leaves[h]; ok {
		return i, nil
	}
	return 0, ledger.ErrNotStored
}

func (t *tx) AppendEntry(idx int64, leaf tlog.Hash, data []byte, _ time.Time) error {
	if want := t.first + int64(len(t.ends)); idx != want {
		return fmt.Errorf("entry %d appended where entry %d is next", idx, want)
	}
	var end int64
	if n := len(t.ends); n > 0 {
		end = t.ends[n-1]
	} else {
		end = t.l.end(t.first)
	}
	end += int64(len(data))
	t.data = append(t.data, data...)
	t.ends = append(t.ends, end)
	t.index = binary.BigEndian.AppendUint64(t.index, uint64(end))
	t.leaves[leaf] = idx
	return nil
}

// end returns where the entries before entry n end.
func (l *Log) end(n int64) int64 {
	if n == 0 {
		return 0
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.ends[n-1]
}

func (t *tx) PutHash(id int64, h tlog.Hash) error {
	if want := t.firstHash + int64(len(t.hashes)/tlog.HashSize); id != want {
		return fmt.Errorf("stored hash %d put where %d is next", id, want)
	}
	t.hashes = append(t.hashes, h[:]...)
	return nil
}

func (t *tx) PutSealedBody(idx int64, salt, body []byte) error {
	t.sealed = append(t.sealed, SealedBody{Index: idx, Salt: salt, Body: body})
	return nil
}

func (t *tx) SetCheckpoint(size int64, signed []byte) error {
	if size != t.first+int64(len(t.ends)) {
		return fmt.Errorf("a checkpoint of size %d for a log of %d entries", size, t.first+int64(len(t.ends)))
	}
	if _, err := appendSlot(nil, size, signed); err != nil {
		return err
	}
	t.size, t.signed = size, signed
	return nil
}

// Commit writes the batch past the files' ends, then the sealed bodies
// with the side, and makes it visible. If a write fails, it cuts the
// files back; if that fails too, the log refuses every later transaction.
func (t *tx) Commit() error {
	if t.done {
		return errors.New("the transaction is over")
	}
	t.done = true
	defer t.release()
	l := t.l
	l.wmu.Lock()
	defer l.wmu.Unlock()
	start := l.end(t.first)
	writes := []struct {
		f   *os.File
		b   []byte
		off int64
	}{{l.entries, t.data, start}, {l.index, t.index, 8 * t.first}, {l.hashes, t.hashes, tlog.HashSize * t.firstHash}}
	var err error
	for _, w := range writes {
		if _, err = w.f.WriteAt(w.b, w.off); err != nil {
			break
		}
	}
	if err == nil && len(t.sealed) > 0 {
		err = l.side.PutSealedBodies(context.Background(), t.sealed)
	}
	if err != nil {
		var cut error
		for _, w := range writes {
			cut = errors.Join(cut, w.f.Truncate(w.off))
		}
		if cut != nil {
			l.mu.Lock()
			l.broken = fmt.Errorf("the log's files could not be cut back after a failed commit (%w): open the log again", cut)
			l.mu.Unlock()
		}
		return fmt.Errorf("couldn't write the log's batch: %w", err)
	}
	l.mu.Lock()
	l.ends = append(l.ends, t.ends...)
	l.nhashes += int64(len(t.hashes) / tlog.HashSize)
	if t.signed != nil {
		l.size, l.signed = t.size, t.signed
	}
	if l.leaves != nil {
		for h, i := range t.leaves {
			l.leaves[h] = i
		}
	}
	l.mu.Unlock()
	if len(t.sealed) > 0 {
		l.sealedSync = true
	}
	return nil
}

func (t *tx) Rollback() error {
	if !t.done {
		t.done = true
		t.release()
	}
	return nil
}

// fdatasync flushes f's data, and its size, to the disk.
func fdatasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// syncDir flushes a folder's list of files to the disk.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("couldn't sync folder %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("couldn't sync folder %s: %w", dir, err)
	}
	return nil
}

// Size returns the size of the checkpoint on the disk of the log in dir,
// or an error that is fs.ErrNotExist if dir holds no log. It only reads,
// so the log may be open elsewhere.
func Size(dir string) (int64, error) {
	f, err := os.Open(filepath.Join(dir, CheckpointFile))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	size, _, _, err := latest(f)
	return size, err
}

// Reader reads the entries of a log that another process may be
// appending to, as far as the checkpoint on the disk named when it was
// opened. It writes nothing.
type Reader struct {
	entries *os.File
	ends    []int64
}

// OpenReader opens the log in dir to read its entries, or returns an
// error that is fs.ErrNotExist if dir holds no log.
func OpenReader(dir string) (*Reader, error) {
	size, err := Size(dir)
	if err != nil {
		return nil, err
	}
	index, err := os.Open(filepath.Join(dir, IndexFile))
	if err != nil {
		return nil, fmt.Errorf("couldn't open the log's index: %w", err)
	}
	defer index.Close()
	r := &Reader{}
	if r.ends, err = readEnds(index, size, size); err != nil {
		return nil, err
	}
	if r.entries, err = os.Open(filepath.Join(dir, EntriesFile)); err != nil {
		return nil, fmt.Errorf("couldn't open the log's entries: %w", err)
	}
	return r, nil
}

// Entry returns entry i.
func (r *Reader) Entry(_ context.Context, i int64) ([]byte, error) {
	if i < 0 || i >= int64(len(r.ends)) {
		return nil, ledger.ErrNotStored
	}
	var start int64
	if i > 0 {
		start = r.ends[i-1]
	}
	b := make([]byte, r.ends[i]-start)
	if _, err := r.entries.ReadAt(b, start); err != nil {
		return nil, fmt.Errorf("couldn't read entry %d: %w", i, err)
	}
	return b, nil
}

// Close closes the entries' file.
func (r *Reader) Close() error { return r.entries.Close() }
