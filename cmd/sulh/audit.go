package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/term"

	"github.com/sulh-project/sulh/internal/audit"
)

// maxShown is the most differences audit prints; it counts the rest.
const maxShown = 200

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit", stderr)
	url := fs.String("url", "", "the server's base address, such as http://127.0.0.1:8080 (required)")
	key := fs.String("key", "", "the log's verifier key, or a file that holds it (required)")
	stateFile := fs.String("state", "", "file that keeps the last audit's checkpoint, which the log must have grown from; the state and views at it are kept beside it, in FILE.audit, so that the next audit replays only the entries after it")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *url == "" || *key == "" {
		return usageError{"--url and --key are required"}
	}
	vkey := *key
	if b, err := os.ReadFile(vkey); err == nil {
		vkey = strings.TrimSpace(string(b))
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return usageError{fmt.Sprintf("--key: not a verifier key: %v", err)}
	}
	if *stateFile != "" {
		unlock, err := lockState(*stateFile)
		if err != nil {
			return err
		}
		defer unlock()
	}
	opts := audit.Options{URL: *url, Key: v, StateFile: *stateFile}
	var finish func()
	opts.Progress, opts.Step, finish = auditProgress(stderr)
	stopGC := collectLess(ctx)
	start := time.Now()
	res, err := audit.Run(ctx, opts)
	finish()
	stopGC()
	var ve *audit.VerifyError
	if errors.As(err, &ve) {
		return fmt.Errorf("audit FAILED: %w", err)
	}
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	cp := res.Checkpoint
	fmt.Fprintf(stdout, "OK: %d entries verified; root %s\n", cp.N, cp.Hash)
	if res.Previous >= 0 {
		fmt.Fprintf(stdout, "OK: the log grew from %d to %d entries without changing them\n", res.Previous, cp.N)
	}
	if res.Resumed {
		fmt.Fprintf(stdout, "replayed the %d statements after the last audit's %d in %.2f s\n", res.Replayed, cp.N-res.Replayed, secs)
	} else {
		fmt.Fprintf(stdout, "replayed %d statements into fresh views in %.2f s (%.0f statements/s)\n", res.Replayed, secs, float64(res.Replayed)/secs)
	}
	var figures []string
	total := 0
	for _, c := range res.Compared {
		figures = append(figures, fmt.Sprintf("%s %d", c.Name, c.Figures))
		total += c.Figures
	}
	if len(res.Differences) == 0 {
		fmt.Fprintf(stdout, "OK: the server's figures match the log's at log size %d: %d compared (%s)\n", cp.N, total, strings.Join(figures, ", "))
		return nil
	}
	for i, d := range res.Differences {
		if i == maxShown {
			fmt.Fprintf(stderr, "... and %d more\n", len(res.Differences)-maxShown)
			break
		}
		fmt.Fprintf(stderr, "DIFFERENT: %s\n", d)
	}
	return fmt.Errorf("audit FAILED: %d of the %d figures compared at log size %d differ between the server and its log", len(res.Differences), total, cp.N)
}

// auditProgress returns a progress callback: a bar when stderr is a
// terminal, and otherwise a line every 10 seconds from the first entry
// bundle on, so that the log of a long audit shows it moving. Each step
// after a replay ends the bar and gets a line of its own; a replay after
// a step starts a new bar.
func auditProgress(stderr io.Writer) (progress func(done, total int64), step func(what string), finish func()) {
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar, end := progressBar(stderr, "verifying and replaying entries")
		return func(done, total int64) {
				bar(done, total)
			}, func(what string) {
				end()
				fmt.Fprintf(stderr, "audit: %s\n", what)
				bar, end = progressBar(stderr, "verifying and replaying entries")
			}, func() {
				end()
			}
	}
	var start, last time.Time
	return func(done, total int64) {
			if start.IsZero() {
				start, last = time.Now(), time.Now()
			}
			if time.Since(last) < 10*time.Second {
				return
			}
			last = time.Now()
			fmt.Fprintf(stderr, "audit: %d of %d entries verified and replayed (%.0f s)\n", done, total, time.Since(start).Seconds())
		}, func(what string) {
			start = time.Time{}
			fmt.Fprintf(stderr, "audit: %s\n", what)
		}, func() {}
}

// lockState holds FILE.lock while an audit uses the state file FILE, so
// that a second audit given the same --state is refused rather than
// removing the views the first is writing.
func lockState(file string) (unlock func(), err error) {
	lock, err := os.OpenFile(file+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("couldn't lock the audit's state: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("another sulh audit is using --state %s; wait for it to finish, or give another file", file)
	}
	return func() { lock.Close() }, nil
}
