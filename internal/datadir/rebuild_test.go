package datadir_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/store"
)

// mustMechanism makes a mechanism in a new folder with every kind of the
// demo's scenario and reports spanning several chunks of a replay, closes
// it, and returns the folder and n more reports, signed, to submit.
func mustMechanism(t *testing.T, n int) (string, [][]byte) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	m, err := demo.Create(ctx, dir, mechanism.DefaultRulebook, demo.Start, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Log.Close()
	if err := m.Members(ctx); err != nil {
		t.Fatal(err)
	}
	story, err := m.Scenario(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const before = 1500
	msgs := make([][]byte, before+n)
	for i := range msgs {
		author := []string{"pakistan-liaison-1", "afghanistan-liaison-1"}[i%2]
		accused := map[string]string{"pakistan-liaison-1": "afghanistan", "afghanistan-liaison-1": "pakistan"}[author]
		at := story.End.Add(time.Duration(i) * 5 * time.Minute)
		if msgs[i], err = m.Sign(mechanism.KindReport, author, at, demo.SampleReport(fmt.Sprintf("report %d", i), accused, at.Add(-time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	submitAll(t, m.Log, msgs[:before])
	return dir, msgs[before:]
}

// submitAll submits msgs, many at a time, in order of batches.
func submitAll(t *testing.T, n *datadir.Node, msgs [][]byte) {
	t.Helper()
	for start := 0; start < len(msgs); start += 250 {
		var wg sync.WaitGroup
		for _, msg := range msgs[start:min(start+250, len(msgs))] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := n.Submit(context.Background(), msg); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	if t.Failed() {
		t.FailNow()
	}
}

// viewsFiles returns the names of the views' files in dir, and where
// sulh-views.db links, if it is a link.
func viewsFiles(t *testing.T, dir string) ([]string, string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "sulh-views") {
			names = append(names, e.Name())
		}
	}
	target, _ := os.Readlink(filepath.Join(dir, "sulh-views.db"))
	return names, target
}

// offlineDigest returns the digest of the views of the closed mechanism
// in dir, and checks that an offline rebuild gives the same.
func offlineDigest(t *testing.T, dir string) (int64, [32]byte) {
	t.Helper()
	ctx := context.Background()
	size, digest, err := datadir.Digest(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := datadir.Rebuild(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Size != size || res.Before != digest || res.After != digest {
		t.Fatalf("an offline rebuild of %d entries gives the digest %x; the views had %x (log size %d)", res.Size, res.After, digest, size)
	}
	return size, digest
}

// TestRebuildOnline rebuilds the views through the control socket, as sulh
// rebuild does, while statements are appended and every writer reads its
// own statement back from the views as soon as they say they hold it,
// twice (from the plain file, then from a link). The views then have the
// digest that an offline rebuild gives, and only the live file is left.
func TestRebuildOnline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, msgs := mustMechanism(t, 3000)
	n, err := datadir.Open(ctx, dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.ServeControl(discard()); err != nil {
		t.Fatal(err)
	}

	// Writers, each reading its own statements back; readers of lists.
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var read atomic.Int64
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(msgs)) {
					return
				}
				select {
				case <-stop:
					return
				default:
				}
				r, err := n.Submit(ctx, msgs[i])
				if err != nil {
					t.Error(err)
					return
				}
				// The switch holds the follower while the new views take
				// what they still lack, which takes a while on a loaded
				// machine under the race detector: the test is of what
				// the views hold, not of how fast.
				wctx, cancel := context.WithTimeout(ctx, time.Minute)
				err = n.WaitViews(wctx, r.Index+1)
				cancel()
				if err != nil {
					t.Errorf("waiting for entry %d: %v", r.Index, err)
					return
				}
				if _, err := n.DB.Statement(ctx, r.Index); err != nil {
					t.Errorf("entry %d, which the views said they held: %v", r.Index, err)
					return
				}
				read.Add(1)
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last int64
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := n.DB.Count(ctx, "statements")
				if err != nil {
					t.Errorf("counting statements: %v", err)
					return
				}
				if c < last {
					t.Errorf("the views held %d statements, then %d", last, c)
					return
				}
				last = c
			}
		}()
	}

	for i, want := range []string{"sulh-views.1.db", "sulh-views.2.db"} {
		var calls int
		entries, err := datadir.RebuildOnline(ctx, dir, func(done, total int64) { calls++ })
		if err != nil {
			t.Fatal(err)
		}
		if _, target := viewsFiles(t, dir); target != want {
			t.Fatalf("rebuild %d: sulh-views.db links to %q, want %s", i+1, target, want)
		}
		t.Logf("rebuild %d: the new views went live holding %d entries (log at %d, %d reads of own writes so far, %d progress reports)",
			i+1, entries, n.Checkpoint().N, read.Load(), calls)
	}
	close(stop)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	size := n.Checkpoint().N
	if err := n.WaitViews(ctx, size); err != nil {
		t.Fatal(err)
	}
	_, live, err := n.DB.Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n.Close()

	// The old views' files are gone.
	names, _ := viewsFiles(t, dir)
	if want := []string{"sulh-views.2.db", "sulh-views.db"}; !slices.Equal(names, want) {
		t.Errorf("after the rebuilds and a close the folder holds %q, want %q", names, want)
	}
	if got, digest := offlineDigest(t, dir); got != size || digest != live {
		t.Fatalf("after the online rebuilds the views have the digest %x at %d entries; an offline rebuild gives %x at %d", live, size, digest, got)
	}
}

// TestRebuildOnlineRefusals: one rebuild at a time, and none without a
// server.
func TestRebuildOnlineRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, _ := mustMechanism(t, 0)
	if _, err := datadir.RebuildOnline(ctx, dir, nil); !errors.Is(err, datadir.ErrNoServer) {
		t.Fatalf("RebuildOnline without a server: %v", err)
	}
	n, err := datadir.Open(ctx, dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := datadir.Rebuild(ctx, dir, nil); !errors.Is(err, datadir.ErrBusy) {
		t.Fatalf("Rebuild with a server: %v", err)
	}
	started := make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		_, err := n.Log.Rebuild(ctx, func(done, total int64) {
			once.Do(func() { close(started) })
			time.Sleep(50 * time.Millisecond)
		})
		errc <- err
	}()
	<-started
	if _, err := n.Log.Rebuild(ctx, nil); !errors.Is(err, ledger.ErrRebuilding) {
		t.Fatalf("a second rebuild: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// crashSteps are where TestRebuildCrash kills a server that rebuilds its
// views: while it replays, and at each step of the switch.
var crashSteps = []string{"replaying", "synced", "closed", "linked", "renamed", "switched"}

// TestRebuildCrash kills a server (SIGKILL) while it rebuilds its views
// and appends statements, at each step of the rebuild and of the switch to
// the new views; the folder then opens, and after catching up serves views
// with the digest that an offline rebuild gives, whichever views were
// live. Files of views that did not go live are gone.
func TestRebuildCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process for each step")
	}
	// The longest tests of the suite: each step, and the other tests,
	// run beside each other on the cores that the other packages' tests
	// have left.
	t.Parallel()
	// One mechanism, copied for each step: making it is most of the time.
	template, msgs := mustMechanism(t, 2000)
	for _, step := range crashSteps {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(template)); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			for _, m := range msgs {
				fmt.Fprintf(&b, "%x\n", m)
			}
			if err := os.WriteFile(filepath.Join(dir, "pending.hex"), b.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			before, _, err := datadir.Digest(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestRebuildCrashChild$", "-test.v")
			cmd.Env = append(os.Environ(), "SULH_CRASH_DIR="+dir, "SULH_CRASH_STEP="+step)
			out, err := cmd.Output()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the server was not killed at %s: %v\n%s%s", step, err, out, stderrOf(err))
			}
			acked := strings.Count(string(out), "acknowledged\n")

			n, err := datadir.Open(ctx, dir, ledger.Options{})
			if err != nil {
				t.Fatalf("after a crash at %s the folder does not open: %v", step, err)
			}
			size := n.Checkpoint().N
			if size < before+int64(acked) {
				t.Errorf("after a crash at %s the log has %d entries; it had %d, and %d more were acknowledged", step, size, before, acked)
			}
			if err := n.WaitViews(ctx, size); err != nil {
				t.Fatal(err)
			}
			_, live, err := n.DB.Digest(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n.Close()
			names, target := viewsFiles(t, dir)
			wantLive := "sulh-views.1.db"
			if slices.Index(crashSteps, step) < slices.Index(crashSteps, "renamed") {
				wantLive = ""
			}
			if target != wantLive {
				t.Errorf("after a crash at %s, sulh-views.db links to %q, want %q", step, target, wantLive)
			}
			for _, name := range names {
				if name != "sulh-views.db" && !strings.HasPrefix(name, "sulh-views.db-") && (wantLive == "" || !strings.HasPrefix(name, wantLive)) {
					t.Errorf("after a crash at %s and a restart, %s is left", step, name)
				}
			}
			if got, digest := offlineDigest(t, dir); got != size || digest != live {
				t.Fatalf("after a crash at %s the views have the digest %x at %d entries; an offline rebuild gives %x at %d", step, live, size, digest, got)
			}
			t.Logf("killed at %s with %d statements acknowledged: the log has %d entries, views %s", step, acked, size, orPlain(target))
		})
	}
}

func stderrOf(err error) []byte {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.Stderr
	}
	return nil
}

func orPlain(target string) string {
	if target != "" {
		return target
	}
	return "sulh-views.db"
}

// TestRebuildCrashChild is the server TestRebuildCrash kills: it appends
// the statements in pending.hex while it rebuilds its views, and kills
// itself at the step SULH_CRASH_STEP.
func TestRebuildCrashChild(t *testing.T) {
	dir, step := os.Getenv("SULH_CRASH_DIR"), os.Getenv("SULH_CRASH_STEP")
	if dir == "" {
		t.Skip("run by TestRebuildCrash")
	}
	ctx := context.Background()
	kill := func() { syscall.Kill(os.Getpid(), syscall.SIGKILL) }
	store.InstallStep = func(s string) {
		if s == step {
			kill()
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "pending.hex"))
	if err != nil {
		t.Fatal(err)
	}
	var msgs [][]byte
	for _, line := range strings.Fields(string(b)) {
		var m []byte
		fmt.Sscanf(line, "%x", &m)
		msgs = append(msgs, m)
	}
	n, err := datadir.Open(ctx, dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var next int
	for range 8 {
		go func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(msgs) {
					return
				}
				if _, err := n.Submit(ctx, msgs[i]); err == nil {
					os.Stdout.WriteString("acknowledged\n")
				}
			}
		}()
	}
	var progressed int
	_, err = n.Log.Rebuild(ctx, func(done, total int64) {
		if progressed++; step == "replaying" && progressed == 2 {
			kill()
		}
	})
	t.Fatalf("the rebuild ended (%v) without being killed at %s", err, step)
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
