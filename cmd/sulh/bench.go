package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/sulh-project/sulh/internal/bench"
	"github.com/sulh-project/sulh/internal/datadir"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: sulh bench ledger --data DIR --n N [--clients C] [--http] [--cpuprofile FILE] [--json] | sulh bench cases --data DIR [--n N] [--queries Q] [--json] | sulh bench rebuild --data DIR [--cpuprofile FILE] [--json] | sulh bench follow --data DIR [--rate R --duration D | --burst N] [--json] | sulh bench verify [--n N] [--json] | sulh bench audit --data DIR [--verify N] [--verify-log] [--cpuprofile FILE] [--json]"}
	}
	switch args[0] {
	case "ledger":
		fs := newFlags("bench ledger", stderr)
		data := fs.String("data", "", "data folder; a bench mechanism is created there if it holds none (required)")
		n := fs.Int("n", 10000, "statements to append")
		clients := fs.Int("clients", 64, "concurrent submitters")
		useHTTP := fs.Bool("http", false, "submit through a server on 127.0.0.1 rather than in process")
		asJSON := fs.Bool("json", false, "print one JSON object")
		profile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *data == "" {
			return usageError{"--data is required"}
		}
		oversubscribe() // as sulh serve does
		opts := bench.Options{Dir: *data, N: *n, Clients: *clients, HTTP: *useHTTP}
		progress, finish := progressBar(stderr, "appending")
		if progress != nil {
			opts.Progress = func(done int) { progress(int64(done), int64(*n)) }
		}
		stopProfile, err := startProfile(*profile)
		if err != nil {
			return err
		}
		r, err := bench.Ledger(ctx, opts)
		finish()
		if perr := stopProfile(); err == nil {
			err = perr
		}
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(r)
		}
		fmt.Fprintf(stdout, "%s: %d statements from %d clients in %.2fs: %.0f statements/s; latency p50 %.2f ms, p99 %.2f ms; in the views after %.2fs; CPU %.3f ms per statement (log size %d; opening it took %.2fs; %d CPUs)\n",
			r.Mode, r.N, r.Clients, r.Seconds, r.PerSecond, r.P50ms, r.P99ms, r.ViewsSeconds, r.CPUms, r.LogSize, r.OpenSeconds, r.CPUs)
		return nil
	case "cases":
		fs := newFlags("bench cases", stderr)
		data := fs.String("data", "", "data folder; a bench mechanism is created there if it holds none (required)")
		n := fs.Int("n", 100000, "cases the views must hold; reports are appended until they do")
		queries := fs.Int("queries", 200, "requests per kind of query")
		asJSON := fs.Bool("json", false, "print one JSON object")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *data == "" {
			return usageError{"--data is required"}
		}
		opts := bench.CasesOptions{Dir: *data, N: *n, Queries: *queries}
		progress, finish := progressBar(stderr, "appending reports")
		if progress != nil {
			opts.Progress = func(done int) { progress(int64(done), int64(*n)) }
		}
		r, err := bench.Cases(ctx, opts)
		finish()
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(r)
		}
		fmt.Fprintf(stdout, "GET /api/v1/cases over %d cases (%d added), %d requests of each kind, one client, %d CPUs:\n", r.Cases, r.Added, *queries, r.CPUs)
		for _, q := range r.Queries {
			fmt.Fprintf(stdout, "  %-10s p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms  %5.1f items  e.g. %s\n", q.Name, q.P50ms, q.P95ms, q.P99ms, q.Items, q.Query)
		}
		fmt.Fprintf(stdout, "all queries: p95 %.2f ms\n", r.P95ms)
		return nil
	case "rebuild":
		fs := newFlags("bench rebuild", stderr)
		data := fs.String("data", "", "data folder of a mechanism, such as one sulh bench ledger filled (required); no server may be using it")
		asJSON := fs.Bool("json", false, "print one JSON object")
		profile := fs.String("cpuprofile", "", "write a CPU profile of the rebuild to this file")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *data == "" {
			return usageError{"--data is required"}
		}
		stopProfile, err := startProfile(*profile)
		if err != nil {
			return err
		}
		progress, finish := progressBar(stderr, "replaying entries")
		start := time.Now()
		res, err := datadir.Rebuild(ctx, *data, progress)
		finish()
		if perr := stopProfile(); err == nil {
			err = perr
		}
		if err != nil {
			return err
		}
		secs := time.Since(start).Seconds()
		r := struct {
			N         int64   `json:"n"`
			Seconds   float64 `json:"seconds"`
			PerSecond float64 `json:"per_second"`
			Digest    string  `json:"state_digest"`
			CPUs      int     `json:"cpus"`
		}{res.Size, secs, float64(res.Size) / secs, fmt.Sprintf("%x", res.After), runtime.NumCPU()}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(r)
		}
		fmt.Fprintf(stdout, "replayed %d statements into fresh views in %.2f s: %.0f statements/s (%d CPUs)\n", r.N, r.Seconds, r.PerSecond, r.CPUs)
		return nil
	case "follow":
		fs := newFlags("bench follow", stderr)
		data := fs.String("data", "", "data folder; a bench mechanism is created there if it holds none (required)")
		rate := fs.Float64("rate", 2000, "statements a second, submitted each at its time")
		duration := fs.Duration("duration", time.Minute, "how long to submit at --rate")
		burst := fs.Int("burst", 0, "submit this many statements as fast as possible instead of at --rate")
		clients := fs.Int("clients", 64, "concurrent submitters")
		verify := fs.Int("verify", 50000, "signatures per core to verify before the run, for the rate beside which to read it; 0 for none")
		asJSON := fs.Bool("json", false, "print one JSON object")
		profile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *data == "" {
			return usageError{"--data is required"}
		}
		oversubscribe() // as sulh serve does
		opts := bench.FollowOptions{Dir: *data, Rate: *rate, Duration: *duration, Burst: *burst, Clients: *clients, Verify: *verify}
		progress, finish := progressBar(stderr, "appending")
		if progress != nil {
			opts.Progress = func(done, total int) { progress(int64(done), int64(total)) }
		}
		stopProfile, err := startProfile(*profile)
		if err != nil {
			return err
		}
		r, err := bench.Follow(ctx, opts)
		finish()
		if perr := stopProfile(); err == nil {
			err = perr
		}
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(r)
		}
		if r.Verify != nil {
			fmt.Fprintf(stdout, "Ed25519 verification before the run: %.0f/s on one core, %.0f/s on all %d cores\n", r.Verify.OneCorePerSec, r.Verify.AllCoresPerSec, r.Verify.CPUs)
		}
		if r.Mode == "burst" {
			fmt.Fprintf(stdout, "burst: %d statements from %d clients, acknowledged in %.2f s (%.0f/s; p50 %.2f ms, p99 %.2f ms)\n", r.N, *clients, r.Seconds, r.PerSecond, r.P50ms, r.P99ms)
		} else {
			fmt.Fprintf(stdout, "steady: %d statements at %.0f/s asked from %d clients, acknowledged in %.2f s (%.0f/s; p50 %.2f ms, p99 %.2f ms)\n", r.N, r.Rate, *clients, r.Seconds, r.PerSecond, r.P50ms, r.P99ms)
		}
		fmt.Fprintf(stdout, "the log held them all after %.2f s, the views after %.2f s\n", r.LogSeconds, r.ViewsSeconds)
		fmt.Fprintf(stdout, "lag of the views behind the log: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d checkpoints, read every %.0f ms)\n", r.LagP50ms, r.LagP99ms, r.LagMaxms, r.Checkpoints, r.PollMs)
		fmt.Fprintf(stdout, "the follower wrote %d entries in %d transactions taking %.2f s: %.0f entries/s while writing, %.2f s for %d (log size %d; %d CPUs)\n",
			r.FollowerEntries, r.FollowerTransactions, r.FollowerWritingSeconds, r.FollowerPerSecond, r.ImpliedSeconds, r.N, r.LogSize, r.CPUs)
		return nil
	case "verify":
		fs := newFlags("bench verify", stderr)
		n := fs.Int("n", 50000, "signatures to verify per core")
		asJSON := fs.Bool("json", false, "print one JSON object")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		r, err := bench.Verify(*n)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(r)
		}
		fmt.Fprintf(stdout, "Ed25519 verification: %.0f/s on one core, %.0f/s on all %d cores\n", r.OneCorePerSec, r.AllCoresPerSec, r.CPUs)
		return nil
	case "audit":
		fs := newFlags("bench audit", stderr)
		data := fs.String("data", "", "data folder of a mechanism, such as one sulh bench ledger filled (required); no server may be using it")
		verify := fs.Int("verify", 50000, "signatures per core to verify before the run, for the rate beside which to read it; 0 for none")
		verifyLog := fs.Bool("verify-log", false, "also time a verification of the log alone, as sulh verify-log makes it, before the audit")
		asJSON := fs.Bool("json", false, "print one JSON object")
		profile := fs.String("cpuprofile", "", "write a CPU profile of the audit, and of nothing before or after it, to this file")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *data == "" {
			return usageError{"--data is required"}
		}
		opts := bench.AuditOptions{Dir: *data, Verify: *verify, VerifyLog: *verifyLog}
		var finish func()
		opts.Progress, opts.Step, finish = auditProgress(stderr)
		var perr error
		if *profile != "" {
			opts.Timed = func() func() {
				stop, err := startProfile(*profile)
				if err != nil {
					perr = err
					return func() {}
				}
				return func() { perr = stop() }
			}
		}
		stopGC := collectLess(ctx)
		r, err := bench.Audit(ctx, opts)
		stopGC()
		finish()
		if err == nil {
			err = perr
		}
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(r)
		}
		if r.Verify != nil {
			fmt.Fprintf(stdout, "Ed25519 verification before the run: %.0f/s on one core, %.0f/s on all %d cores\n", r.Verify.OneCorePerSec, r.Verify.AllCoresPerSec, r.Verify.CPUs)
		}
		if r.VerifyLogSeconds > 0 {
			fmt.Fprintf(stdout, "verify-log alone: %d entries in %.2f s, %.0f entries/s\n", r.N, r.VerifyLogSeconds, r.VerifyLogPerSecond)
		}
		fmt.Fprintf(stdout, "audit: %d entries verified and replayed, %d figures compared, in %.2f s: %.0f entries/s, CPU %.1f s (%d CPUs)\n", r.N, r.Figures, r.Seconds, r.PerSecond, r.CPUSeconds, r.CPUs)
		if r.VerifyAfter != nil {
			fmt.Fprintf(stdout, "Ed25519 verification after the run: %.0f/s on one core, %.0f/s on all %d cores\n", r.VerifyAfter.OneCorePerSec, r.VerifyAfter.AllCoresPerSec, r.VerifyAfter.CPUs)
			fmt.Fprintf(stdout, "audit rate over the all-core verification rate (mean of before and after): %.3f\n", r.Ratio)
		}
		if r.CPURatio > 0 {
			fmt.Fprintf(stdout, "CPU: %.1f µs per entry audited (the server's included), %.1f µs per Ed25519 verification: ratio %.3f\n", r.EntryCPUus, r.SignatureCPUus, r.CPURatio)
		}
		return nil
	default:
		return usageError{fmt.Sprintf("unknown bench %q; use ledger, cases, rebuild, follow, verify or audit", args[0])}
	}
}

// startProfile writes a CPU profile to file until the function it returns
// is called; for no file, it does nothing.
func startProfile(file string) (func() error, error) {
	if file == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("couldn't create the profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("couldn't start the profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
