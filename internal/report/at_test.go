package report_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/report"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		url, base string
		want      report.Address
	}{
		{"http://127.0.0.1:8080/reports/daily/2025-11-12.html?size=82", "http://127.0.0.1:8080", report.Address{Kind: "daily", Date: "2025-11-12", Format: "html", Size: 82}},
		{"https://sulh.example/m/reports/monthly/2025-11-15.pdf?size=1", "https://sulh.example/m", report.Address{Kind: "monthly", Date: "2025-11-15", Format: "pdf", Size: 1}},
		{"https://sulh.example/reports/weekly/2025-11-15.json?size=7", "https://sulh.example", report.Address{Kind: "weekly", Date: "2025-11-15", Format: "json", Size: 7}},
		{"https://sulh.example/reports/weekly/2025-11-15.html", "", report.Address{}},
		{"https://sulh.example/reports/weekly/2025-11-15.html?size=07", "", report.Address{}},
		{"https://sulh.example/reports/weekly/2025-11-15.html?size=7&x=1", "", report.Address{}},
		{"https://sulh.example/reports/hourly/2025-11-15.html?size=7", "", report.Address{}},
		{"https://sulh.example/reports/weekly/2025-11-15.csv?size=7", "", report.Address{}},
		{"https://sulh.example/reports/weekly/x/2025-11-15.html?size=7", "", report.Address{}},
		{"ftp://sulh.example/reports/weekly/2025-11-15.html?size=7", "", report.Address{}},
		{"/reports/weekly/2025-11-15.html?size=7", "", report.Address{}},
	} {
		base, a, err := report.ParseURL(c.url)
		if c.base == "" {
			if err == nil {
				t.Errorf("%s: read as %s %+v", c.url, base, a)
			}
			continue
		}
		if err != nil || base != c.base || a != c.want {
			t.Errorf("%s: %q %+v %v, want %q %+v", c.url, base, a, err, c.base, c.want)
		}
		if got := base + a.Path(); got != c.url {
			t.Errorf("%s: written back as %s", c.url, got)
		}
	}
}

// FuzzReportAddress reads reports' addresses and sizes: what reads
// is written back the same.
func FuzzReportAddress(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080/reports/daily/2025-11-12.html?size=82", "https://x/y/reports/monthly/0000-00-00.json?size=9223372036854775807", "http://h/reports/weekly/2025-11-12.pdf?size=0", "82", "+1", "%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := report.ParseSize(s); err == nil && (n < 1 || strconv.FormatInt(n, 10) != s) {
			t.Fatalf("size %q read as %d", s, n)
		}
		base, a, err := report.ParseURL(s)
		if err != nil {
			return
		}
		if a.Size < 1 {
			t.Fatalf("%q read with size %d", s, a.Size)
		}
		b2, a2, err := report.ParseURL(base + a.Path())
		if err != nil || b2 != base || a2 != a {
			t.Fatalf("%q read as %q %+v, which reads back as %q %+v (%v)", s, base, a, b2, a2, err)
		}
	})
}

// blocking replays the log once let go.
type blocking struct {
	report.Replayer
	started chan struct{}
	release chan struct{}
	n       atomic.Int64 // replays made
}

func (b *blocking) ReplayTo(ctx context.Context, views ledger.ViewBuilder, size int64) (*mechanism.State, error) {
	b.n.Add(1)
	b.started <- struct{}{}
	<-b.release
	return b.Replayer.ReplayTo(ctx, views, size)
}

// TestAt makes the demo's report at an earlier log size: one replay at a
// time (another request meanwhile waits, then is told ErrBusy), kept, so
// that the same report is made once, and the last few kept only.
func TestAt(t *testing.T) {
	ctx := context.Background()
	m := mustDemo(t)
	n := m.Log.Checkpoint().N
	b := &blocking{Replayer: m.Log.Log, started: make(chan struct{}), release: make(chan struct{})}
	at := report.NewAt(b, t.TempDir(), 2)
	a := report.Address{Kind: report.Monthly, Date: "2025-11-15", Size: n - 5}
	type made struct {
		p   *report.Periodic
		err error
	}
	first := make(chan made)
	go func() {
		p, err := at.Make(ctx, a, time.Minute)
		first <- made{p, err}
	}()
	<-b.started
	if _, err := at.Make(ctx, report.Address{Kind: report.Daily, Date: "2025-11-12", Size: n - 1}, 50*time.Millisecond); !errors.Is(err, report.ErrBusy) {
		t.Errorf("a second replay meanwhile: %v, want ErrBusy", err)
	}
	close(b.release)
	go func() {
		for range b.started {
		}
	}()
	r := <-first
	if r.err != nil || r.p.LogSize != n-5 {
		t.Fatalf("the report at size %d: %v, %v", n-5, r.p, r.err)
	}
	// The same report again: kept, not replayed.
	if p, err := at.Make(ctx, a, time.Minute); err != nil || p != r.p || b.n.Load() != 1 {
		t.Errorf("the same report again: %p %v (first %p), %d replays", p, err, r.p, b.n.Load())
	}
	// The weekly report of the same date and size: made by the same
	// replay, and the same as made by a replay of its own.
	w := a
	w.Kind = report.Weekly
	p, err := at.Make(ctx, w, time.Minute)
	if err != nil || b.n.Load() != 1 {
		t.Fatalf("the weekly report at the same size: %v, %d replays, want 1", err, b.n.Load())
	}
	alone, err := report.NewAt(m.Log.Log, t.TempDir(), 2).Make(ctx, w, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"html", "json"} {
		got, _, err1 := p.Render(f)
		want, _, err2 := alone.Render(f)
		if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
			t.Errorf("the weekly report's %s, made with the monthly, differs from the one made alone (%v, %v)", f, err1, err2)
		}
	}
	// Two more: the first is let go.
	for _, size := range []int64{n - 2, n - 3} {
		if _, err := at.Make(ctx, report.Address{Kind: report.Daily, Date: "2025-11-12", Size: size}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := at.Cached(a); ok {
		t.Error("the oldest of three reports is still kept, with room for two")
	}
	close(b.started)
}
