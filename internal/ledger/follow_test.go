package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/ledger"
)

// TestViewsFollow: the log acknowledges a statement once it is in the log;
// a read that asks for the views to hold it waits until the follower has
// written it, and then finds it. Asking for an index the log does not have
// yet gives up when the context ends.
func TestViewsFollow(t *testing.T) {
	ctx := context.Background()
	m, _ := newMechanism(t)
	if err := m.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		r, err := m.Log.Submit(ctx, report(t, m, "pakistan-liaison-1", i))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Log.WaitViews(ctx, r.Index+1); err != nil {
			t.Fatal(err)
		}
		if got := m.Log.ViewsAt(); got < r.Index+1 {
			t.Fatalf("WaitViews(%d) returned with the views at %d", r.Index+1, got)
		}
		n, err := m.Log.DB.Count(ctx, "statements")
		if err != nil {
			t.Fatal(err)
		}
		if n < r.Index+1 {
			t.Fatalf("the views hold %d statements after waiting for %d", n, r.Index+1)
		}
	}
	ahead := m.Log.Checkpoint().N + 1
	wait, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := m.Log.WaitViews(wait, ahead); !errors.Is(err, ledger.ErrViewsBehind) {
		t.Fatalf("WaitViews past the log: %v, want ErrViewsBehind", err)
	}
}
