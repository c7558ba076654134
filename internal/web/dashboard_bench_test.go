package web_test

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/bench"
	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/web"
)

var benchData = flag.String("bench-data", "", "data folder for BenchmarkPages100k: a mechanism with 100,000 cases or more, such as sulh bench ledger --n 100000 makes (empty: the benchmark makes one, which takes minutes)")

// benchPages requests each page b.N times over HTTP on loopback, one
// client, and reports the 95th percentile of the answers' latency.
func benchPages(b *testing.B, base string, paths ...string) {
	client := &http.Client{Timeout: time.Minute}
	for _, p := range paths {
		b.Run(p, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				resp, err := client.Get(base + p)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("GET %s: %d", p, resp.StatusCode)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[min(len(lat)*95/100, len(lat)-1)].Microseconds())/1000, "p95-ms")
		})
	}
}

// BenchmarkPagesDemo renders the dashboard and the map with the demo's
// data.
func BenchmarkPagesDemo(b *testing.B) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	m, err := demo.Create(ctx, b.TempDir(), mechanism.DefaultRulebook, demo.Start, ledger.Options{Registerer: reg})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Log.Close()
	if err := m.Members(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := m.Scenario(ctx); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg))
	defer srv.Close()
	benchPages(b, srv.URL, "/?lang=en", "/?lang=en&period=month", "/map?lang=en")
}

// BenchmarkPages100k renders the dashboard and the map with 100,000
// cases or more in the views: those of -bench-data, or of a mechanism it
// fills with bench reports (sulh bench ledger's), whose events all fall
// within two days of the log's time, so that the dashboard's week counts
// every one of them: its worst case.
func BenchmarkPages100k(b *testing.B) {
	ctx := context.Background()
	dir := *benchData
	if dir == "" {
		dir = b.TempDir()
		if _, err := bench.Ledger(ctx, bench.Options{Dir: dir, N: 100000, Clients: 16}); err != nil {
			b.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	l, err := datadir.Open(ctx, dir, ledger.Options{Registerer: reg})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if err := l.WaitViews(ctx, l.Checkpoint().N); err != nil {
		b.Fatal(err)
	}
	n, err := l.DB.Count(ctx, "cases")
	if err != nil {
		b.Fatal(err)
	}
	if n < 100000 {
		b.Fatalf("%s holds %d cases; the benchmark needs 100,000", dir, n)
	}
	b.Logf("%d cases", n)
	srv := httptest.NewServer(web.New(l.Log, l.DB, slog.New(slog.DiscardHandler), reg))
	defer srv.Close()
	benchPages(b, srv.URL, "/?lang=en", "/?lang=en&period=month", "/map?lang=en")
}
