// Package audit checks a mechanism's server against its own public log:
// it verifies the log as sulh verify-log does, replays every statement
// through the same core into views of its own, as the server's rebuild
// would, and compares the figures the server publishes with those views,
// at one log size.
package audit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// Options configure Run.
type Options struct {
	// URL is the server's base address, such as http://127.0.0.1:8080.
	URL string
	// Key is the log's verifier.
	Key note.Verifier
	// StateFile, if set, keeps what an audit verified: the checkpoint
	// (the same file as sulh verify-log --state keeps), which the log
	// must have grown from, and beside it, in StateFile+".audit", the
	// core's state and the views at that checkpoint, so that the next
	// audit fetches and replays only the entries after it. Without it,
	// the views are built in a temporary folder, removed after.
	StateFile string
	// Comparisons are the figures compared; nil means Default().
	Comparisons []Comparison
	// HTTPClient, if set, makes the requests; it needs no timeout, as
	// each request has its own.
	HTTPClient *http.Client
	// Progress, if set, is called as entries are verified and replayed,
	// with the entries done and the log's size.
	Progress func(done, total int64)
	// Step, if set, is told each step that follows a replay, which
	// Progress does not follow, as it begins: such as "comparing the
	// counts and lists at log size 1000257".
	Step func(what string)
}

// Result is what an audit found.
type Result struct {
	// Checkpoint is the checkpoint verified, whose size the figures were
	// compared at.
	Checkpoint *ledger.Checkpoint
	// Previous is the size of the last audit's checkpoint, or -1 if
	// there was none.
	Previous int64
	// Resumed says that only the entries after Previous were fetched and
	// replayed, onto the state and views the last audit kept.
	Resumed bool
	// Replayed is how many statements this run verified and replayed.
	Replayed int64
	// Compared counts the figures each comparison compared, in order.
	Compared []Count
	// Differences are the figures that differ, in the order found.
	Differences []Difference
}

// Count is how many figures a comparison compared.
type Count struct {
	Name    string
	Figures int
}

// Difference is a figure that the server shows otherwise than the log
// gives it.
type Difference struct {
	Comparison string // such as "cases by party"
	What       string // such as "pakistan accused"
	Server     string // the server's figure, or "none"
	Log        string // the log's, or "none"
}

func (d Difference) String() string {
	return fmt.Sprintf("%s: %s: server %s, log %s", d.Comparison, d.What, d.Server, d.Log)
}

// VerifyError is a log that does not verify: a bad signature or hash, an
// entry missing or changed, a log that is not the one the last audit saw.
type VerifyError struct{ Err error }

func (e *VerifyError) Error() string { return "the log does not verify: " + e.Err.Error() }
func (e *VerifyError) Unwrap() error { return e.Err }

// maxRounds is how many times Run verifies the entries that arrived while
// it compared, before it gives up on comparing at one size.
const maxRounds = 5

// Run audits the server at opts.URL. It returns a *VerifyError if the log
// does not verify, and otherwise the result, whose Differences are empty
// when every figure matches.
func Run(ctx context.Context, opts Options) (*Result, error) {
	base := strings.TrimSuffix(strings.TrimSuffix(opts.URL, "/"), "/log")
	hc := opts.HTTPClient
	if hc == nil {
		// Verify fetches several tiles at once, ahead of those it
		// checks: keep a connection open for each.
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = 4 * runtime.GOMAXPROCS(0)
		hc = &http.Client{Transport: transport}
	}
	tileClient := *hc
	tileClient.Timeout = time.Minute
	fetcher := ledger.NewFetcher(base+"/log/", &tileClient, "sulh audit")
	comparisons := opts.Comparisons
	if comparisons == nil {
		comparisons = Default()
	}

	step := opts.Step
	if step == nil {
		step = func(string) {}
	}
	res := &Result{Previous: -1}
	var prev *tlog.Tree
	if opts.StateFile != "" {
		var err error
		if prev, err = ledger.ReadState(opts.StateFile, opts.Key); err != nil {
			return nil, err
		}
		if prev != nil {
			res.Previous = prev.N
		}
	}
	ws, err := openWork(ctx, opts.StateFile, prev)
	if err != nil {
		return nil, err
	}
	defer ws.close()
	res.Resumed = ws.state.Size > 0

	client := &Client{base: base, http: hc}
	// The reports of the publications that the server lists: made when
	// the replay reaches their sizes.
	since := ws.state.Size
	rs := newReports(base, hc)
	if err := rs.listed(ctx, since); err != nil {
		return nil, err
	}
	makeAt := func(size int64, rb *mechanism.Rulebook) error { return rs.makeAt(ctx, ws.db, size, rb) }
	var cp *ledger.Checkpoint
	var grown *grownError
	stopAhead := func() {}
	defer func() { stopAhead() }()
	for round := 1; ; round++ {
		n, err := ws.replay(ctx, fetcher, opts.Key, prev, opts.Progress, rs.stops(ws.state.Size), makeAt)
		if err != nil {
			return nil, err
		}
		if grown != nil && ws.cp.N < grown.at {
			// The views follow the log: they never hold more than its
			// latest checkpoint.
			return nil, fmt.Errorf("the server's views hold %d entries, but its signed log %d: its figures are not those of the log it publishes", grown.at, ws.cp.N)
		}
		res.Replayed += n
		cp = ws.cp
		prev = &cp.Tree
		client.at(cp.N)
		// The server makes the latest reports while the audit compares
		// the other figures and makes its own: on a large log, the
		// server takes longer to make them than the audit takes for
		// all of that.
		stopAhead()
		stopAhead = rs.prefetch(ctx, latestOf(ws.state))
		step(fmt.Sprintf("comparing the counts and lists at log size %d", cp.N))
		res.Compared, res.Differences, err = compare(ctx, client, ws.db, comparisons)
		if errors.As(err, &grown) && round < maxRounds {
			continue // verify and replay what came in meanwhile
		}
		if err != nil {
			return nil, err
		}
		break
	}
	if cp.N > 0 {
		step("making the periodic reports")
		pubs, err := rs.published(ctx, ws.db, since)
		if err != nil {
			return nil, err
		}
		latest, err := rs.latest(ctx, ws.db, ws.state)
		if err != nil {
			return nil, err
		}
		if err := rs.again(ctx, fetcher, opts.Key, cp, opts.Progress, step); err != nil {
			return nil, err
		}
		step("comparing the periodic reports")
		d, n, err := rs.check(ctx, cp.N, pubs, latest)
		if err != nil {
			return nil, fmt.Errorf("couldn't compare the periodic reports: %w", err)
		}
		res.Compared = append(res.Compared, Count{ReportsComparison, n})
		res.Differences = append(res.Differences, d...)
	}
	res.Checkpoint = cp
	if opts.StateFile != "" {
		step("keeping the audit's state and views for the next")
		if err := ws.save(ctx, opts.StateFile); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// compare runs each comparison against the server at the log size the
// client asks for.
func compare(ctx context.Context, c *Client, local *store.DB, comparisons []Comparison) ([]Count, []Difference, error) {
	var counts []Count
	var diffs []Difference
	if c.size == 0 {
		return nil, nil, nil
	}
	for _, cmp := range comparisons {
		d, n, err := cmp.Compare(ctx, c, local)
		if err != nil {
			return nil, nil, fmt.Errorf("couldn't compare %s: %w", cmp.Name, err)
		}
		counts = append(counts, Count{cmp.Name, n})
		diffs = append(diffs, d...)
	}
	return counts, diffs, nil
}

// work is where an audit builds its views: a temporary folder, or the
// folder beside the state file that the last audit left.
type work struct {
	dir   string
	temp  bool
	db    *store.DB
	state *mechanism.State   // the core's state after the entries the views hold
	cp    *ledger.Checkpoint // the checkpoint verified last
	// fresh are the views being built by a whole replay, installed once
	// it is done; nil when the views hold the last audit's.
	fresh ledger.NewViews
}

// Files beside the state file.
const (
	workSuffix = ".audit"     // the folder
	stateName  = "state.snap" // the core's state (mechanism.State.MarshalSnapshot)
)

// viewsName is the views' database (store.OpenSQLite), with
// audit-VERSION-views.db beside it. The views hold only what an audit
// reads (store.AuditTables), and the name says which: views that another
// release kept, holding other tables, are not resumed but built anew.
var viewsName = "audit-" + store.AuditViewsVersion + ".db"

// openViews opens the audit's views at file, writing only what it reads.
func openViews(ctx context.Context, file string) (*store.DB, error) {
	db, err := store.OpenSQLite(ctx, file)
	if err != nil {
		return nil, err
	}
	if err := db.WriteAuditTablesOnly(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openWork opens the views and state the last audit kept beside
// stateFile, if they are those of prev, or starts anew.
func openWork(ctx context.Context, stateFile string, prev *tlog.Tree) (*work, error) {
	w := &work{state: &mechanism.State{}}
	if stateFile == "" {
		dir, err := os.MkdirTemp("", "sulh-audit-")
		if err != nil {
			return nil, fmt.Errorf("couldn't create a folder for the audit's views: %w", err)
		}
		w.dir, w.temp = dir, true
	} else {
		w.dir = stateFile + workSuffix
		if prev != nil && w.resume(ctx, prev) {
			return w, nil
		}
		// Nothing to resume from: start anew.
		if err := os.RemoveAll(w.dir); err != nil {
			return nil, fmt.Errorf("couldn't remove the last audit's views: %w", err)
		}
		if err := os.MkdirAll(w.dir, 0o700); err != nil {
			return nil, fmt.Errorf("couldn't create a folder for the audit's views: %w", err)
		}
	}
	db, err := openViews(ctx, filepath.Join(w.dir, viewsName))
	if err != nil {
		w.close()
		return nil, err
	}
	w.db = db
	if w.fresh, err = db.NewViews(ctx); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// resume opens the state and views that the last audit kept, and reports
// whether they are those of prev; if not, the caller starts anew.
func (w *work) resume(ctx context.Context, prev *tlog.Tree) bool {
	b, err := os.ReadFile(filepath.Join(w.dir, stateName))
	if err != nil {
		return false
	}
	state, err := mechanism.UnmarshalSnapshot(b)
	if err != nil || state.Size != prev.N {
		return false
	}
	db, err := openViews(ctx, filepath.Join(w.dir, viewsName))
	if err != nil {
		return false
	}
	if at, err := db.ViewsCursor(ctx); err != nil || at != prev.N {
		db.Close()
		return false
	}
	// Verify checks that the state's leaf hashes give prev's root.
	w.db, w.state = db, state
	return true
}

// replay verifies the log from where the views are to the server's
// latest checkpoint, and writes the rows of its entries into the views.
// It returns the number of entries replayed. At each size in stops that
// it passes, it commits the views there and calls at with the size and
// the rulebook in force, while the views hold that size: how the audit
// makes a report as of an earlier size. What at makes stands only if
// replay succeeds.
func (w *work) replay(ctx context.Context, r torchwood.TileReader, key note.Verifier, prev *tlog.Tree, progress func(done, total int64), stops map[int64]bool, at func(size int64, rb *mechanism.Rulebook) error) (int64, error) {
	from := w.state.Size
	var tx ledger.ViewTx
	var wr *writer
	begin := func() error {
		var err error
		if w.fresh != nil {
			tx, err = w.fresh.BeginViews(context.WithoutCancel(ctx))
		} else {
			tx, err = w.db.BeginViews(context.WithoutCancel(ctx))
		}
		if err != nil {
			return err
		}
		wr = newWriter(tx)
		return nil
	}
	// commit writes what is queued and commits the views at size n.
	commit := func(n int64) error {
		if err := wr.finish(); err != nil {
			return err
		}
		if err := tx.SetViewsCursor(n); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("couldn't commit the audit's views: %w", err)
		}
		if w.fresh != nil {
			if err := w.fresh.Install(context.WithoutCancel(ctx)); err != nil {
				return err
			}
			w.fresh = nil
		}
		return nil
	}
	if err := begin(); err != nil {
		return 0, err
	}
	defer func() { tx.Rollback() }()
	var stopErr error // a failure at a stop, not of the log
	applied := func(e *mechanism.Effects, st *statement.Statement) error {
		if err := wr.add(e, st); err != nil {
			return err
		}
		if n := w.state.Size; stops[n] {
			stopErr = commit(n)
			if stopErr == nil {
				stopErr = at(n, w.state.Rulebook)
			}
			if stopErr == nil {
				stopErr = begin()
			}
			return stopErr
		}
		return nil
	}
	cp, err := ledger.Verify(ctx, r, key, ledger.VerifyOptions{Previous: prev, From: w.state, Progress: progress, Applied: applied})
	if werr := wr.finish(); werr != nil {
		return 0, werr
	}
	if err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		if stopErr != nil {
			return 0, stopErr
		}
		return 0, &VerifyError{err}
	}
	if err := tx.SetViewsCursor(cp.N); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("couldn't commit the audit's views: %w", err)
	}
	if w.fresh != nil {
		if err := w.fresh.Install(context.WithoutCancel(ctx)); err != nil {
			return 0, err
		}
		w.fresh = nil
	}
	w.cp = cp
	return cp.N - from, nil
}

// save keeps the state and views beside stateFile, then the checkpoint
// in it: the checkpoint last, so that a state file always names a
// checkpoint that the folder's state and views, if they match it, hold.
func (w *work) save(ctx context.Context, stateFile string) error {
	b, err := w.state.MarshalSnapshot()
	if err != nil {
		return fmt.Errorf("couldn't save the audit's state: %w", err)
	}
	if err := writeFile(filepath.Join(w.dir, stateName), b); err != nil {
		return err
	}
	return writeFile(stateFile, w.cp.Signed)
}

// writeFile replaces name with b, all or nothing.
func writeFile(name string, b []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("couldn't save state: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("couldn't save state: %w", err)
	}
	return nil
}

func (w *work) close() {
	if w.fresh != nil {
		w.fresh.Discard()
	}
	if w.db != nil {
		w.db.Close()
	}
	if w.temp {
		os.RemoveAll(w.dir)
	}
}

// writerBatch is how many applied entries are handed to the writer at
// once.
const writerBatch = 1024

// writer writes the rows of applied entries into the views on a goroutine
// of its own, while the next entries are verified and applied.
type writer struct {
	tx      ledger.ViewTx
	batch   []projected
	in      chan []projected
	stopped chan struct{} // closed when the goroutine returns
	err     error         // why it stopped early; read after stopped
	done    bool          // finish was called
}

type projected struct {
	e  *mechanism.Effects
	st *statement.Statement
}

func newWriter(tx ledger.ViewTx) *writer {
	w := &writer{tx: tx, in: make(chan []projected, 4), stopped: make(chan struct{})}
	go func() {
		defer close(w.stopped)
		for b := range w.in {
			for _, p := range b {
				if err := tx.Project(p.e, p.st); err != nil {
					w.err = fmt.Errorf("couldn't write the audit's views: %w", err)
					return
				}
			}
		}
	}()
	return w
}

// add queues an applied entry's rows; it is ledger.VerifyOptions.Applied.
func (w *writer) add(e *mechanism.Effects, st *statement.Statement) error {
	w.batch = append(w.batch, projected{e, st})
	if len(w.batch) < writerBatch {
		return nil
	}
	return w.flush()
}

func (w *writer) flush() error {
	if len(w.batch) == 0 {
		return nil
	}
	select {
	case w.in <- w.batch:
		w.batch = make([]projected, 0, writerBatch)
		return nil
	case <-w.stopped:
		return w.err
	}
}

// finish writes what is queued and waits for the writer.
func (w *writer) finish() error {
	if w.done {
		return w.err
	}
	w.done = true
	err := w.flush()
	close(w.in)
	<-w.stopped
	if w.err != nil {
		return w.err
	}
	return err
}
