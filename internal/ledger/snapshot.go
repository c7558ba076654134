package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// Start-up does not replay the whole log. The sequencer saves a snapshot
// of the core's state every SnapshotEvery entries, and at Close; Open
// loads the latest, checks it against the log (the snapshot names the
// tree size and root it was taken at, which the stored tree must give),
// replays the entries after it, and serves. Meanwhile it replays the
// entries before it in the background, on one goroutine so that the
// server keeps the other cores, re-verifying every signature and stored
// hash, and checks that they give the very same state: until then,
// sulh_log_verified_entries counts how far it got. A snapshot that does
// not match stops the log, as a stored log that does not verify does.

// SnapshotEvery is how many entries the log grows by between snapshots,
// unless Options says otherwise.
const SnapshotEvery = 100_000

// snapshotMagic starts a snapshot file; the version of the core's own
// encoding follows inside it.
const snapshotMagic = "sulh state snapshot\n"

// snapshot is a saved state and the tree it was taken at.
type snapshot struct {
	tree  tlog.Tree
	state []byte // mechanism.State.MarshalSnapshot
}

func (s *snapshot) marshal() []byte {
	b := make([]byte, 0, len(snapshotMagic)+8+tlog.HashSize+len(s.state))
	b = append(b, snapshotMagic...)
	b = binary.BigEndian.AppendUint64(b, uint64(s.tree.N))
	b = append(b, s.tree.Hash[:]...)
	return append(b, s.state...)
}

func parseSnapshot(b []byte) (*snapshot, error) {
	rest, ok := bytes.CutPrefix(b, []byte(snapshotMagic))
	if !ok || len(rest) < 8+tlog.HashSize {
		return nil, errors.New("not a snapshot of this format")
	}
	s := &snapshot{tree: tlog.Tree{N: int64(binary.BigEndian.Uint64(rest))}}
	copy(s.tree.Hash[:], rest[8:])
	s.state = rest[8+tlog.HashSize:]
	if s.tree.N < 1 {
		return nil, errors.New("a snapshot of an empty log")
	}
	return s, nil
}

// fromSnapshot returns the state, the tree and the snapshot to start from:
// the saved snapshot, if there is one that this log's stored tree gives
// and whose state decodes, and an empty log otherwise, with the reason.
// The views must already hold what the snapshot skips, since only the
// entries replayed give their rows.
func (l *Log) fromSnapshot(ctx context.Context, size int64) (*mechanism.State, *frontier, *snapshot, error) {
	b, err := l.db.LoadSnapshot(ctx)
	if err != nil || b == nil {
		return nil, nil, nil, err
	}
	s, err := parseSnapshot(b)
	if err != nil {
		return nil, nil, nil, err
	}
	if s.tree.N > size {
		return nil, nil, nil, fmt.Errorf("the snapshot is of %d entries; the log holds %d", s.tree.N, size)
	}
	if at := l.ViewsAt(); at < s.tree.N {
		return nil, nil, nil, fmt.Errorf("the views hold %d entries, fewer than the snapshot's %d", at, s.tree.N)
	}
	tree, err := storedFrontier(ctx, l.db, s.tree.N)
	if err != nil {
		return nil, nil, nil, err
	}
	if tree.root() != s.tree.Hash {
		return nil, nil, nil, fmt.Errorf("the snapshot's tree (size %d) is not the stored tree", s.tree.N)
	}
	// Decoding builds the whole state at once: a state of a million
	// entries is a heap of over a gigabyte, which the collector would
	// otherwise scan again and again while it grows.
	gc := debug.SetGCPercent(400)
	state, err := mechanism.UnmarshalSnapshot(s.state)
	debug.SetGCPercent(gc)
	if err != nil {
		return nil, nil, nil, err
	}
	if state.Size != s.tree.N {
		return nil, nil, nil, fmt.Errorf("the snapshot's state is of %d entries, its tree of %d", state.Size, s.tree.N)
	}
	// The state knows every entry's leaf hash: its last must be the
	// stored one.
	leaf, err := l.db.HashReader(ctx).ReadHashes([]int64{tlog.StoredHashIndex(0, s.tree.N-1)})
	if h, ok := state.LeafHash(s.tree.N - 1); err != nil || !ok || h != leaf[0] {
		return nil, nil, nil, fmt.Errorf("the snapshot's last leaf is not the stored one")
	}
	return state, tree, s, nil
}

// storedFrontier reads the right edge of the stored tree of size n: one
// stored hash per complete subtree.
func storedFrontier(ctx context.Context, db Storage, n int64) (*frontier, error) {
	var ids []int64
	var start int64
	for level := 62; level >= 0; level-- {
		if n&(1<<level) != 0 {
			ids = append(ids, tlog.StoredHashIndex(level, start>>level))
			start += 1 << level
		}
	}
	roots, err := db.HashReader(ctx).ReadHashes(ids)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the stored tree: %w", err)
	}
	return &frontier{n: n, roots: roots}, nil
}

// verifySnapshot replays the entries a snapshot skipped, verifying them
// as Open does when there is none, and checks that they give the
// snapshot's state. If they do not, the log refuses every statement.
func (l *Log) verifySnapshot(s *snapshot) {
	defer close(l.verified)
	start := time.Now()
	err := l.replayPrefix(context.Background(), s)
	if err != nil {
		l.logger.Error("the state snapshot does not match the log; refusing every statement until it is removed", "err", err, "size", s.tree.N)
		l.unsound.Store(&err)
		return
	}
	l.logger.Info("the log before the state snapshot verified", "entries", s.tree.N, "seconds", time.Since(start).Seconds())
}

func (l *Log) replayPrefix(ctx context.Context, s *snapshot) error {
	state := &mechanism.State{}
	tree := &frontier{}
	var hashes []tlog.Hash
	err := chunksFrom(ctx, l.db, 0, s.tree.N, func(first int64, chunk [][]byte) error {
		select {
		case <-l.stop:
			return errClosing
		default:
		}
		// On one core: the other serves meanwhile.
		if err := replayOpened(state, first, chunk, make([]*statement.Statement, len(chunk)), nil); err != nil {
			return err
		}
		if err := checkHashes(ctx, l.db, tree, first, chunk, &hashes); err != nil {
			return err
		}
		l.metrics.verified.Set(float64(first + int64(len(chunk))))
		return nil
	})
	if errors.Is(err, errClosing) {
		return nil
	}
	if err != nil {
		return err
	}
	if tree.root() != s.tree.Hash {
		return errors.New("the entries do not give the snapshot's tree")
	}
	b, err := state.MarshalSnapshot()
	if err != nil {
		return err
	}
	if !bytes.Equal(b, s.state) {
		return errors.New("the entries do not give the snapshot's state")
	}
	return nil
}

var errClosing = errors.New("the log is closing")

// Verified returns a channel closed once the whole stored log is verified
// (at once when Open replayed it all; in the background when it started
// from a snapshot), or found not to verify: see VerifyErr.
func (l *Log) Verified() <-chan struct{} { return l.verified }

// VerifyErr returns why the stored log, before the snapshot the log
// started from, does not verify, or nil. The log then refuses every
// statement.
func (l *Log) VerifyErr() error {
	if p := l.unsound.Load(); p != nil {
		return *p
	}
	return nil
}

// saveSnapshot saves the state as it is now, on the sequencer's goroutine;
// the bytes are written in the background, one snapshot at a time.
func (l *Log) saveSnapshot(wait bool) {
	if l.unsound.Load() != nil || l.state.Size == 0 {
		return
	}
	select {
	case l.saving <- struct{}{}:
	default:
		if !wait {
			return // the last one is still being written
		}
		l.saving <- struct{}{}
	}
	start := time.Now()
	state, err := l.state.MarshalSnapshot()
	if err != nil {
		<-l.saving
		l.logger.Error("couldn't take a state snapshot", "err", err)
		return
	}
	s := &snapshot{tree: tlog.Tree{N: l.tree.n, Hash: l.tree.root()}, state: state}
	l.snapAt = s.tree.N
	l.metrics.snapshot.Observe(time.Since(start).Seconds())
	write := func() {
		defer func() { <-l.saving }()
		if err := l.db.SaveSnapshot(context.Background(), s.marshal()); err != nil {
			l.logger.Error("couldn't save a state snapshot", "err", err)
		}
	}
	if wait {
		write()
		return
	}
	go write()
}
