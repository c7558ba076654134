package ledger

import (
	"context"
	"errors"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// ErrNotStored is what storage returns for an entry, a leaf or a row it
// does not hold.
var ErrNotStored = errors.New("not found")

// Storage keeps the log: its entries, the tree's hashes, the latest
// checkpoint and the bodies of sealed statements. The sequencer's
// transactions write nothing else. store.DB is the SQLite adapter.
type Storage interface {
	// Checkpoint returns the latest checkpoint's size and signed note; an
	// empty log has size 0 and no note.
	Checkpoint(ctx context.Context) (size int64, signed []byte, err error)
	// Entry returns entry i, or ErrNotStored.
	Entry(ctx context.Context, i int64) ([]byte, error)
	// Entries calls fn with the entries [from, to) in order.
	Entries(ctx context.Context, from, to int64, fn func(idx int64, data []byte) error) error
	// HashRange calls fn with the stored hashes of ids [from, to) in order
	// (see tlog.StoredHashIndex).
	HashRange(ctx context.Context, from, to int64, fn func(id int64, h tlog.Hash) error) error
	HashReader(ctx context.Context) tlog.HashReader
	// BeginLog starts the transaction of one committed batch. A commit
	// need not be durable when it returns: Sync makes it so.
	BeginLog(ctx context.Context) (LogTx, error)
	// Sync makes every log transaction committed before it durable. The
	// sequencer commits the next batch while the disk takes the last one,
	// and acknowledges a batch only once a Sync after its commit returned.
	Sync(ctx context.Context) error
	// LoadSnapshot returns the state snapshot saved last, or nil if there
	// is none; SaveSnapshot replaces it, all or nothing. A snapshot is
	// only ever used after checking it against the log.
	LoadSnapshot(ctx context.Context) ([]byte, error)
	SaveSnapshot(ctx context.Context, b []byte) error
}

// LogTx is one transaction of the sequencer.
type LogTx interface {
	// LeafIndex returns the index of the entry with leaf hash h, or
	// ErrNotStored.
	LeafIndex(h tlog.Hash) (int64, error)
	AppendEntry(idx int64, leaf tlog.Hash, data []byte, at time.Time) error
	PutHash(id int64, h tlog.Hash) error
	PutSealedBody(idx int64, salt, body []byte) error
	SetCheckpoint(size int64, signed []byte) error
	Commit() error
	Rollback() error
}

// ViewStore holds the views, the tables the follower writes behind the
// log, with the cursor that says how far they are.
type ViewStore interface {
	// ViewsCursor returns n: the views hold the entries [0, n).
	ViewsCursor(ctx context.Context) (int64, error)
	BeginViews(ctx context.Context) (ViewTx, error)
}

// ViewTx is one transaction of the follower.
type ViewTx interface {
	// Project writes the rows of one applied statement.
	Project(e *mechanism.Effects, st *statement.Statement) error
	SetViewsCursor(n int64) error
	Commit() error
	Rollback() error
}

// ViewBuilder is a ViewStore that can build views anew, apart from the
// live ones, and switch to them: how a rebuild writes while the server
// serves.
type ViewBuilder interface {
	ViewStore
	// NewViews creates empty views that nothing reads until Install.
	NewViews(ctx context.Context) (NewViews, error)
}

// NewViews are views being built apart from the live ones.
type NewViews interface {
	BeginViews(ctx context.Context) (ViewTx, error)
	// Sync makes what is committed durable, and later commits durable
	// when they return; it may take long, so it is called before the
	// last writes, and Install then has little left to do.
	Sync(ctx context.Context) error
	// Install makes these the live views, durably, all at once: a read
	// sees the old views or these, never part of either, and so does a
	// server started after a crash at any moment. The ViewStore's reads
	// and writes then go to these views, whose cursor must be where the
	// follower is.
	Install(ctx context.Context) error
	// Discard abandons the views and removes them, unless installed.
	Discard() error
}
