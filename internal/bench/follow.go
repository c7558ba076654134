package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
)

// FollowOptions configure Follow.
type FollowOptions struct {
	Dir string // data folder; a bench mechanism is created there if it holds none
	// Rate statements a second are submitted for Duration, each at its
	// time: the steady mode.
	Rate     float64
	Duration time.Duration
	// Burst, if more than 0, is a number of statements submitted as fast
	// as Clients submitters can instead.
	Burst   int
	Clients int // concurrent submitters
	// Poll is how often the log's checkpoint and the views' cursor are
	// read; 0 means every 2 ms.
	Poll time.Duration
	// Verify, if more than 0, is how many signatures per core Verify
	// checks before the run, for the rate beside which to read it.
	Verify int
	// Progress, if set, is told how many statements are acknowledged.
	Progress func(done, total int)
	Logger   *slog.Logger
}

// FollowResult is what Follow measured.
type FollowResult struct {
	Mode string `json:"mode"` // "steady" or "burst"
	N    int    `json:"n"`    // statements submitted
	// Rate is the rate asked for, in the steady mode.
	Rate float64 `json:"rate,omitempty"`
	// Seconds is the time from the first submission to the last
	// acknowledgement, and PerSecond N over it.
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	// P50ms and P99ms are the times submitters waited for their
	// acknowledgements.
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	// The lag of the views, over every statement: the time from the
	// first sight of the checkpoint that committed it to the first sight
	// of the views holding it, each read every PollMs.
	LagP50ms    float64 `json:"lag_p50_ms"`
	LagP99ms    float64 `json:"lag_p99_ms"`
	LagMaxms    float64 `json:"lag_max_ms"`
	PollMs      float64 `json:"poll_ms"`
	Checkpoints int     `json:"checkpoints"`
	// LogSeconds and ViewsSeconds are the times from the first
	// submission until the log, and then the views, held every statement.
	LogSeconds   float64 `json:"log_seconds"`
	ViewsSeconds float64 `json:"views_seconds"`
	// What the follower wrote during the run: entries, transactions, the
	// time its transactions took, and entries over that time: its own
	// rate, when it has work. ImpliedSeconds is N at that rate.
	FollowerEntries        int64   `json:"follower_entries"`
	FollowerTransactions   int64   `json:"follower_transactions"`
	FollowerWritingSeconds float64 `json:"follower_writing_seconds"`
	FollowerPerSecond      float64 `json:"follower_per_second"`
	ImpliedSeconds         float64 `json:"implied_seconds"`
	LogSize                int64   `json:"log_size"`
	// Verify is the signature verification rate measured just before.
	Verify *VerifyResult `json:"verify,omitempty"`
	CPUs   int           `json:"cpus"`
}

// viewsTimeout is how long Follow waits, after the last acknowledgement,
// for the views to hold every statement.
const viewsTimeout = 5 * time.Minute

// Follow measures how closely the views follow the log of the mechanism
// in opts.Dir while report statements are appended in process: at a
// steady rate for a duration, or, with opts.Burst, as a burst as fast as
// the log takes them. Statements are signed before the clock starts.
func Follow(ctx context.Context, opts FollowOptions) (*FollowResult, error) {
	if opts.Clients < 1 {
		return nil, errors.New("clients must be at least 1")
	}
	if opts.Poll <= 0 {
		opts.Poll = 2 * time.Millisecond
	}
	res := &FollowResult{Mode: "steady", PollMs: ms(opts.Poll), CPUs: runtime.NumCPU()}
	n := opts.Burst
	if n > 0 {
		res.Mode = "burst"
	} else {
		if opts.Rate <= 0 || opts.Duration <= 0 {
			return nil, errors.New("the rate and the duration must be more than 0, or the burst at least 1")
		}
		res.Rate = opts.Rate
		n = max(1, int(opts.Rate*opts.Duration.Seconds()))
	}
	res.N = n
	if opts.Verify > 0 {
		v, err := Verify(opts.Verify)
		if err != nil {
			return nil, err
		}
		res.Verify = v
	}

	l, err := open(ctx, opts.Dir, ledger.Options{Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	signers, err := reporters(ctx, l.Log, filepath.Join(opts.Dir, demo.KeysDir), opts.Clients)
	if err != nil {
		return nil, err
	}
	msgs, err := sign(l.Rulebook().ID, signers, n)
	if err != nil {
		return nil, err
	}
	if err := l.WaitViews(ctx, l.Checkpoint().N); err != nil {
		return nil, err
	}
	base := l.Checkpoint().N
	target := base + int64(n)
	before := l.FollowStats()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &watch{l: l, poll: opts.Poll, target: target, last: base, held: base, done: make(chan struct{})}
	t0 := time.Now()
	w.t0 = t0
	go w.run(ctx)

	// The submitters take statements as they fall due: each at its time
	// in the steady mode, all at once in a burst.
	due := make(chan int, n)
	if opts.Burst > 0 {
		for i := range n {
			due <- i
		}
		close(due)
	} else {
		go func() {
			defer close(due)
			interval := time.Duration(float64(time.Second) / opts.Rate)
			for i := 0; i < n; {
				next := t0.Add(time.Duration(i) * interval)
				if d := time.Until(next); d > 0 {
					select {
					case <-time.After(d):
					case <-ctx.Done():
						return
					}
				}
				for now := time.Now(); i < n && !t0.Add(time.Duration(i)*interval).After(now); i++ {
					due <- i
				}
			}
		}()
	}
	lat := make([]time.Duration, n)
	var done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	for range opts.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range due {
				if ctx.Err() != nil {
					return
				}
				s := time.Now()
				if _, err := l.Submit(ctx, msgs[i]); err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("statement %d: %w", i, err) })
					cancel()
					return
				}
				lat[i] = time.Since(s)
				if d := done.Add(1); opts.Progress != nil && d%1000 == 0 {
					opts.Progress(int(d), n)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	if firstErr != nil {
		return nil, firstErr
	}
	// The watch ends once the views hold every statement.
	select {
	case <-w.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(viewsTimeout):
		return nil, fmt.Errorf("the views hold %d entries of %d %v after the last acknowledgement", l.ViewsAt(), target, viewsTimeout)
	}
	after := l.FollowStats()

	slices.Sort(lat)
	res.Seconds = elapsed.Seconds()
	res.PerSecond = float64(n) / elapsed.Seconds()
	res.P50ms, res.P99ms = ms(pct(lat, 50)), ms(pct(lat, 99))
	res.LogSeconds, res.ViewsSeconds = w.logAll.Seconds(), w.viewsAll.Seconds()
	res.Checkpoints = len(w.commits)
	res.LagP50ms, res.LagP99ms, res.LagMaxms = ms(w.lagAt(0.50)), ms(w.lagAt(0.99)), ms(w.lagAt(1))
	res.FollowerEntries = after.Entries - before.Entries
	res.FollowerTransactions = after.Transactions - before.Transactions
	writing := after.Writing - before.Writing
	res.FollowerWritingSeconds = writing.Seconds()
	if writing > 0 {
		res.FollowerPerSecond = float64(res.FollowerEntries) / writing.Seconds()
		res.ImpliedSeconds = float64(n) / res.FollowerPerSecond
	}
	res.LogSize = l.Checkpoint().N
	return res, nil
}

// watch reads the log's checkpoint and the views' cursor every poll, and
// keeps when each checkpoint was first seen and how long the views took to
// hold it.
type watch struct {
	l      *datadir.Node
	poll   time.Duration
	t0     time.Time
	target int64 // the log size at which the run is over
	last   int64 // the size of the latest checkpoint seen
	// commits are the checkpoints seen, in order; the first resolved of
	// them the views were seen to hold, the entries [0, held).
	commits  []commit
	resolved int
	held     int64
	// When the log, and the views, were first seen to hold target, from
	// t0.
	logAll, viewsAll time.Duration
	done             chan struct{}
}

// commit is a checkpoint seen by the watch: the entries it added, when it
// was first seen, and how long after that the views were seen to hold it.
type commit struct {
	entries int64
	seen    time.Time
	lag     time.Duration
}

func (w *watch) run(ctx context.Context) {
	defer close(w.done)
	tick := time.NewTicker(w.poll)
	defer tick.Stop()
	for {
		// The cursor first, then the checkpoint: the views never hold
		// more than the checkpoint read after them.
		now := time.Now()
		at := w.l.ViewsAt()
		if cp := w.l.Checkpoint(); cp != nil && cp.N > w.last {
			w.commits = append(w.commits, commit{entries: cp.N - w.last, seen: now})
			w.last = cp.N
			if cp.N >= w.target && w.logAll == 0 {
				w.logAll = now.Sub(w.t0)
			}
		}
		for w.resolved < len(w.commits) && w.held+w.commits[w.resolved].entries <= at {
			c := &w.commits[w.resolved]
			c.lag = now.Sub(c.seen)
			w.held += c.entries
			w.resolved++
		}
		if at >= w.target {
			w.viewsAll = now.Sub(w.t0)
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// lagAt returns the lag of the views that a fraction q of the entries
// seen did not exceed.
func (w *watch) lagAt(q float64) time.Duration {
	c := slices.Clone(w.commits[:w.resolved])
	if len(c) == 0 {
		return 0
	}
	slices.SortFunc(c, func(a, b commit) int { return cmp.Compare(a.lag, b.lag) })
	var total int64
	for _, x := range c {
		total += x.entries
	}
	var sum int64
	for _, x := range c {
		sum += x.entries
		if float64(sum) >= q*float64(total) {
			return x.lag
		}
	}
	return c[len(c)-1].lag
}
