// Package ledger is a mechanism's Merkle log: it sequences signed
// statements into an RFC 6962 tree, commits them in batches together with
// the views, signs a c2sp.org/tlog-checkpoint after each batch, and serves
// c2sp.org/tlog-tiles and proofs.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/torchwood"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// MaxBatch is the most statements committed in one transaction.
const MaxBatch = 4096

// Receipt says where an acknowledged statement is in the log.
type Receipt struct {
	Index    int64     `json:"index"`
	LeafHash tlog.Hash `json:"leaf_hash"`
}

// Checkpoint is a signed tree head.
type Checkpoint struct {
	tlog.Tree
	Signed []byte // the signed note, as served at /log/checkpoint
	// Witnesses is the requirement Verify checked the checkpoint against,
	// or nil; Cosigned lists the witnesses whose cosignatures it found.
	Witnesses *WitnessPolicy
	Cosigned  []string
}

// Log is a mechanism's log. One goroutine, started by Open, sequences all
// appends; Submit may be called from any number of goroutines.
type Log struct {
	db       Storage
	signer   note.Signer
	verifier note.Verifier
	vkey     string
	origin   string
	logger   *slog.Logger
	now      func() time.Time

	subs    chan *submission
	stop    chan struct{}
	done    chan struct{}
	closing sync.Once
	// mu orders enqueuing against Close, so that nothing is queued after the
	// sequencer's last drain.
	mu     sync.RWMutex
	closed bool

	checkpoint atomic.Pointer[Checkpoint]
	ring       atomic.Pointer[mechanism.Keyring]
	rulebook   atomic.Pointer[mechanism.Rulebook]

	// Owned by the sequencer goroutine.
	state  *mechanism.State
	tree   *frontier
	broken error // a failed reload; the log then refuses every statement
	snapAt int64 // the size of the last state snapshot, or of the one loaded

	snapshotEvery int64
	saving        chan struct{}         // holds a token while a snapshot is written
	verified      chan struct{}         // closed once the log before the snapshot loaded is verified
	unsound       atomic.Pointer[error] // that log did not give the snapshot's state

	// The sequencer commits a batch and hands it to the syncer, which waits
	// for the disk, then publishes the batch's checkpoint and answers its
	// submitters; the sequencer applies and commits the next batch
	// meanwhile, and one sync takes every batch committed while the last
	// one ran.
	durable chan *committed
	// pending holds a token for each batch committed and not yet synced:
	// the sequencer commits the next batch while the disk takes the last,
	// and then waits, so that what arrives meanwhile makes one batch.
	pending chan struct{}
	synced  chan struct{}         // closed once the syncer has answered everything
	syncErr atomic.Pointer[error] // a failed sync: the log then refuses every statement

	metrics    metrics
	follow     *follower
	rebuilding atomic.Bool // an online rebuild runs
}

// committed is a batch that the sequencer committed and the disk may not
// hold yet.
type committed struct {
	batch    []*submission
	results  []result
	appended int
	cp       *Checkpoint         // nil when nothing was appended
	rulebook *mechanism.Rulebook // the rulebook, when the batch changed it
	follow   []projected
	start    time.Time
	// barrier, with no batch, is closed once every batch before it is
	// answered.
	barrier chan struct{}
}

type submission struct {
	msg  []byte
	st   *statement.Statement // opened against a snapshot, or nil
	done chan result
	// salt and body, for a sealed statement: its confidential body.
	salt, body []byte
}

type result struct {
	r   Receipt
	err error
}

type metrics struct {
	appended  prometheus.Counter
	refused   *prometheus.CounterVec
	batchSize prometheus.Histogram
	commit    prometheus.Histogram
	size      prometheus.Gauge
	verified  prometheus.Gauge
	loaded    prometheus.Gauge
	snapshot  prometheus.Histogram
}

// Options configure Open.
type Options struct {
	Logger *slog.Logger
	// Registerer receives the log's metrics; nil means none.
	Registerer prometheus.Registerer
	// Now returns the sequencer's clock; nil means time.Now.
	Now func() time.Time
	// SnapshotEvery is how many entries the log grows by between state
	// snapshots: 0 means SnapshotEvery, a negative number none (every
	// start-up then replays the whole log).
	SnapshotEvery int64
}

// Open loads the log stored in db, replays it into the mechanism's state and
// starts the sequencer, and the follower that writes views behind it. The
// log key, a signed-note private key, signs checkpoints; its name is the
// log's origin.
func Open(ctx context.Context, db Storage, views ViewStore, logKey string, opts Options) (*Log, error) {
	signer, err := note.NewSigner(logKey)
	if err != nil {
		return nil, errors.New("couldn't read the log key: not a signed-note private key")
	}
	vkey, err := statement.VerifierKey(logKey)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the log key: %w", err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the log key: %w", err)
	}
	l := &Log{
		db:       db,
		signer:   signer,
		verifier: verifier,
		vkey:     vkey,
		origin:   signer.Name(),
		logger:   opts.Logger,
		now:      opts.Now,
		subs:     make(chan *submission, MaxBatch),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		durable:  make(chan *committed, 16),
		pending:  make(chan struct{}, 2),
		synced:   make(chan struct{}),
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.snapshotEvery = opts.SnapshotEvery
	if l.snapshotEvery == 0 {
		l.snapshotEvery = SnapshotEvery
	}
	l.saving = make(chan struct{}, 1)
	l.verified = make(chan struct{})
	close(l.verified)
	l.metrics = newMetrics(opts.Registerer)
	at, err := views.ViewsCursor(ctx)
	if err != nil {
		return nil, err
	}
	l.follow = newFollower(views, l.logger, at, opts.Registerer)
	if err := l.load(ctx, true); err != nil {
		return nil, err
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sulh_views_lag",
			Help: "Entries in the log's latest checkpoint whose rows are not in the views yet."}, func() float64 {
			cp := l.checkpoint.Load()
			if cp == nil {
				return 0
			}
			return float64(cp.N - l.ViewsAt())
		}))
	}
	go l.follow.run()
	go l.syncer()
	go l.run()
	return l, nil
}

func newMetrics(reg prometheus.Registerer) metrics {
	m := metrics{
		appended: prometheus.NewCounter(prometheus.CounterOpts{Name: "sulh_log_appended_total", Help: "Statements appended to the log."}),
		refused:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sulh_log_refused_total", Help: "Statements refused by the sequencer, by code."}, []string{"code"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sulh_log_batch_size", Help: "Statements per committed batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 7)}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sulh_log_commit_seconds", Help: "Time from the start of a batch's commit until the disk holds it and its checkpoint is published.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		size: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sulh_log_size", Help: "Entries in the log's latest checkpoint."}),
		verified: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sulh_log_verified_entries",
			Help: "Entries verified since start-up: all the log at once, or, when it started from a state snapshot, the entries before it as the background check goes."}),
		loaded: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sulh_state_snapshot_loaded_entries",
			Help: "Entries of the state snapshot the log started from, 0 if it replayed the whole log."}),
		snapshot: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sulh_state_snapshot_seconds", Help: "Time the sequencer spent taking a state snapshot.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 8)}),
	}
	if reg != nil {
		reg.MustRegister(m.appended, m.refused, m.batchSize, m.commit, m.size, m.verified, m.loaded, m.snapshot)
	}
	return m
}

// load reads the checkpoint and recomputes the state and the tree from the
// stored entries. With catchUp, it also writes the views' rows of the
// entries past their cursor: those a crash left unwritten.
func (l *Log) load(ctx context.Context, catchUp bool) error {
	size, signed, err := l.db.Checkpoint(ctx)
	if err != nil {
		return err
	}
	// Recompute the state and the tree from the entries, and check every
	// stored hash against the recomputed one: the server never serves a
	// tile or a proof built on a hash that its entries do not give. At
	// start-up, a snapshot that the stored tree gives spares replaying the
	// entries before it, which are then verified in the background.
	state := &mechanism.State{}
	tree := &frontier{}
	var snap *snapshot
	if catchUp && l.snapshotEvery > 0 {
		st, tr, s, err := l.fromSnapshot(ctx, size)
		switch {
		case err != nil:
			l.logger.Warn("replaying the whole log: the state snapshot cannot be used", "err", err)
		case s != nil:
			state, tree, snap = st, tr, s
			l.logger.Info("starting from the state snapshot", "entries", s.tree.N, "replaying", size-s.tree.N)
		}
	}
	from := tree.n
	if from == 0 {
		// The whole log is replayed; after a snapshot, the few entries
		// of the tail grow the state as appends do.
		state.Grow(int(size))
	}
	var hashes []tlog.Hash
	var behind []projected
	var collect func(e *mechanism.Effects, st *statement.Statement) error
	if at := l.ViewsAt(); catchUp && at < size {
		l.logger.Info("the views follow the log: writing what they lack", "from", at, "to", size)
		collect = func(e *mechanism.Effects, st *statement.Statement) error {
			if e.Index < at {
				return nil
			}
			behind = append(behind, projected{e, st})
			if len(behind) < followBatch {
				return nil
			}
			err := l.follow.write(ctx, behind)
			behind = behind[:0]
			return err
		}
	}
	err = chunksFrom(ctx, l.db, from, size, func(first int64, chunk [][]byte) error {
		if err := replay(state, first, chunk, collect); err != nil {
			return err
		}
		return checkHashes(ctx, l.db, tree, first, chunk, &hashes)
	})
	if err != nil {
		return fmt.Errorf("the stored log does not verify: %w", err)
	}
	if err := l.follow.write(ctx, behind); err != nil {
		return err
	}
	l.state, l.tree, l.snapAt = state, tree, from
	if snap != nil {
		l.metrics.loaded.Set(float64(snap.tree.N))
		l.verified = make(chan struct{})
		go l.verifySnapshot(snap)
	} else if catchUp {
		l.metrics.verified.Set(float64(size))
	}
	if size > 0 {
		cp, err := l.verifyCheckpoint(signed)
		if err != nil {
			return err
		}
		if cp.N != size || cp.Hash != tree.root() {
			return fmt.Errorf("stored checkpoint (size %d) does not match the stored tree", cp.N)
		}
		l.checkpoint.Store(cp)
		l.rulebook.Store(state.Rulebook)
	}
	l.ring.Store(state.Keys())
	l.metrics.size.Set(float64(size))
	return nil
}

// replayChunk is how many entries replay verifies at once.
const replayChunk = 1024

// checkHashes appends the leaves of chunk, the entries from index first on,
// to tree, and checks the stored hashes they give against the stored
// ones. hashes is scratch space.
func checkHashes(ctx context.Context, db Storage, tree *frontier, first int64, chunk [][]byte, hashes *[]tlog.Hash) error {
	firstID := tlog.StoredHashIndex(0, first)
	*hashes = (*hashes)[:0]
	for _, data := range chunk {
		tree.append(tlog.RecordHash(data), func(_ int64, h tlog.Hash) error {
			*hashes = append(*hashes, h)
			return nil
		})
	}
	return db.HashRange(ctx, firstID, firstID+int64(len(*hashes)), func(id int64, h tlog.Hash) error {
		if h != (*hashes)[id-firstID] {
			level, n := tlog.SplitStoredHashIndex(id)
			return &VerifyError{Index: n << level, Err: fmt.Errorf("the stored tree hash %d (level %d) does not match the entries", id, level)}
		}
		return nil
	})
}

// chunksFrom calls fn with the stored entries [from, size) in order,
// replayChunk at a time, with the index of each chunk's first entry.
func chunksFrom(ctx context.Context, db Storage, from, size int64, fn func(first int64, chunk [][]byte) error) error {
	var chunk [][]byte
	first := from
	flush := func() error {
		if err := fn(first, chunk); err != nil {
			return err
		}
		first += int64(len(chunk))
		chunk = chunk[:0]
		return nil
	}
	err := db.Entries(ctx, from, size, func(_ int64, data []byte) error {
		chunk = append(chunk, data)
		if len(chunk) == replayChunk {
			return flush()
		}
		return nil
	})
	if err != nil || len(chunk) == 0 {
		return err
	}
	return flush()
}

// replay applies msgs, the entries from index first on, to state. Signatures
// are verified on every core against the keys known before the chunk; an
// entry signed by a key enrolled within the chunk is verified in sequence.
// After each statement, applied is called if not nil.
func replay(state *mechanism.State, first int64, msgs [][]byte, applied func(e *mechanism.Effects, st *statement.Statement) error) error {
	return replayOpened(state, first, msgs, state.Keys().OpenAll(msgs), applied)
}

// replayOpened is replay with the statements opened beforehand: a nil one
// is opened, and its signatures verified, in sequence.
func replayOpened(state *mechanism.State, first int64, msgs [][]byte, opened []*statement.Statement, applied func(e *mechanism.Effects, st *statement.Statement) error) error {
	for i, msg := range msgs {
		st := opened[i]
		var err error
		if st == nil {
			st, err = state.Open(msg)
		}
		var e *mechanism.Effects
		if err == nil {
			e, err = applyOne(state, st, applied != nil)
		}
		if err != nil {
			return &VerifyError{Index: first + int64(i), Err: fmt.Errorf("not a valid statement: %w", err)}
		}
		if applied != nil {
			if err := applied(e, st); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyOne applies st to state, and makes its effects only if they are
// read: State.Replay spares a verifier that work.
func applyOne(state *mechanism.State, st *statement.Statement, effects bool) (*mechanism.Effects, error) {
	if !effects {
		return nil, state.Replay(st)
	}
	return state.Apply(st)
}

func (l *Log) verifyCheckpoint(signed []byte) (*Checkpoint, error) {
	n, err := note.Open(signed, note.VerifierList(l.verifier))
	if err != nil {
		return nil, fmt.Errorf("stored checkpoint does not verify with the log key: %w", err)
	}
	c, err := torchwood.ParseCheckpoint(n.Text)
	if err != nil {
		return nil, fmt.Errorf("stored checkpoint is malformed: %w", err)
	}
	if c.Origin != l.origin {
		return nil, fmt.Errorf("stored checkpoint has origin %q, the log key %q", c.Origin, l.origin)
	}
	return &Checkpoint{Tree: c.Tree, Signed: signed}, nil
}

// VerifierKey returns the log's verifier key, with which anyone can check its
// checkpoints.
func (l *Log) VerifierKey() string { return l.vkey }

// Origin returns the log's origin, the first line of its checkpoints.
func (l *Log) Origin() string { return l.origin }

// Checkpoint returns the latest checkpoint, or nil for an empty log.
func (l *Log) Checkpoint() *Checkpoint { return l.checkpoint.Load() }

// Keys returns every key the log's members have held, as of the latest
// appended statement: a revocation or a rotation holds here from the
// moment it is appended, before its checkpoint is published.
func (l *Log) Keys() *mechanism.Keyring { return l.ring.Load() }

// Rulebook returns the rulebook in force, or nil for an empty log.
func (l *Log) Rulebook() *mechanism.Rulebook { return l.rulebook.Load() }

// ErrClosed is returned by Submit once the log is closing.
var ErrClosed = &statement.Error{Code: statement.CodeShutdown, Reason: "the log is shutting down; try again"}

// Submit verifies msg, a signed statement, and appends it. It returns once
// the statement is durable in the log, or with a *statement.Error saying why
// it was refused.
func (l *Log) Submit(ctx context.Context, msg []byte) (Receipt, error) {
	return l.submit(ctx, &submission{msg: msg, done: make(chan result, 1)})
}

// SubmitSealed appends msg, a sealed statement, and keeps body, its
// confidential body, and salt beside the log, in the same transaction. The
// salt followed by the body must give the statement's digest.
func (l *Log) SubmitSealed(ctx context.Context, msg, salt, body []byte) (Receipt, error) {
	if salt == nil || body == nil {
		return Receipt{}, statement.Invalid("a sealed statement is filed with its salt and body")
	}
	return l.submit(ctx, &submission{msg: msg, salt: salt, body: body, done: make(chan result, 1)})
}

func (l *Log) submit(ctx context.Context, sub *submission) (Receipt, error) {
	msg := sub.msg
	// Verify signatures here, in the caller's goroutine, so that the
	// sequencer only checks that the keys are still active. A key the
	// snapshot does not know yet (enrolled in the batch being committed) is
	// left for the sequencer.
	st, err := l.ring.Load().Open(msg)
	if err != nil {
		var e *statement.Error
		if !errors.As(err, &e) || e.Code != statement.CodeForbidden {
			l.metrics.refused.WithLabelValues(string(codeOf(err))).Inc()
			return Receipt{}, err
		}
	} else {
		sub.st = st
	}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return Receipt{}, ErrClosed
	}
	select {
	case l.subs <- sub:
		l.mu.RUnlock()
	case <-ctx.Done():
		l.mu.RUnlock()
		return Receipt{}, ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the statement may
	// be committed, and the caller must not believe otherwise.
	res := <-sub.done
	return res.r, res.err
}

func codeOf(err error) statement.Code {
	var e *statement.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return statement.CodeInternal
}

// Close stops accepting statements, commits those already queued and stops
// the sequencer.
func (l *Log) Close() {
	l.closing.Do(func() {
		l.mu.Lock()
		l.closed = true
		close(l.stop)
		l.mu.Unlock()
		<-l.done
		// The sequencer is done: the follower writes what it sent, then
		// stops.
		close(l.follow.in)
		<-l.follow.done
		<-l.verified
	})
	<-l.done
}

func (l *Log) run() {
	defer close(l.done)
	batch := make([]*submission, 0, MaxBatch)
	for {
		var first *submission
		select {
		case first = <-l.subs:
		case <-l.stop:
			// Drain what was queued before the stop.
			for {
				select {
				case s := <-l.subs:
					batch = append(batch, s)
					if len(batch) == MaxBatch {
						l.pending <- struct{}{}
						l.commit(batch)
						batch = batch[:0]
					}
				default:
					if len(batch) > 0 {
						l.pending <- struct{}{}
						l.commit(batch)
					}
					close(l.durable)
					<-l.synced
					if l.snapshotEvery > 0 && l.state.Size > l.snapAt && l.isVerified() && l.syncErr.Load() == nil {
						l.saveSnapshot(true)
					}
					l.saving <- struct{}{} // the last write is done
					return
				}
			}
		}
		l.pending <- struct{}{}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < MaxBatch {
			select {
			case s := <-l.subs:
				batch = append(batch, s)
			default:
				break fill
			}
		}
		l.commit(batch)
		clear(batch)
		batch = batch[:0]
	}
}

// commit appends a batch in one transaction and answers every submission,
// or has the syncer answer them once the disk holds it. The caller holds
// a token of l.pending for the batch: the syncer returns it once the disk
// holds the batch, or commit does if the batch never reaches the syncer.
func (l *Log) commit(batch []*submission) {
	handed := false
	defer func() {
		if !handed {
			<-l.pending
		}
	}()
	if l.broken != nil || l.unsound.Load() != nil || l.syncErr.Load() != nil {
		for _, sub := range batch {
			sub.done <- result{err: &statement.Error{Code: statement.CodeInternal, Reason: "internal error; the statement was not appended"}}
		}
		return
	}
	start := time.Now()
	ctx := context.Background()
	results := make([]result, len(batch))
	fail := func(err error) {
		l.logger.Error("couldn't commit batch", "err", err, "batch", len(batch))
		// The state may have moved ahead of the database: reload it, once
		// the batches committed before are published. If that fails too,
		// refuse everything rather than sequence on a state the database
		// does not hold. The submitters hear of it once the log is settled.
		l.waitSynced()
		if err := l.load(ctx, false); err != nil {
			l.logger.Error("couldn't reload the log after a failed commit; refusing all statements", "err", err)
			l.broken = err
		}
		for i := range batch {
			if results[i].err == nil {
				results[i].err = &statement.Error{Code: statement.CodeInternal, Reason: "internal error; the statement was not appended"}
			}
			batch[i].done <- results[i]
		}
	}
	tx, err := l.db.BeginLog(ctx)
	if err != nil {
		fail(err)
		return
	}
	appended := 0
	keysBefore := l.state.Keys()
	rulebookBefore := l.state.Rulebook
	now := l.now().UTC()
	inBatch := make(map[tlog.Hash]int64, len(batch))
	var follow []projected
	for i, sub := range batch {
		r, p, err := l.appendOne(ctx, tx, sub, now, inBatch)
		if err != nil {
			var e *statement.Error
			if !errors.As(err, &e) {
				tx.Rollback()
				fail(err)
				return
			}
			l.metrics.refused.WithLabelValues(string(e.Code)).Inc()
			results[i].err = err
			continue
		}
		results[i].r = r
		follow = append(follow, p)
		appended++
	}
	var cp *Checkpoint
	if appended > 0 {
		cp, err = l.sign()
		if err == nil {
			err = tx.SetCheckpoint(cp.N, cp.Signed)
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			tx.Rollback()
			fail(err)
			return
		}
		// The next batch's submitters verify against the keys as they are
		// now; the sequencer checks them again.
		if ring := l.state.Keys(); ring != keysBefore {
			l.ring.Store(ring)
		}
	} else {
		tx.Rollback()
	}
	c := &committed{batch: slices.Clone(batch), results: results, appended: appended, cp: cp, follow: follow, start: start}
	if l.state.Rulebook != rulebookBefore {
		c.rulebook = l.state.Rulebook
	}
	handed = true
	l.durable <- c
	if cp != nil && l.snapshotEvery > 0 && cp.N-l.snapAt >= l.snapshotEvery && l.isVerified() {
		l.saveSnapshot(false)
	}
}

// errUnsynced answers the statements of a batch that the disk did not
// confirm: it may hold them or not.
var errUnsynced = &statement.Error{Code: statement.CodeInternal,
	Reason: "internal error: the disk did not confirm the statement, which may or may not be in the log; submit it again once the log is back, and a duplicate is answered with its index"}

// waitSynced returns once every batch committed so far is answered.
func (l *Log) waitSynced() {
	b := make(chan struct{})
	l.durable <- &committed{barrier: b}
	<-b
}

// syncer waits for the disk to hold what the sequencer committed, then
// publishes it and answers its submitters, batch after batch, until the
// sequencer closes l.durable. Once a sync fails nothing committed since is
// known to be on the disk: every later batch is refused, and so is every
// statement until the log is opened again.
func (l *Log) syncer() {
	defer close(l.synced)
	ctx := context.Background()
	for c := range l.durable {
		group := []*committed{c}
	gather:
		for {
			select {
			case more, ok := <-l.durable:
				if !ok {
					break gather
				}
				group = append(group, more)
			default:
				break gather
			}
		}
		if l.syncErr.Load() == nil && slices.ContainsFunc(group, func(c *committed) bool { return c.appended > 0 }) {
			if err := l.db.Sync(ctx); err != nil {
				l.logger.Error("couldn't sync the log; refusing all statements until it is opened again", "err", err)
				l.syncErr.Store(&err)
			}
		}
		for _, c := range group {
			l.publish(c, l.syncErr.Load() != nil)
		}
	}
}

// publish makes a batch that the disk holds visible: its checkpoint, its
// rulebook and its views' rows to write, and answers its submitters; or,
// when the disk may not hold it, refuses them all.
func (l *Log) publish(c *committed, lost bool) {
	if c.barrier != nil {
		close(c.barrier)
		return
	}
	<-l.pending
	if lost {
		for _, sub := range c.batch {
			sub.done <- result{err: errUnsynced}
		}
		return
	}
	if c.cp != nil {
		// The follower has the entries before anyone can ask for them.
		l.follow.in <- c.follow
		l.checkpoint.Store(c.cp)
		if c.rulebook != nil {
			l.rulebook.Store(c.rulebook)
		}
		l.metrics.appended.Add(float64(c.appended))
		l.metrics.size.Set(float64(c.cp.N))
		l.metrics.batchSize.Observe(float64(c.appended))
		l.metrics.commit.Observe(time.Since(c.start).Seconds())
	}
	for i, sub := range c.batch {
		sub.done <- c.results[i]
	}
}

// appendOne applies one submission to the state and writes it in tx, and
// returns what the follower is to write in the views. A
// *statement.Error is a refusal that leaves state and tx as they were; any
// other error is a failure of the transaction.
func (l *Log) appendOne(ctx context.Context, tx LogTx, sub *submission, now time.Time, inBatch map[tlog.Hash]int64) (Receipt, projected, error) {
	leaf := tlog.RecordHash(sub.msg)
	if idx, ok := inBatch[leaf]; ok {
		return Receipt{}, projected{}, duplicate(idx)
	}
	// The same bytes have the same text: a statement whose text the state
	// has never seen is not in the log, and needs no lookup.
	lookup := sub.st == nil
	if !lookup {
		_, lookup = l.state.Text(sub.st)
	}
	if lookup {
		if idx, err := tx.LeafIndex(leaf); err == nil {
			return Receipt{}, projected{}, duplicate(idx)
		} else if !errors.Is(err, ErrNotStored) {
			return Receipt{}, projected{}, err
		}
	}
	st := sub.st
	if st == nil {
		var err error
		if st, err = l.state.Open(sub.msg); err != nil {
			return Receipt{}, projected{}, err
		}
	}
	// The log's time is the latest statement time; a statement from the
	// future would move every deadline's clock.
	if st.Time.After(now.Add(mechanism.MaxSkew)) {
		return Receipt{}, projected{}, statement.Invalid("the statement's time %s is more than %v ahead of the log's clock (%s)", st.At, mechanism.MaxSkew, now.UTC().Format(time.RFC3339))
	}
	// A sealed statement comes with its body, which must match its digest;
	// nothing else does.
	if st.Kind != mechanism.KindSealed && sub.body != nil {
		return Receipt{}, projected{}, statement.Invalid("only a sealed statement comes with a confidential body")
	}
	if st.Kind == mechanism.KindSealed {
		var x mechanism.Sealed
		if err := st.Decode(&x); err != nil {
			return Receipt{}, projected{}, err
		}
		if sub.body == nil {
			return Receipt{}, projected{}, statement.Invalid("a sealed statement is filed with its body and salt, at POST /api/v1/sealed")
		}
		if err := l.state.CheckSealed(sub.body, &x, st.Author); err != nil {
			return Receipt{}, projected{}, err
		}
		if mechanism.SealDigest(sub.salt, sub.body) != x.Digest {
			return Receipt{}, projected{}, statement.Invalid("the salt and body do not give the statement's digest")
		}
	}
	e, err := l.state.Apply(st)
	if err != nil {
		return Receipt{}, projected{}, err
	}
	idx := l.state.Size - 1
	if err := tx.AppendEntry(idx, leaf, sub.msg, now); err != nil {
		return Receipt{}, projected{}, err
	}
	if err := l.tree.append(leaf, tx.PutHash); err != nil {
		return Receipt{}, projected{}, err
	}
	if sub.body != nil {
		if err := tx.PutSealedBody(idx, sub.salt, sub.body); err != nil {
			return Receipt{}, projected{}, err
		}
	}
	inBatch[leaf] = idx
	return Receipt{Index: idx, LeafHash: leaf}, projected{e, st}, nil
}

func duplicate(idx int64) error { return statement.Duplicate(idx) }

// isVerified reports whether the log before the snapshot it started from,
// if any, is verified and gave its state.
func (l *Log) isVerified() bool {
	select {
	case <-l.verified:
		return l.unsound.Load() == nil
	default:
		return false
	}
}

// sign signs a checkpoint for the current tree.
func (l *Log) sign() (*Checkpoint, error) {
	tree := tlog.Tree{N: l.tree.n, Hash: l.tree.root()}
	text := torchwood.Checkpoint{Origin: l.origin, Tree: tree}.String()
	signed, err := note.Sign(&note.Note{Text: text}, l.signer)
	if err != nil {
		return nil, fmt.Errorf("couldn't sign checkpoint: %w", err)
	}
	return &Checkpoint{Tree: tree, Signed: signed}, nil
}

// SignNote signs text, which must end with a newline, as a note by the
// log's key: how the mechanism vouches for what it sends, such as webhook
// notices. Anyone verifies it with the key served at /log/key.
func (l *Log) SignNote(text string) ([]byte, error) {
	return note.Sign(&note.Note{Text: text}, l.signer)
}
