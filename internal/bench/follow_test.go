package bench

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/ledger"
)

// TestFollow runs both modes with tiny numbers on one folder and checks
// that what they measure holds together: every statement acknowledged is
// in the log and then in the views, the lags are ordered and not negative,
// and the follower wrote what was submitted.
func TestFollow(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "m")
	steady, err := Follow(ctx, FollowOptions{Dir: dir, Rate: 300, Duration: time.Second, Clients: 8, Verify: 100})
	if err != nil {
		t.Fatal(err)
	}
	burst, err := Follow(ctx, FollowOptions{Dir: dir, Burst: 400, Clients: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*FollowResult{steady, burst} {
		t.Logf("%+v", *r)
		if r.FollowerEntries != int64(r.N) || r.FollowerTransactions < 1 || r.FollowerPerSecond <= 0 || r.ImpliedSeconds <= 0 {
			t.Errorf("%s: the follower wrote %d entries in %d transactions at %.0f/s; want the %d submitted", r.Mode, r.FollowerEntries, r.FollowerTransactions, r.FollowerPerSecond, r.N)
		}
		if r.LagP50ms < 0 || r.LagP50ms > r.LagP99ms || r.LagP99ms > r.LagMaxms || r.LagMaxms > r.ViewsSeconds*1000 {
			t.Errorf("%s: lags p50 %.2f, p99 %.2f, max %.2f ms, the views done after %.2f s", r.Mode, r.LagP50ms, r.LagP99ms, r.LagMaxms, r.ViewsSeconds)
		}
		if r.Checkpoints < 1 || r.Checkpoints > r.N || r.LogSeconds <= 0 || r.ViewsSeconds < r.LogSeconds || r.Seconds <= 0 || r.P50ms > r.P99ms {
			t.Errorf("%s: %d checkpoints, the log done after %.3f s, the views after %.3f s, acknowledged in %.3f s", r.Mode, r.Checkpoints, r.LogSeconds, r.ViewsSeconds, r.Seconds)
		}
	}
	if steady.Mode != "steady" || steady.N != 300 || steady.Verify == nil || steady.Verify.AllCoresPerSec <= 0 {
		t.Errorf("steady: %+v", *steady)
	}
	// Statements are submitted at their times: the last one a second
	// after the first, less one interval.
	if steady.Seconds < 0.99 || steady.PerSecond > 1.05*steady.Rate {
		t.Errorf("steady: %d statements at %.0f/s asked took %.3f s (%.0f/s)", steady.N, steady.Rate, steady.Seconds, steady.PerSecond)
	}
	if burst.Mode != "burst" || burst.N != 400 || burst.LogSize != steady.LogSize+400 || burst.Verify != nil {
		t.Errorf("burst: %+v after the steady run's log of %d", *burst, steady.LogSize)
	}

	// Every statement is in the views.
	l, err := datadir.Open(ctx, dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n, err := l.DB.Count(ctx, "statements")
	if err != nil {
		t.Fatal(err)
	}
	if n != burst.LogSize || l.ViewsAt() != burst.LogSize {
		t.Errorf("the views hold %d statements, their cursor at %d; the log %d", n, l.ViewsAt(), burst.LogSize)
	}
}

// TestLagAt: the lags are quantiles over entries, not over checkpoints.
func TestLagAt(t *testing.T) {
	w := &watch{commits: []commit{
		{entries: 1, lag: 50 * time.Millisecond},
		{entries: 97, lag: 2 * time.Millisecond},
		{entries: 2, lag: 9 * time.Millisecond},
		{entries: 5, lag: time.Second}, // not yet seen in the views
	}, resolved: 3}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{
		{0, 2 * time.Millisecond},
		{0.5, 2 * time.Millisecond},
		{0.97, 2 * time.Millisecond},
		{0.98, 9 * time.Millisecond},
		{0.99, 9 * time.Millisecond},
		{0.995, 50 * time.Millisecond},
		{1, 50 * time.Millisecond},
	} {
		if got := w.lagAt(c.q); got != c.want {
			t.Errorf("lagAt(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := (&watch{}).lagAt(0.5); got != 0 {
		t.Errorf("lagAt with no checkpoints = %v", got)
	}
}
