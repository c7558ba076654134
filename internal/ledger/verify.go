package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Previous is a checkpoint verified earlier; the log must have grown
	// from it. Nil means none.
	Previous *tlog.Tree
	// Progress, if set, is called after each entry bundle with the number of
	// entries checked and the total.
	Progress func(done, total int64)
	// Witnesses, if set, is the cosignature requirement the checkpoint
	// must meet; it is checked before anything else is fetched.
	Witnesses *WitnessPolicy
	// RulebookWitnesses requires the checkpoint to meet the witnesses and
	// quorum of the rulebook in force at its size, if it lists any,
	// checked once the log is replayed.
	RulebookWitnesses bool
	// From, if set, is the state to verify from, which Verify advances:
	// an empty state verifies the whole log, as a nil From does; the
	// state after the log's first From.Size entries, verified earlier
	// against Previous (which must then be the checkpoint of that size),
	// verifies only the entries after them. Its leaf hashes must give
	// Previous's root, and those entries are neither fetched nor checked
	// again, except those that share an entry bundle with the new ones,
	// which must be the same; the new checkpoint's root, recomputed from
	// them and the new entries, proves that the log only grew.
	From *mechanism.State
	// Applied, if set, is called for each entry after it is applied, in
	// log order, with what applying it did: how a replay of the log
	// follows the verification. The tiles over an entry may be compared
	// only after it, so what Applied builds stands only if Verify
	// succeeds. An error stops Verify.
	Applied func(e *mechanism.Effects, st *statement.Statement) error
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
//
// Signatures are checked on every core: entry bundles are fetched and their
// statements opened ahead, against the keys known so far, while the
// statements before them are applied in order. Errors are reported as they
// would be by checking one entry after another: the first entry or tile
// that fails.
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
	var cosigned []string
	if opts.Witnesses != nil {
		if _, cosigned, err = opts.Witnesses.CheckCheckpoint(signed, key); err != nil {
			return nil, &VerifyError{Index: -1, Err: err}
		}
	}
	if prev := opts.Previous; prev != nil && c.N < prev.N {
		return nil, &VerifyError{Index: -1, Err: fmt.Errorf("the log shrank: it had %d entries, now its checkpoint says %d", prev.N, c.N)}
	}
	state := opts.From
	if state == nil {
		state = &mechanism.State{}
	}
	v := &verifier{ctx: ctx, r: r, levels: map[int][]tlog.Hash{}}
	from := state.Size
	if from > 0 {
		if err := v.resume(state, opts.Previous); err != nil {
			return nil, err
		}
	}
	state.Grow(int(c.N - from))
	ctx, cancel := context.WithCancel(ctx)
	v.ctx = ctx
	ahead := fetchAhead(ctx, r, from, c.N)
	defer func() {
		cancel()
		ahead.wait()
	}()
	if from > 0 {
		ahead.applied(state.Keys())
	}
	for b := range ahead.bundles {
		select {
		case <-b.ready:
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if b.err != nil {
			return nil, b.err
		}
		for i := range b.skip {
			// Verified before: the entry must be the same.
			if h, _ := state.LeafHash(b.start + int64(i)); h != b.leaves[i] {
				return nil, &VerifyError{Index: b.start + int64(i), Err: fmt.Errorf("the log was rewritten: this entry is not the one verified earlier")}
			}
		}
		for i := b.skip; i < len(b.entries); i++ {
			entry := b.entries[i]
			st := b.opened[i]
			var err error
			if st == nil {
				// Signed by a key that the snapshot did not hold yet,
				// or not valid at all: open it against the state as of
				// its turn.
				st, err = state.Open(entry)
			}
			var e *mechanism.Effects
			if err == nil {
				e, err = applyOne(state, st, opts.Applied != nil)
			}
			if err != nil {
				return nil, &VerifyError{Index: b.start + int64(i), Err: fmt.Errorf("not a valid statement: %w", err)}
			}
			if opts.Applied != nil {
				if err := opts.Applied(e, st); err != nil {
					return nil, err
				}
			}
		}
		ahead.applied(state.Keys())
		v.ahead = b
		for i := b.skip; i < len(b.entries); i++ {
			if err := v.tree.append(b.leaves[i], v.stored); err != nil {
				return nil, err
			}
			if prev := opts.Previous; prev != nil && v.tree.n == prev.N && v.tree.root() != prev.Hash {
				return nil, &VerifyError{Index: -1, Err: fmt.Errorf("the log was rewritten: its first %d entries no longer have the root hash of the earlier checkpoint", prev.N)}
			}
		}
		if b.trailing != 0 {
			return nil, &VerifyError{Index: b.start + int64(len(b.entries)) - 1, Err: fmt.Errorf("entry bundle %s has %d bytes after its last entry", torchwood.TilePath(b.tile), b.trailing)}
		}
		if opts.Progress != nil {
			opts.Progress(b.start+int64(len(b.entries)), c.N)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
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
	checked := opts.Witnesses
	if opts.RulebookWitnesses {
		p, err := RulebookWitnessPolicy(state.Rulebook)
		if err != nil {
			return nil, &VerifyError{Index: -1, Err: err}
		}
		if p != nil {
			if _, cosigned, err = p.CheckCheckpoint(signed, key); err != nil {
				return nil, &VerifyError{Index: -1, Err: fmt.Errorf("%w, as the rulebook in force requires", err)}
			}
			checked = p
		}
	}
	return &Checkpoint{Tree: c.Tree, Signed: signed, Witnesses: checked, Cosigned: cosigned}, nil
}

// bundle is one entry bundle on its way through Verify: fetched, split and
// opened ahead by a worker, then applied in order.
type bundle struct {
	tile  tlog.Tile // the entry bundle (L = -1)
	start int64     // the index of its first entry
	skip  int       // its first entries, verified before (see VerifyOptions.From)
	// ready is closed when the worker is done with the bundle.
	ready chan struct{}
	// err says why the bundle could not be fetched or split; the other
	// fields are then unset.
	err      error
	entries  [][]byte
	leaves   []tlog.Hash            // each entry's record hash
	opened   []*statement.Statement // nil for an entry to open in its turn
	trailing int                    // bytes after the last entry
	// hashes is the level-0 tree tile over the same entries, fetched
	// ahead, or why it could not be.
	hashes    []byte
	hashesErr error
}

// pipeline fetches and opens entry bundles ahead of Verify, which applies
// them in order. A worker opens a bundle against the keys known after the
// last bundle applied: keys are only ever added, so those are a subset of
// the keys known at each entry's turn, and Apply checks that every key
// that signed is still active then. An entry that they do not verify, such
// as one signed by a key enrolled in a bundle not yet applied, is opened
// again in its turn.
type pipeline struct {
	ctx     context.Context
	r       torchwood.TileReader
	bundles chan *bundle // every bundle, in order
	work    chan *bundle
	ring    atomic.Pointer[mechanism.Keyring]
	first   chan struct{} // closed once the first bundle has been applied
	once    sync.Once
	wg      sync.WaitGroup
}

// fetchAhead starts the workers that fetch and open the bundles of a log of
// size n from entry from on: more workers than cores, as each also waits
// for its fetches, and at most twice as many bundles waiting to be applied
// as there are workers.
func fetchAhead(ctx context.Context, r torchwood.TileReader, from, n int64) *pipeline {
	workers := runtime.GOMAXPROCS(0) + 2
	a := &pipeline{ctx: ctx, r: r, bundles: make(chan *bundle, 2*workers), work: make(chan *bundle, 2*workers), first: make(chan struct{})}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer close(a.bundles)
		defer close(a.work)
		for start := from / torchwood.TileWidth * torchwood.TileWidth; start < n; start += torchwood.TileWidth {
			w := min(n-start, torchwood.TileWidth)
			b := &bundle{tile: tlog.Tile{H: torchwood.TileHeight, L: -1, N: start / torchwood.TileWidth, W: int(w)}, start: start, ready: make(chan struct{})}
			if start < from {
				b.skip = int(from - start)
			}
			// The bundles in order, a bounded channel, hold back the
			// workers when the one applying them falls behind.
			select {
			case a.bundles <- b:
			case <-ctx.Done():
				return
			}
			select {
			case a.work <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			for b := range a.work {
				a.open(b)
			}
		}()
	}
	return a
}

// applied tells the workers that every bundle up to the last handed out has
// been applied, with keys the keys known after it.
func (a *pipeline) applied(keys *mechanism.Keyring) {
	a.ring.Store(keys)
	a.once.Do(func() { close(a.first) })
}

// wait returns once every worker has stopped.
func (a *pipeline) wait() { a.wg.Wait() }

// open fetches bundle b and the level-0 tree tile over its entries, splits
// it, and opens its entries against the keys known so far.
func (a *pipeline) open(b *bundle) {
	defer close(b.ready)
	data, err := readTile(a.ctx, a.r, b.tile)
	if err != nil {
		b.err = &VerifyError{Index: b.start, Err: err}
		return
	}
	entries := make([][]byte, 0, b.tile.W)
	for i := range b.tile.W {
		entry, rest, err := torchwood.ReadTileEntry(data)
		if err != nil {
			b.err = &VerifyError{Index: b.start + int64(i), Err: fmt.Errorf("entry bundle %s: %v", torchwood.TilePath(b.tile), err)}
			return
		}
		data = rest
		entries = append(entries, entry)
	}
	b.entries, b.trailing = entries, len(data)
	b.hashes, b.hashesErr = readTile(a.ctx, a.r, tlog.Tile{H: torchwood.TileHeight, L: 0, N: b.tile.N, W: b.tile.W})
	b.leaves = make([]tlog.Hash, len(entries))
	for i, entry := range entries {
		b.leaves[i] = tlog.RecordHash(entry)
	}
	b.opened = make([]*statement.Statement, len(entries))
	if b.start > 0 {
		// The keys known after the first bundle, the genesis and the
		// first enrolments, open nearly every later statement; the
		// first bundle's are opened in turn.
		select {
		case <-a.first:
		case <-a.ctx.Done():
			return
		}
	}
	keys := a.ring.Load()
	if keys == nil {
		return
	}
	for i := b.skip; i < len(entries); i++ {
		if a.ctx.Err() != nil {
			return
		}
		if st, err := keys.Open(entries[i]); err == nil {
			b.opened[i] = st
		}
	}
}

func readTile(ctx context.Context, r torchwood.TileReader, t tlog.Tile) ([]byte, error) {
	data, err := r.ReadTiles(ctx, []tlog.Tile{t})
	if err != nil {
		return nil, fmt.Errorf("couldn't fetch %s: %w", torchwood.TilePath(t), err)
	}
	return data[0], nil
}

// verifier recomputes a tree from its entries and compares it, tile by
// tile, with the tiles the log serves.
type verifier struct {
	ctx    context.Context
	r      torchwood.TileReader
	tree   frontier
	levels map[int][]tlog.Hash // recomputed hashes of the current tile at each tile level
	ahead  *bundle             // the bundle being hashed, with its level-0 tile
}

// resume sets the recomputed tree to that of the entries state has
// applied, from their leaf hashes, with the hashes of the partial tiles at
// its right edge, which are compared once the tiles are complete or at the
// end; the tree must be prev.
func (v *verifier) resume(state *mechanism.State, prev *tlog.Tree) error {
	if prev == nil || prev.N != state.Size {
		return errors.New("couldn't resume the verification: the state to verify from needs the checkpoint of its size, verified with it")
	}
	keep := func(id int64, h tlog.Hash) error {
		level, _ := tlog.SplitStoredHashIndex(id)
		if level%torchwood.TileHeight != 0 {
			return nil
		}
		l := level / torchwood.TileHeight
		v.levels[l] = append(v.levels[l], h)
		if len(v.levels[l]) == torchwood.TileWidth {
			v.levels[l] = v.levels[l][:0] // compared by the run that completed it
		}
		return nil
	}
	for i := range state.Size {
		h, ok := state.LeafHash(i)
		if !ok {
			return fmt.Errorf("couldn't resume the verification: the state lacks the leaf hash of entry %d", i)
		}
		if err := v.tree.append(h, keep); err != nil {
			return err
		}
	}
	if v.tree.root() != prev.Hash {
		return errors.New("couldn't resume the verification: the state to verify from does not give the root hash of the checkpoint verified with it")
	}
	return nil
}

func (v *verifier) fetch(t tlog.Tile) ([]byte, error) {
	if b := v.ahead; b != nil && t == (tlog.Tile{H: torchwood.TileHeight, L: 0, N: b.tile.N, W: b.tile.W}) {
		return b.hashes, b.hashesErr
	}
	return readTile(v.ctx, v.r, t)
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

// ReadState reads the checkpoint of the log of key v that an earlier
// verification saved in path (verify-log's and audit's --state), or nil if
// the file does not exist yet.
func ReadState(path string, v note.Verifier) (*tlog.Tree, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't read state: %w", err)
	}
	policy := torchwood.ThresholdPolicy(2, torchwood.OriginPolicy(v.Name()), torchwood.SingleVerifierPolicy(v))
	c, _, err := torchwood.VerifyCheckpoint(b, policy)
	if err != nil {
		return nil, fmt.Errorf("the state file %s does not hold a checkpoint of this log: %w", path, err)
	}
	return &c.Tree, nil
}
