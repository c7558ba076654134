package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/ledger"
)

func runVerifyLog(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify-log", stderr)
	url := fs.String("url", "", "the log's URL, such as http://127.0.0.1:8080/log (required)")
	key := fs.String("key", "", "the log's verifier key, or a file that holds it (required)")
	stateFile := fs.String("state", "", "file that keeps the last verified checkpoint; the log must have grown from it")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the verification to this file")
	var witnesses listFlag
	fs.Var(&witnesses, "witness", "a witness's cosignature verifier key (NAME+HASH+BASE64), or a file that holds it; repeat for each. Without it, the witnesses and quorum of the rulebook in the log are required")
	quorum := fs.Int("witness-quorum", 0, "how many of the --witness keys must have cosigned the checkpoint (default: all of them)")
	noWitnesses := fs.Bool("no-witnesses", false, "require no cosignatures, whatever the rulebook says")
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
	switch {
	case *noWitnesses && (len(witnesses) > 0 || *quorum != 0):
		return usageError{"--no-witnesses goes with neither --witness nor --witness-quorum"}
	case *noWitnesses:
	case len(witnesses) > 0:
		keys := make([]string, len(witnesses))
		for i, w := range witnesses {
			keys[i] = w
			if b, err := os.ReadFile(w); err == nil {
				keys[i] = strings.TrimSpace(string(b))
			}
		}
		q := *quorum
		if q == 0 {
			q = len(keys)
		}
		p, err := ledger.NewWitnessPolicy(q, keys)
		if err != nil {
			return usageError{fmt.Sprintf("--witness: %v", err)}
		}
		opts.Witnesses = p
	case *quorum != 0:
		return usageError{"--witness-quorum needs --witness keys; without them the rulebook's quorum is required"}
	default:
		opts.RulebookWitnesses = true
	}
	if *stateFile != "" {
		prev, err := ledger.ReadState(*stateFile, v)
		if err != nil {
			return err
		}
		opts.Previous = prev
	}
	// Verify fetches several tiles at once, ahead of those it checks: keep
	// a connection open for each.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 4 * runtime.GOMAXPROCS(0)
	fetcher := ledger.NewFetcher(*url, &http.Client{Timeout: time.Minute, Transport: transport}, "sulh verify-log")
	stopProfile, err := startProfile(*profile)
	if err != nil {
		return err
	}
	stopGC := collectLess(ctx)
	var finish func()
	opts.Progress, finish = progressBar(stderr, "verifying entries")
	cp, err := ledger.Verify(ctx, fetcher, v, opts)
	finish()
	stopGC()
	perr := stopProfile()
	if err != nil {
		return fmt.Errorf("verification FAILED: %w", err)
	}
	if perr != nil {
		return perr
	}
	if *stateFile != "" {
		if err := os.WriteFile(*stateFile, cp.Signed, 0o644); err != nil {
			return fmt.Errorf("couldn't save state: %w", err)
		}
	}
	fmt.Fprintf(stdout, "OK: %d entries verified; root %s\n", cp.N, cp.Hash)
	switch {
	case cp.Witnesses != nil:
		fmt.Fprintf(stdout, "OK: the checkpoint is cosigned by %s, of the %s required\n", strings.Join(cp.Cosigned, ", "), cp.Witnesses)
	case *noWitnesses:
		fmt.Fprintf(stdout, "NOTE: no cosignatures were required (--no-witnesses)\n")
	default:
		fmt.Fprintf(stdout, "NOTE: the rulebook lists no witnesses, so no cosignatures were required\n")
	}
	if opts.Previous != nil {
		fmt.Fprintf(stdout, "OK: the log grew from %d to %d entries without changing them\n", opts.Previous.N, cp.N)
	}
	return nil
}

// gcFloor is the heap verify-log may grow to before it collects garbage
// as often as Go does by default. A higher floor saves a collection or two
// at most, and each fresh page it lets the heap take costs the kernel a
// fault: at 3 GiB, a million entries (about 1.2 GB live at the end) took
// 0.8 GB more memory than at 2 GiB and 1.9 s more system CPU, for the same
// wall time (docs/PERFORMANCE.md).
var gcFloor uint64 = 2 << 30

// collectLess makes the garbage collector run less often while a log is
// verified, unless GOGC or GOMEMLIMIT say otherwise. Verifying holds the
// mechanism's state, which grows with the log (1.3 to 1.6 KB an entry),
// and allocates several times that for each entry as it is parsed and
// applied; at Go's default the collector marks the growing state again
// each time the heap doubles, a tenth of the CPU time. Here the heap may
// grow to five times what is live, but only to gcFloor, and to twice what
// is live (Go's default) once that is more. It sets the collector's
// percent, not a memory limit, which counts more than the heap and makes
// the runtime hand memory back to the system as it nears it. The
// returned function restores the default.
func collectLess(ctx context.Context) (stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	const most = 400
	percent := debug.SetGCPercent(most)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			metrics.Read(live)
			if live[0].Value.Kind() != metrics.KindUint64 || live[0].Value.Uint64() == 0 {
				continue
			}
			// The heap's goal is live·(1 + p/100): at most gcFloor, in
			// steps of 25. It is set at every tick, not only when it
			// changes: whatever else sets it meanwhile (opening a
			// snapshot raises it while it decodes, then puts back what
			// it found) is undone within a tick, rather than left to
			// grow the heap to five times what is live.
			p := int(gcFloor*100/live[0].Value.Uint64()) - 100
			debug.SetGCPercent(max(100, min(most, p/25*25)))
		}
	}()
	return func() {
		cancel()
		<-done
		debug.SetGCPercent(percent)
	}
}
