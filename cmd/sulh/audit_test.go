package main

import (
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestAudit runs sulh audit against a running demo: it passes, resumes
// from its state, and fails, naming the figure, once the server's views
// are changed behind its back.
func TestAudit(t *testing.T) {
	data := filepath.Join(t.TempDir(), "demo")
	srv := startServer(t, nil, "demo", "--data", data)
	state := filepath.Join(t.TempDir(), "audit.checkpoint")
	args := []string{"audit", "--url", srv.URL, "--key", srv.VKey, "--state", state}

	first := runSulh(t, runOpts{}, args...)
	if first.code != 0 {
		t.Fatalf("first audit:\n%s", first)
	}
	out := first.stdout
	for _, want := range []string{"OK: ", " entries verified; root ", "replayed ", "statements into fresh views", "OK: the server's figures match the log's at log size "} {
		if !strings.Contains(out, want) {
			t.Errorf("first audit: want %q in:\n%s", want, out)
		}
	}
	// The steps after the replay, which its progress does not show, each
	// say so as they begin.
	steps := []string{"audit: comparing the counts and lists at log size ", "audit: making the periodic reports\n",
		"audit: comparing the periodic reports\n", "audit: keeping the audit's state and views for the next\n"}
	at := 0
	for _, want := range steps {
		i := strings.Index(first.stderr[at:], want)
		if i < 0 {
			t.Errorf("first audit: want %q, after the steps before it, on stderr:\n%s", want, first.stderr)
			break
		}
		at += i + len(want)
	}
	out = mustSulh(t, args...)
	for _, want := range []string{"OK: the log grew from ", "replayed the 0 statements after the last audit's ", "OK: the server's figures match"} {
		if !strings.Contains(out, want) {
			t.Errorf("second audit: want %q in:\n%s", want, out)
		}
	}

	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "sulh-views.db")+"?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(`UPDATE cases SET accused = 'pakistan' WHERE id = (SELECT MIN(id) FROM cases WHERE accused = 'afghanistan' AND duplicate_of IS NULL)`)
	wantOneRow(t, res, err)
	r := runSulh(t, runOpts{}, args...)
	wantFailure(t, "audit of changed views", r, "DIFFERENT: cases by party: afghanistan accused: server ", "DIFFERENT: cases by party: pakistan accused: server ",
		"audit FAILED: 2 of the ", " figures compared at log size ")
	t.Logf("audit of changed views:\n%s", r.stderr)

	// A second audit on the same state while one runs is refused, and
	// leaves the state alone.
	lock, err := os.OpenFile(state+".lock", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	r = runSulh(t, runOpts{}, args...)
	wantFailure(t, "audit on a state in use", r, "another sulh audit is using --state "+state)
	lock.Close()

	// Another key of the same name is refused, the log unverified.
	name, _, _ := strings.Cut(srv.VKey, "+")
	other := strings.TrimSpace(mustSulh(t, "key", "generate", "--name", name, "--out", filepath.Join(t.TempDir(), "other.key")))
	r = runSulh(t, runOpts{}, "audit", "--url", srv.URL, "--key", other)
	wantFailure(t, "audit with another key", r, "audit FAILED: the log does not verify")
	if r := runSulh(t, runOpts{}, "audit", "--url", srv.URL); r.code != 2 {
		t.Errorf("audit without --key: want exit code 2, got:\n%s", r)
	}
}
