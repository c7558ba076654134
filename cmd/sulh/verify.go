package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/ledger"
)

func runVerifyLog(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify-log", stderr)
	url := fs.String("url", "", "the log's URL, such as http://127.0.0.1:8080/log (required)")
	key := fs.String("key", "", "the log's verifier key, or a file that holds it (required)")
	stateFile := fs.String("state", "", "file that keeps the last verified checkpoint; the log must have grown from it")
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
	opts := ledger.VerifyOptions{}
	if *stateFile != "" {
		prev, err := readState(*stateFile, v)
		if err != nil {
			return err
		}
		opts.Previous = prev
	}
	// Verify fetches several tiles at once, ahead of those it checks: keep
	// a connection open for each.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 4 * runtime.GOMAXPROCS(0)
	fetcher, err := torchwood.NewTileFetcher(strings.TrimSuffix(*url, "/")+"/",
		torchwood.WithHTTPClient(&http.Client{Timeout: time.Minute, Transport: transport}), torchwood.WithUserAgent("sulh verify-log"))
	if err != nil {
		return err
	}
	var finish func()
	opts.Progress, finish = progressBar(stderr, "verifying entries")
	cp, err := ledger.Verify(ctx, fetcher, v, opts)
	finish()
	if err != nil {
		return fmt.Errorf("verification FAILED: %w", err)
	}
	if *stateFile != "" {
		if err := os.WriteFile(*stateFile, cp.Signed, 0o644); err != nil {
			return fmt.Errorf("couldn't save state: %w", err)
		}
	}
	fmt.Fprintf(stdout, "OK: %d entries verified; root %s\n", cp.N, cp.Hash)
	if opts.Previous != nil {
		fmt.Fprintf(stdout, "OK: the log grew from %d to %d entries without changing them\n", opts.Previous.N, cp.N)
	}
	return nil
}

// readState reads the checkpoint saved by an earlier run, or nil if the file
// does not exist yet.
func readState(path string, v note.Verifier) (*tlog.Tree, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't read state: %w", err)
	}
	policy := torchwood.ThresholdPolicy(2, torchwood.OriginPolicy(v.Name()), torchwood.SingleVerifierPolicy(v))
	c, _, err := torchwood.VerifyCheckpoint(b, policy)
	if err != nil {
		return nil, fmt.Errorf("the state file %s does not hold a checkpoint of this log: %w", path, err)
	}
	return &c.Tree, nil
}
