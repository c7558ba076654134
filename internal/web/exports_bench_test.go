package web_test

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/bench"
	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/web"
)

var (
	exportCases = flag.Int("export.cases", 20000, "cases of the mechanism BenchmarkExport downloads")
	exportDir   = flag.String("export.dir", "", "data folder of BenchmarkExport's mechanism, kept between runs (default: a new temporary one)")
)

// BenchmarkExport downloads /export/cases.csv, cases.geojson and acled.csv
// of a mechanism of -export.cases cases (bench.Ledger's reports, each
// with figures), through a server on loopback. Besides the time, it
// reports the bytes of the file and the peak of the Go heap in use during
// the download, sampled every millisecond (the live and not yet swept
// objects of runtime/metrics) with the collector set to run at 5% of new
// garbage, against the heap after a collection before it:
// the export holds one row at a time, so the peak stays far below the
// file's size however many cases there are.
func BenchmarkExport(b *testing.B) {
	ctx := context.Background()
	dir := *exportDir
	if dir == "" {
		dir = filepath.Join(b.TempDir(), "bench")
	}
	if _, err := bench.Cases(ctx, bench.CasesOptions{Dir: dir, N: *exportCases, Queries: 1}); err != nil {
		b.Fatal(err)
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
	// The log checks the entries before its state snapshot in the
	// background; the measures start once it is done.
	for gauge(b, reg, "sulh_log_verified_entries") < gauge(b, reg, "sulh_state_snapshot_loaded_entries") {
		time.Sleep(100 * time.Millisecond)
	}
	srv := httptest.NewServer(web.New(l.Log, l.DB, slog.New(slog.DiscardHandler), reg))
	defer srv.Close()
	cases, err := l.DB.Count(ctx, "cases")
	if err != nil {
		b.Fatal(err)
	}
	// Garbage is collected as soon as it is 5% of the live heap, so that
	// the peak is what the export holds, not what awaits collection.
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	for _, name := range []string{"cases.csv", "cases.geojson", "acled.csv"} {
		b.Run(name, func(b *testing.B) {
			var size int64
			var peak, base uint64
			cpu0 := cpuTime()
			for b.Loop() {
				runtime.GC()
				sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
				metrics.Read(sample)
				base = sample[0].Value.Uint64()
				var high atomic.Uint64
				done := make(chan struct{})
				go func() {
					t := time.NewTicker(time.Millisecond)
					defer t.Stop()
					// runtime/metrics reads without stopping the world.
					sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
					for {
						select {
						case <-done:
							return
						case <-t.C:
							metrics.Read(sample)
							if v := sample[0].Value.Uint64(); v > high.Load() {
								high.Store(v)
							}
						}
					}
				}()
				resp, err := http.Get(srv.URL + "/export/" + name)
				if err != nil {
					b.Fatal(err)
				}
				size, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				close(done)
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("GET /export/%s: %d %v", name, resp.StatusCode, err)
				}
				peak = max(peak, high.Load()-min(high.Load(), base))
			}
			b.ReportMetric(float64(cases), "cases")
			b.ReportMetric(float64(size)/1e6, "MB/file")
			b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(cases), "ns/case")
			// The process's CPU time, server and client: on a machine
			// that others share, the wall time is not the export's alone.
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/float64(cases), "cpu-ns/case")
		})
	}
	if *exportDir == "" {
		os.RemoveAll(dir)
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gauge is the value of a gauge that reg gathers, 0 if it has none.
func gauge(b *testing.B, reg *prometheus.Registry, name string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return 0
}
