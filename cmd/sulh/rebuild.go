package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sulh-project/sulh/internal/datadir"
)

func runRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rebuild", stderr)
	data := fs.String("data", "", "data folder of the mechanism (required); if a server is serving it, the server rebuilds its views while it serves")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usageError{"--data is required"}
	}
	progress, finish := progressBar(stderr, "replaying entries")
	start := time.Now()
	res, err := datadir.Rebuild(ctx, *data, progress)
	finish()
	if errors.Is(err, datadir.ErrBusy) {
		// A server holds the folder: it rebuilds its views while it
		// serves.
		progress, finish := progressBar(stderr, "the server replays entries")
		n, onlineErr := datadir.RebuildOnline(ctx, *data, progress)
		finish()
		if errors.Is(onlineErr, datadir.ErrNoServer) {
			return err
		}
		if onlineErr != nil {
			return onlineErr
		}
		secs := time.Since(start).Seconds()
		fmt.Fprintf(stdout, "the server replayed %d statements into new views in %.2f s (%.0f statements/s) and now serves them\n", n, secs, float64(n)/secs)
		fmt.Fprintf(stdout, "sulh digest --data %s prints their state digest\n", *data)
		return nil
	}
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "replayed %d statements in %.2f s (%.0f statements/s)\n", res.Size, secs, float64(res.Size)/secs)
	if res.Before != res.After {
		fmt.Fprintf(stdout, "the views had drifted from the log (digest before: %x); they now match it\n", res.Before)
	}
	fmt.Fprintf(stdout, "state digest: %x\n", res.After)
	return nil
}

func runDigest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("digest", stderr)
	data := fs.String("data", "", "data folder of the mechanism (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usageError{"--data is required"}
	}
	size, d, err := datadir.Digest(ctx, *data)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "log size: %d\n", size)
	fmt.Fprintf(stdout, "state digest: %x\n", d)
	return nil
}

// progressBar returns a progress callback that draws a bar on stderr when
// it is a terminal (and does nothing otherwise), and a function that
// clears it.
func progressBar(stderr io.Writer, what string) (func(done, total int64), func()) {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	progress := func(done, total int64) {
		if bar == nil {
			bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(stderr),
				progressbar.OptionSetDescription(what), progressbar.OptionShowCount(),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		}
		bar.Set64(done)
	}
	return progress, func() {
		if bar != nil {
			bar.Finish()
		}
	}
}
