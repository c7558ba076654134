package ledger

import (
	"context"
	"errors"
	"fmt"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Previous is a checkpoint verified earlier; the log must have grown
	// from it. Nil means none.
	Previous *tlog.Tree
	// Progress, if set, is called after each entry bundle with the number of
	// entries checked and the total.
	Progress func(done, total int64)
}

// VerifyError says which entry or tree hash failed verification.
type VerifyError struct {
	Index int64 // the entry concerned, or -1 for the tree as a whole
	Err   error
}

func (e *VerifyError) Error() string {
	if e.Index < 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("entry %d: %v", e.Index, e.Err)
}

func (e *VerifyError) Unwrap() error { return e.Err }

// Verify fetches a log's checkpoint, every tile and every entry bundle from
// r, and checks all of it with nothing but the log's key: the checkpoint's
// signature; that every entry is a statement correctly signed by a key that
// was entitled to sign it when it was appended; that every served tree tile
// holds the hashes recomputed from the entries; that the recomputed tree has
// the checkpoint's root; and, with opts.Previous, that the log only grew.
func Verify(ctx context.Context, r torchwood.TileReader, key note.Verifier, opts VerifyOptions) (*Checkpoint, error) {
	signed, err := r.ReadEndpoint(ctx, "checkpoint")
	if err != nil {
		return nil, fmt.Errorf("couldn't fetch the checkpoint: %w", err)
	}
	policy := torchwood.ThresholdPolicy(2, torchwood.OriginPolicy(key.Name()), torchwood.SingleVerifierPolicy(key))
	c, _, err := torchwood.VerifyCheckpoint(signed, policy)
	if err != nil {
		return nil, fmt.Errorf("the checkpoint does not verify with the log key: %w", err)
	}
	if prev := opts.Previous; prev != nil && c.N < prev.N {
		return nil, &VerifyError{Index: -1, Err: fmt.Errorf("the log shrank: it had %d entries, now its checkpoint says %d", prev.N, c.N)}
	}
	v := &verifier{ctx: ctx, r: r, levels: map[int][]tlog.Hash{}}
	var state mechanism.State
	for start := int64(0); start < c.N; start += torchwood.TileWidth {
		w := min(c.N-start, torchwood.TileWidth)
		t := tlog.Tile{H: torchwood.TileHeight, L: -1, N: start / torchwood.TileWidth, W: int(w)}
		data, err := v.fetch(t)
		if err != nil {
			return nil, &VerifyError{Index: start, Err: err}
		}
		entries := make([][]byte, 0, w)
		for i := start; i < start+w; i++ {
			entry, rest, err := torchwood.ReadTileEntry(data)
			if err != nil {
				return nil, &VerifyError{Index: i, Err: fmt.Errorf("entry bundle %s: %v", torchwood.TilePath(t), err)}
			}
			data = rest
			entries = append(entries, entry)
		}
		if err := replay(&state, start, entries, nil); err != nil {
			return nil, err
		}
		for _, entry := range entries {
			if err := v.tree.append(tlog.RecordHash(entry), v.stored); err != nil {
				return nil, err
			}
			if prev := opts.Previous; prev != nil && v.tree.n == prev.N && v.tree.root() != prev.Hash {
				return nil, &VerifyError{Index: -1, Err: fmt.Errorf("the log was rewritten: its first %d entries no longer have the root hash of the earlier checkpoint", prev.N)}
			}
		}
		if len(data) != 0 {
			return nil, &VerifyError{Index: start + w - 1, Err: fmt.Errorf("entry bundle %s has %d bytes after its last entry", torchwood.TilePath(t), len(data))}
		}
		if opts.Progress != nil {
			opts.Progress(start+w, c.N)
		}
	}
	// Compare the partial tiles at the right edge.
	for level, hs := range v.levels {
		if len(hs) > 0 {
			if err := v.compare(level, hs, c.N>>(uint(level)*torchwood.TileHeight)); err != nil {
				return nil, err
			}
		}
	}
	if v.tree.root() != c.Hash {
		return nil, &VerifyError{Index: -1, Err: errors.New("the entries do not hash to the checkpoint's root hash")}
	}
	return &Checkpoint{Tree: c.Tree, Signed: signed}, nil
}

// verifier recomputes a tree from its entries and compares it, tile by
// tile, with the tiles the log serves.
type verifier struct {
	ctx    context.Context
	r      torchwood.TileReader
	tree   frontier
	levels map[int][]tlog.Hash // recomputed hashes of the current tile at each tile level
}

func (v *verifier) fetch(t tlog.Tile) ([]byte, error) {
	data, err := v.r.ReadTiles(v.ctx, []tlog.Tile{t})
	if err != nil {
		return nil, fmt.Errorf("couldn't fetch %s: %w", torchwood.TilePath(t), err)
	}
	return data[0], nil
}

// stored receives each hash the recomputed tree stores; those at tree
// levels that tiles hold are compared with the served tiles, a tile at a
// time.
func (v *verifier) stored(id int64, h tlog.Hash) error {
	level, _ := tlog.SplitStoredHashIndex(id)
	if level%torchwood.TileHeight != 0 {
		return nil
	}
	l := level / torchwood.TileHeight
	v.levels[l] = append(v.levels[l], h)
	if len(v.levels[l]) == torchwood.TileWidth {
		// stored is called during the append of entry v.tree.n.
		if err := v.compare(l, v.levels[l], (v.tree.n+1)>>(uint(level))); err != nil {
			return err
		}
		v.levels[l] = v.levels[l][:0]
	}
	return nil
}

// compare fetches the tile at tile level l that holds the recomputed hashes
// hs, which end with hash number done-1 of that level.
func (v *verifier) compare(l int, hs []tlog.Hash, done int64) error {
	first := done - int64(len(hs))
	t := tlog.Tile{H: torchwood.TileHeight, L: l, N: first / torchwood.TileWidth, W: len(hs)}
	data, err := v.fetch(t)
	if err != nil {
		return &VerifyError{Index: first << (uint(l) * torchwood.TileHeight), Err: err}
	}
	if len(data) != len(hs)*tlog.HashSize {
		return &VerifyError{Index: first << (uint(l) * torchwood.TileHeight), Err: fmt.Errorf("tile %s has %d bytes, want %d", torchwood.TilePath(t), len(data), len(hs)*tlog.HashSize)}
	}
	for i, h := range hs {
		if tlog.Hash(data[i*tlog.HashSize:(i+1)*tlog.HashSize]) == h {
			continue
		}
		idx := (first + int64(i)) << (uint(l) * torchwood.TileHeight)
		if l == 0 {
			return &VerifyError{Index: idx, Err: fmt.Errorf("the log's tile %s has a different hash for this entry than the entry itself", torchwood.TilePath(t))}
		}
		return &VerifyError{Index: idx, Err: fmt.Errorf("the log's tile %s has a different hash for the subtree of entries %d to %d", torchwood.TilePath(t), idx, idx+(1<<(uint(l)*torchwood.TileHeight))-1)}
	}
	return nil
}
