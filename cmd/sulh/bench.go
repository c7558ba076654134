package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sulh-project/sulh/internal/bench"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: sulh bench ledger --data DIR --n N [--clients C] [--http] [--json] | sulh bench verify [--n N] [--json]"}
	}
	switch args[0] {
	case "ledger":
		fs := newFlags("bench ledger", stderr)
		data := fs.String("data", "", "data folder; a bench mechanism is created there if it holds none (required)")
		n := fs.Int("n", 10000, "statements to append")
		clients := fs.Int("clients", 64, "concurrent submitters")
		useHTTP := fs.Bool("http", false, "submit through a server on 127.0.0.1 rather than in process")
		asJSON := fs.Bool("json", false, "print one JSON object")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *data == "" {
			return usageError{"--data is required"}
		}
		opts := bench.Options{Dir: *data, N: *n, Clients: *clients, HTTP: *useHTTP}
		var bar *progressbar.ProgressBar
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			bar = progressbar.NewOptions(*n, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("appending"),
				progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			opts.Progress = func(done int) { bar.Set(done) }
		}
		r, err := bench.Ledger(ctx, opts)
		if bar != nil {
			bar.Finish()
		}
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(r)
		}
		fmt.Fprintf(stdout, "%s: %d statements from %d clients in %.2fs: %.0f statements/s; latency p50 %.2f ms, p99 %.2f ms (log size %d; opening it took %.2fs; %d CPUs)\n",
			r.Mode, r.N, r.Clients, r.Seconds, r.PerSecond, r.P50ms, r.P99ms, r.LogSize, r.OpenSeconds, r.CPUs)
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
	default:
		return usageError{fmt.Sprintf("unknown bench %q; use ledger or verify", args[0])}
	}
}
