package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/blob"
	"github.com/sulh-project/sulh/internal/demo"
)

// EvidenceDir is the evidence store's folder under a data folder.
const EvidenceDir = "evidence"

// storeDemoEvidence puts the demo scenario's evidence file into the demo's
// store, so that its registered hash can be downloaded and checked.
func storeDemoEvidence(data string) error {
	store, err := blob.Open(filepath.Join(data, EvidenceDir))
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Put(context.Background(), bytes.NewReader(demo.EvidenceNotes), "spin-boldak-review.txt", int64(len(demo.EvidenceNotes))); err != nil {
		return fmt.Errorf("couldn't store the demo's evidence: %w", err)
	}
	return nil
}

// scanEvery re-hashes every stored evidence file every interval until ctx
// ends, logging what it finds and exporting the count of problems. After
// each scan it deletes the uploads abandoned in tmp/, and queues the
// thumbnails missing (their queue was full, or the server stopped first).
func scanEvery(ctx context.Context, store *blob.Store, every time.Duration, logger *slog.Logger, reg *prometheus.Registry) {
	problems := prometheus.NewGauge(prometheus.GaugeOpts{Name: "sulh_evidence_problems",
		Help: "Evidence files that the last integrity scan found corrupt, unreadable, writable or stray."})
	scans := prometheus.NewCounter(prometheus.CounterOpts{Name: "sulh_evidence_scans_total", Help: "Integrity scans of the evidence store."})
	reg.MustRegister(problems, scans)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		found, err := store.Scan(ctx, nil)
		if ctx.Err() != nil {
			return
		}
		scans.Inc()
		if err != nil {
			logger.Error("evidence scan failed", "err", err)
		}
		problems.Set(float64(len(found)))
		for _, p := range found {
			logger.Error("evidence scan found a problem", "kind", string(p.Kind), "path", p.Path, "sha256", p.SHA256, "detail", p.Detail)
		}
		if n, err := store.RemoveAbandoned(); err != nil {
			logger.Error("couldn't delete abandoned uploads", "err", err)
		} else if n > 0 {
			logger.Info("deleted abandoned uploads", "count", n)
		}
		if n, err := store.QueueMissingThumbnails(ctx); err != nil && ctx.Err() == nil {
			logger.Error("couldn't queue the missing thumbnails", "err", err)
		} else if n > 0 {
			logger.Info("queued missing thumbnails", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runScan is sulh scan. It may run beside the server: it only reads the
// store, and opening it deletes no upload in progress (blob.Open leaves
// uploads written to within blob.AbandonedAfter).
func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan", stderr)
	data := fs.String("data", "", "data folder of the mechanism (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usageError{"--data is required"}
	}
	store, err := blob.Open(filepath.Join(*data, EvidenceDir))
	if err != nil {
		return err
	}
	defer store.Close()
	bar, finish := progressBar(stderr, "hashing evidence")
	var progress func(done, total int)
	if bar != nil {
		progress = func(done, total int) { bar(int64(done), int64(total)) }
	}
	found, err := store.Scan(ctx, progress)
	finish()
	if err != nil {
		return err
	}
	for _, p := range found {
		fmt.Fprintf(stdout, "%s: %s %s\n", p.Kind, p.Path, p.Detail)
	}
	if len(found) > 0 {
		return fmt.Errorf("%d problem(s) in the evidence store", len(found))
	}
	fmt.Fprintln(stdout, "OK: every evidence file matches its hash")
	return nil
}

// sizeFlag is a byte size such as 256MiB, 1GiB or 1048576.
type sizeFlag struct{ n int64 }

func (f *sizeFlag) String() string {
	if f == nil {
		return ""
	}
	return strconv.FormatInt(f.n, 10)
}

func (f *sizeFlag) Set(v string) error {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}, {"", 1}}
	for _, u := range units {
		num, ok := strings.CutSuffix(v, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil || n < 1 || n > (1<<40)/u.mult {
			return fmt.Errorf("%q is not a size such as 256MiB", v)
		}
		f.n = n * u.mult
		return nil
	}
	return fmt.Errorf("%q is not a size such as 256MiB", v)
}
