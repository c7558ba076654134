package ledger

import (
	"context"
	"errors"
	"fmt"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrNotFound is returned for a tile, entry or proof beyond the latest
// checkpoint.
var ErrNotFound = errors.New("not in the log")

// ParseTilePath parses a c2sp.org/tlog-tiles path below the log prefix, such
// as "tile/0/x001/234.p/5" or "tile/entries/000", and checks that the tile
// has the height and widths the spec allows.
func ParseTilePath(path string) (tlog.Tile, error) {
	t, err := torchwood.ParseTilePath(path)
	if err != nil {
		return tlog.Tile{}, err
	}
	if t.H != torchwood.TileHeight || t.W < 1 || t.W > torchwood.TileWidth || t.L < -1 || t.L > 8 {
		return tlog.Tile{}, fmt.Errorf("malformed tile path %q", path)
	}
	// Partial tiles are written .p/W with W < 256 only.
	if t.W == torchwood.TileWidth && path != torchwood.TilePath(t) {
		return tlog.Tile{}, fmt.Errorf("malformed tile path %q", path)
	}
	return t, nil
}

// Tile returns the contents of tile t, which must be covered by the latest
// checkpoint: hashes for a tree tile, an entry bundle for a data tile (L=-1).
// Full tiles never change.
func (l *Log) Tile(ctx context.Context, t tlog.Tile) ([]byte, error) {
	return l.AppendTile(ctx, nil, t)
}

// bundleAppender is a Storage that writes an entry bundle itself, into a
// buffer that the caller may reuse (see filelog.Log.AppendBundle).
type bundleAppender interface {
	AppendBundle(ctx context.Context, dst []byte, from, to int64) ([]byte, error)
}

// AppendTile appends the contents of tile t to dst, as Tile returns them.
func (l *Log) AppendTile(ctx context.Context, dst []byte, t tlog.Tile) ([]byte, error) {
	cp := l.Checkpoint()
	if cp == nil {
		return dst, ErrNotFound
	}
	level := t.L
	if level < 0 {
		level = 0
	}
	// Hashes available at the tile's level of the tree.
	avail := cp.N >> (uint(level) * torchwood.TileHeight)
	if t.N*torchwood.TileWidth+int64(t.W) > avail {
		return dst, ErrNotFound
	}
	if t.L >= 0 {
		data, err := tlog.ReadTileData(t, l.db.HashReader(ctx))
		return append(dst, data...), err
	}
	from := t.N * torchwood.TileWidth
	if b, ok := l.db.(bundleAppender); ok {
		return b.AppendBundle(ctx, dst, from, from+int64(t.W))
	}
	err := l.db.Entries(ctx, from, from+int64(t.W), func(_ int64, data []byte) error {
		var err error
		dst, err = torchwood.AppendTileEntry(dst, data)
		return err
	})
	return dst, err
}

// Entry returns the entry at index i and a proof of its inclusion in the
// latest checkpoint, which it also returns.
func (l *Log) Entry(ctx context.Context, i int64) ([]byte, tlog.RecordProof, *Checkpoint, error) {
	cp := l.Checkpoint()
	if cp == nil || i < 0 || i >= cp.N {
		return nil, nil, nil, ErrNotFound
	}
	data, err := l.db.Entry(ctx, i)
	if errors.Is(err, ErrNotStored) {
		return nil, nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := tlog.ProveRecord(cp.N, i, l.db.HashReader(ctx))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("couldn't prove entry %d: %w", i, err)
	}
	return data, p, cp, nil
}

// ProveConsistency returns a proof that the tree of size from is a prefix of
// the tree of size to, with 0 < from <= to <= the latest checkpoint's size.
func (l *Log) ProveConsistency(ctx context.Context, from, to int64) (tlog.TreeProof, error) {
	cp := l.Checkpoint()
	if cp == nil || from < 1 || from > to || to > cp.N {
		return nil, ErrNotFound
	}
	p, err := tlog.ProveTree(to, from, l.db.HashReader(ctx))
	if err != nil {
		return nil, fmt.Errorf("couldn't prove consistency of %d and %d: %w", from, to, err)
	}
	return p, nil
}

// Entries calls fn for each entry with index in [from, to), which must be
// covered by the latest checkpoint.
func (l *Log) Entries(ctx context.Context, from, to int64, fn func(idx int64, data []byte) error) error {
	cp := l.Checkpoint()
	if cp == nil || from < 0 || from > to || to > cp.N {
		return ErrNotFound
	}
	return l.db.Entries(ctx, from, to, fn)
}
