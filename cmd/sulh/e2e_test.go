package main

// End-to-end tests: they build the sulh binary once and drive it as an
// operator and a member would, through its commands and its HTTP API, with
// servers on 127.0.0.1.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/filelog"
	"github.com/sulh-project/sulh/internal/statement"
)

// sulhBin is the sulh binary that TestMain builds.
var sulhBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sulh-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "couldn't create a folder for the sulh binary:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	sulhBin = filepath.Join(dir, "sulh")
	build := exec.Command("go", "build", "-o", sulhBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "couldn't build the sulh binary:", err)
		return 1
	}
	return m.Run()
}

// result is what a finished sulh command printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// runOpts adjust runSulh.
type runOpts struct {
	stdin   string
	env     []string // added to the test's environment
	timeout time.Duration
}

// runSulh runs sulh with args to completion and returns what it printed and
// its exit code. A command that cannot start or outlives its timeout fails
// the test.
func runSulh(t *testing.T, opts runOpts, args ...string) result {
	t.Helper()
	if opts.timeout == 0 {
		opts.timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, sulhBin, args...)
	cmd.Env = append(os.Environ(), opts.env...)
	cmd.Stdin = strings.NewReader(opts.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("sulh %s did not finish within %v\n%s", strings.Join(args, " "), opts.timeout, r)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("couldn't run sulh %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mustSulh runs sulh with args and fails the test unless it exits 0. It
// returns standard output.
func mustSulh(t *testing.T, args ...string) string {
	t.Helper()
	r := runSulh(t, runOpts{}, args...)
	if r.code != 0 {
		t.Fatalf("sulh %s failed:\n%s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// wantFailure checks that r is a failure with exit code 1 whose standard
// error holds every one of wants.
func wantFailure(t *testing.T, what string, r result, wants ...string) {
	t.Helper()
	if r.code != 1 {
		t.Errorf("%s: want exit code 1, got:\n%s", what, r)
		return
	}
	for _, w := range wants {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("%s: want %q in the error, got:\n%s", what, w, r)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is a running `sulh demo` or `sulh serve`.
type server struct {
	URL  string // http://127.0.0.1:PORT, without a trailing slash
	VKey string // the log key it printed

	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{} // closed once the process has exited
	err            error         // how it exited; read after done
}

// freeAddr returns a 127.0.0.1 address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startServer runs `sulh <args> --addr ADDR` on a free port of 127.0.0.1,
// with env added to the environment, and waits until it is healthy.
func startServer(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	return startServerWith(t, func(addr string) ([]string, []string) {
		return append(args[:len(args):len(args)], "--addr", addr), env
	})
}

// startServerWith starts sulh with the arguments and environment that
// build returns for a free address, and waits until the process has printed
// its address and log key and answers /healthz with 200. The server is
// stopped with SIGTERM when the test ends; it must then exit cleanly.
func startServerWith(t *testing.T, build func(addr string) (args, env []string)) *server {
	t.Helper()
	// Another process may take the port between freeAddr and the server's
	// listen; try again on a new port then.
	for attempt := 1; ; attempt++ {
		addr := freeAddr(t)
		args, env := build(addr)
		s, err := tryStart(t, addr, args, env)
		if err == nil {
			return s
		}
		if attempt < 3 && strings.Contains(err.Error(), "address already in use") {
			t.Logf("port of %s was taken; trying another: %v", addr, err)
			continue
		}
		t.Fatalf("sulh %s: %v", strings.Join(args, " "), err)
	}
}

func tryStart(t *testing.T, addr string, args, env []string) (*server, error) {
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(sulhBin, args...)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("couldn't start: %w", err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-s.done:
			return nil, fmt.Errorf("exited before serving (%v)\nstdout:\n%s\nstderr:\n%s", s.err, s.stdout, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			s.kill()
			return nil, fmt.Errorf("not healthy within 15s\nstdout:\n%s\nstderr:\n%s", s.stdout, s.stderr)
		}
		// The server prints its address and key only once it listens, so
		// a health check after that reaches this process and no other.
		if out := s.stdout.String(); s.VKey == "" && strings.Contains(out, "Serving at http://"+addr+"/\n") {
			for _, line := range strings.Split(out, "\n") {
				if k, ok := strings.CutPrefix(line, "Log key: "); ok {
					s.VKey = k
				}
			}
		}
		if s.VKey != "" {
			resp, err := client.Get("http://" + addr + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.URL = "http://" + addr
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			if err := s.stop(); err != nil {
				t.Errorf("server %s did not shut down cleanly: %v\nstderr:\n%s", s.URL, err, s.stderr)
			}
		}
		if t.Failed() {
			t.Logf("server %s (sulh %s) wrote on standard error:\n%s", s.URL, strings.Join(args, " "), s.stderr)
		}
	})
	return s, nil
}

// stop sends SIGTERM and waits for the server to exit, killing it if it
// takes more than 10 seconds. It returns how the process exited.
func (s *server) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return s.err
	case <-time.After(10 * time.Second):
		s.kill()
		return errors.New("still running 10s after SIGTERM; killed")
	}
}

// kill kills the server with SIGKILL and waits for it to exit.
func (s *server) kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// apiError is the JSON body of a refusal.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Index   *int64 `json:"index"`
	} `json:"error"`
}

// post POSTs body as a statement and returns the status and raw answer.
func post(t *testing.T, client *http.Client, base string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := client.Post(base+"/api/v1/statements", "text/plain; charset=utf-8", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST /api/v1/statements: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST /api/v1/statements: %v", err)
	}
	return resp.StatusCode, b
}

// wantRefusal POSTs body and checks the status and error code of the answer;
// it returns the error message.
func wantRefusal(t *testing.T, client *http.Client, base, what string, body []byte, status int, code string) string {
	t.Helper()
	got, b := post(t, client, base, body)
	var e apiError
	if err := json.Unmarshal(b, &e); err != nil {
		t.Errorf("%s: answer is not a JSON error (status %d): %q", what, got, b)
		return ""
	}
	if got != status || e.Error.Code != code {
		t.Errorf("%s: got %d %q (%s), want %d %q", what, got, e.Error.Code, e.Error.Message, status, code)
	}
	return e.Error.Message
}

// statementResponse is the part of GET /api/v1/statements/{index} the tests
// read.
type statementResponse struct {
	Index      int64       `json:"index"`
	LeafHash   tlog.Hash   `json:"leaf_hash"`
	Entry      string      `json:"entry"`
	Signers    []signer    `json:"signers"`
	TreeSize   int64       `json:"tree_size"`
	Checkpoint string      `json:"checkpoint"`
	Proof      []tlog.Hash `json:"inclusion_proof"`
}

// signer is one of a statement's signers, as the API shows it.
type signer struct {
	Name   string `json:"name"`
	Body   string `json:"body"`
	Counts string `json:"counts"`
}

func getStatement(t *testing.T, client *http.Client, base string, i int64) statementResponse {
	t.Helper()
	resp, err := client.Get(fmt.Sprintf("%s/api/v1/statements/%d", base, i))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/statements/%d: %s: %s", i, resp.Status, b)
	}
	var sr statementResponse
	if err := json.Unmarshal(b, &sr); err != nil {
		t.Fatalf("GET /api/v1/statements/%d: %v", i, err)
	}
	return sr
}

// signReport signs a report by signer for the demo mechanism.
func signReport(t *testing.T, signer note.Signer, at time.Time, summary string) []byte {
	t.Helper()
	obj, err := json.Marshal(reportObject(signer.Name(), at, summary))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := statement.Sign(obj, signer)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// reportObject is a full report by author, a member of the pakistan body,
// accusing afghanistan.
func reportObject(author string, at time.Time, summary string) map[string]any {
	obj := demo.SampleReport(summary, "afghanistan", at.Add(-time.Hour))
	obj["mechanism"] = "pak-afg-2025"
	obj["kind"] = "report"
	obj["author"] = author
	obj["at"] = statement.FormatTime(at.Truncate(time.Second))
	obj["refs"] = []any{}
	return obj
}

// reportFields are the fields of a report, as a newcomer would write them for
// sulh submit: no mechanism, author, at or refs.
const reportFields = `"kind":"report","channel":"party","accused":"afghanistan",
	"event":{"time":"2025-10-20T04:30:00Z","precision":"exact"},
	"place":{"name":"Torkham","lat":34.1008,"lon":71.0918,"geo_precision":1},
	"event_type":"battles","sub_event_type":"armed_clash","language":"en"`

func loadSigner(t *testing.T, path string) note.Signer {
	t.Helper()
	s, err := statement.LoadSigner(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDemoVerifyAndSubmit(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	state := filepath.Join(dir, "state")
	keys := filepath.Join(data, "keys")
	srv := startServer(t, nil, "demo", "--data", data)
	if !strings.Contains(srv.stdout.String(), "Created the demo mechanism in "+data) {
		t.Errorf("demo did not say it created the mechanism:\n%s", srv.stdout)
	}
	client := &http.Client{Timeout: 10 * time.Second}

	// The key the server printed is the one it serves.
	resp, err := client.Get(srv.URL + "/log/key")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(served)) != srv.VKey {
		t.Errorf("/log/key is %q; the server printed %q", served, srv.VKey)
	}

	verify := func() string {
		t.Helper()
		return mustSulh(t, "verify-log", "--url", srv.URL+"/log", "--key", srv.VKey, "--state", state)
	}
	// The demo's scenario fills the log; n is its size.
	var n int64
	if out := verify(); !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("first verify-log failed:\n%s", out)
	} else if _, err := fmt.Sscanf(out, "OK: %d entries verified", &n); err != nil || n < 50 {
		t.Fatalf("first verify-log: %v; want the demo's scenario, 50 entries or more:\n%s", err, out)
	}

	// A second process may not sequence the same log.
	r := runSulh(t, runOpts{timeout: 15 * time.Second}, "serve", "--data", data, "--addr", freeAddr(t))
	wantFailure(t, "a second server on the same data", r, "another sulh process is using")

	// A member submits a report; sulh submit fills in the rest.
	report := filepath.Join(dir, "report.json")
	if err := os.WriteFile(report, []byte(`{`+reportFields+`,"summary":"Shots heard near the Torkham crossing at dawn."}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustSulh(t, "submit", "--key", filepath.Join(keys, "pakistan-liaison-1.key"), "--server", srv.URL, report)
	var rcpt struct {
		Index    int64     `json:"index"`
		LeafHash tlog.Hash `json:"leaf_hash"`
	}
	if err := json.Unmarshal([]byte(out), &rcpt); err != nil {
		t.Fatalf("submit printed no receipt: %v\n%s", err, out)
	}
	if rcpt.Index != n || rcpt.LeafHash == (tlog.Hash{}) {
		t.Fatalf("receipt %s, want index %d and a leaf hash", out, n)
	}
	sr := getStatement(t, client, srv.URL, n)
	if sr.LeafHash != rcpt.LeafHash || tlog.RecordHash([]byte(sr.Entry)) != rcpt.LeafHash {
		t.Errorf("entry %d has leaf hash %v (entry hashes to %v); the receipt said %v", n, sr.LeafHash, tlog.RecordHash([]byte(sr.Entry)), rcpt.LeafHash)
	}
	if want := (signer{"pakistan-liaison-1", "pakistan", "author"}); len(sr.Signers) != 1 || sr.Signers[0] != want {
		t.Errorf("entry %d signers %+v, want [%+v]", n, sr.Signers, want)
	}
	if !strings.Contains(sr.Entry, `"mechanism":"pak-afg-2025"`) || !strings.Contains(sr.Entry, `"author":"pakistan-liaison-1"`) || !strings.Contains(sr.Entry, `"refs":[]`) {
		t.Errorf("submit did not fill in mechanism, author and refs:\n%s", sr.Entry)
	}

	out = verify()
	if !strings.HasPrefix(out, fmt.Sprintf("OK: %d entries verified", n+1)) || !strings.Contains(out, fmt.Sprintf("the log grew from %d to %d entries", n, n+1)) {
		t.Errorf("second verify-log: want %d entries and growth from %d, got:\n%s", n+1, n, out)
	}

	// Refusals through sulh submit name their reason.
	r = runSulh(t, runOpts{stdin: `{` + reportFields + `,"summary":"x","at":"2025-10-20 17:00"}`},
		"submit", "--key", filepath.Join(keys, "pakistan-liaison-1.key"), "--server", srv.URL, "-")
	// sulh submit may refuse before sending, or the server refuses; either
	// way the reason is named.
	wantFailure(t, "a time that is not RFC 3339", r, `"at"`, "not an RFC 3339 time")
	r = runSulh(t, runOpts{stdin: `{` + reportFields + `,"summary":"A founder is no party."}`},
		"submit", "--key", filepath.Join(keys, "pak-afg-2025-founder-1.key"), "--server", srv.URL)
	wantFailure(t, "report by a founder", r, "forbidden")

	// The API's statuses and codes.
	wantRefusal(t, client, srv.URL, "garbage", []byte("garbage\n"), http.StatusBadRequest, "malformed")
	wantRefusal(t, client, srv.URL, "empty body", nil, http.StatusBadRequest, "malformed")
	wantRefusal(t, client, srv.URL, "MaxSize bytes of garbage", bytes.Repeat([]byte("a"), statement.MaxSize), http.StatusBadRequest, "malformed")
	wantRefusal(t, client, srv.URL, "one byte over MaxSize", bytes.Repeat([]byte("a"), statement.MaxSize+1), http.StatusRequestEntityTooLarge, "too_large")

	liaison := loadSigner(t, filepath.Join(keys, "pakistan-liaison-1.key"))
	// A correctly signed note whose statement is malformed: signed with
	// note.Sign, since statement.Sign may refuse to sign it.
	notUTC, err := note.Sign(&note.Note{Text: statement.Version + "\n" +
		`{"at":"2025-10-20T17:00:00+05:00","author":"pakistan-liaison-1","kind":"report","mechanism":"pak-afg-2025","refs":[],"summary":"x"}` + "\n"}, liaison)
	if err != nil {
		t.Fatal(err)
	}
	if m := wantRefusal(t, client, srv.URL, "time not in UTC", notUTC, http.StatusBadRequest, "malformed"); !strings.Contains(m, "not in UTC") {
		t.Errorf("time not in UTC: message %q does not say why", m)
	}
	msg := signReport(t, liaison, time.Now(), "A report posted straight to the API.")
	status, body := post(t, client, srv.URL, msg)
	if status != http.StatusCreated {
		t.Fatalf("signed report: got %d %s, want 201", status, body)
	}
	if err := json.Unmarshal(body, &rcpt); err != nil || rcpt.Index != n+1 || rcpt.LeafHash != tlog.RecordHash(msg) {
		t.Errorf("signed report: receipt %s, want index %d and the statement's leaf hash", body, n+1)
	}
	if m := wantRefusal(t, client, srv.URL, "the same statement again", msg, http.StatusConflict, "duplicate"); !strings.Contains(m, fmt.Sprintf("index %d", n+1)) {
		t.Errorf("duplicate: message %q does not name index %d", m, n+1)
	}
	if m := wantRefusal(t, client, srv.URL, "the statement sulh submit sent, again", []byte(sr.Entry), http.StatusConflict, "duplicate"); !strings.Contains(m, fmt.Sprintf("index %d", n)) {
		t.Errorf("duplicate: message %q does not name index %d", m, n)
	}

	skey, _, err := note.GenerateKey(rand.Reader, "stranger")
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	if m := wantRefusal(t, client, srv.URL, "unknown key", signReport(t, stranger, time.Now(), "Who am I?"), http.StatusForbidden, "forbidden"); !strings.Contains(m, "stranger") {
		t.Errorf("unknown key: message %q does not name the key", m)
	}

	// Nothing refused reached the log.
	if out := verify(); !strings.HasPrefix(out, fmt.Sprintf("OK: %d entries verified", n+2)) {
		t.Errorf("last verify-log: want %d entries, got:\n%s", n+2, out)
	}
}

// openDB opens a mechanism's database from the test process, as a second
// writer beside the server's.
// logFile opens one of the files of the log in the data folder data, to
// be written.
func logFile(t *testing.T, data, name string) *os.File {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(data, datadir.LogFolder, name), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestTamperDetected(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	srv := startServer(t, nil, "demo", "--data", base)
	if err := srv.stop(); err != nil {
		t.Fatalf("demo did not stop cleanly: %v\n%s", err, srv.stderr)
	}
	// The demo's entries, 8 enrolments and 600 reports: two full tiles at
	// level 0 and a partial one.
	var bench struct {
		LogSize int64 `json:"log_size"`
	}
	if err := json.Unmarshal([]byte(mustSulh(t, "bench", "ledger", "--data", base, "--n", "600", "--clients", "8", "--json")), &bench); err != nil || bench.LogSize < 600+8+50 {
		t.Fatalf("bench ledger: log size %d (%v); want the demo's 50 entries or more, 8 enrolments and 600 reports", bench.LogSize, err)
	}

	const target = 300
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, data string)
		want   []string
	}{{
		name: "entry data",
		tamper: func(t *testing.T, data string) {
			// Entry target lies between the ends of the entries before
			// it and its own, in the index.
			var ends [16]byte
			if _, err := logFile(t, data, filelog.IndexFile).ReadAt(ends[:], 8*(target-1)); err != nil {
				t.Fatal(err)
			}
			from, to := int64(binary.BigEndian.Uint64(ends[:8])), int64(binary.BigEndian.Uint64(ends[8:]))
			f := logFile(t, data, filelog.EntriesFile)
			entry := make([]byte, to-from)
			if _, err := f.ReadAt(entry, from); err != nil {
				t.Fatal(err)
			}
			// Change the first letter of the report's summary, which
			// leaves a well-formed statement whose signature is now wrong.
			i := bytes.Index(entry, []byte(`"summary":"`))
			if i < 0 {
				t.Fatalf("entry %d is not a report:\n%s", target, entry)
			}
			i += len(`"summary":"`)
			if _, err := f.WriteAt([]byte{entry[i] ^ 0x20}, from+int64(i)); err != nil {
				t.Fatal(err)
			}
		},
		want: []string{fmt.Sprintf("entry %d:", target), "does not verify"},
	}, {
		name: "level-0 hash",
		tamper: func(t *testing.T, data string) {
			off := tlog.HashSize * tlog.StoredHashIndex(0, target)
			f := logFile(t, data, filelog.HashesFile)
			var b [1]byte
			if _, err := f.ReadAt(b[:], off); err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt([]byte{b[0] ^ 1}, off); err != nil {
				t.Fatal(err)
			}
		},
		want: []string{fmt.Sprintf("entry %d:", target), "different hash for this entry"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			if err := os.CopyFS(data, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			srv := startServer(t, nil, "serve", "--data", data)
			verifyArgs := []string{"verify-log", "--url", srv.URL + "/log", "--key", srv.VKey}
			if out := mustSulh(t, verifyArgs...); !strings.HasPrefix(out, fmt.Sprintf("OK: %d entries verified", bench.LogSize)) {
				t.Fatalf("before tampering: want %d entries verified, got:\n%s", bench.LogSize, out)
			}
			// The server started from its state snapshot: let it finish
			// checking the log before it, which it would find tampered.
			waitMetric(t, srv.URL, fmt.Sprintf("sulh_log_verified_entries %d", bench.LogSize))
			tc.tamper(t, data)
			r := runSulh(t, runOpts{}, verifyArgs...)
			wantFailure(t, "verify-log after tampering", r, append([]string{"verification FAILED"}, tc.want...)...)
			t.Logf("verify-log after tampering: %s", strings.TrimSpace(r.stderr))
			if strings.Contains(r.stdout, "OK") {
				t.Errorf("verify-log printed OK after tampering:\n%s", r)
			}
			if err := srv.stop(); err != nil {
				t.Fatalf("serve did not stop cleanly: %v", err)
			}
			// The server re-verifies its log, entries and tree hashes,
			// when it starts, and refuses to serve a tampered one.
			r = runSulh(t, runOpts{timeout: 15 * time.Second}, "serve", "--data", data, "--addr", freeAddr(t))
			wantFailure(t, "serve after tampering", r, fmt.Sprintf("entry %d:", target))
			t.Logf("serve after tampering: %s", strings.TrimSpace(r.stderr))
		})
	}
}

// waitMetric waits for the server's /metrics to have line.
func waitMetric(t *testing.T, url, line string) {
	t.Helper()
	var body []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if slices.Contains(strings.Split(string(body), "\n"), line) {
			return
		}
	}
	t.Fatalf("%s/metrics never said %q:\n%s", url, line, body)
}

func wantOneRow(t *testing.T, res sql.Result, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("tampering changed %d rows (%v), want 1", n, err)
	}
}

func TestKillDuringLoad(t *testing.T) {
	const clients = 16
	data := filepath.Join(t.TempDir(), "data")
	mustSulh(t, "bench", "ledger", "--data", data, "--n", "10", "--clients", fmt.Sprint(clients))
	signers := make([]note.Signer, clients)
	for i := range signers {
		signers[i] = loadSigner(t, filepath.Join(data, "keys", fmt.Sprintf("bench-reporter-%d.key", i)))
	}
	srv := startServer(t, nil, "serve", "--data", data, "--snapshot-every", "300")

	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: clients},
		Timeout:   10 * time.Second,
	}
	var (
		mu       sync.Mutex
		receipts []statementResponse // Index and LeafHash only
		refusals []string            // answers other than 201
		errs     int                 // requests without an answer
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g, s := range signers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				obj, _ := json.Marshal(reportObject(s.Name(), time.Now(), fmt.Sprintf("kill test report %d-%d", g, j)))
				msg, err := statement.Sign(obj, s)
				if err != nil {
					mu.Lock()
					refusals = append(refusals, "couldn't sign: "+err.Error())
					mu.Unlock()
					return
				}
				resp, err := client.Post(srv.URL+"/api/v1/statements", "text/plain; charset=utf-8", bytes.NewReader(msg))
				if err != nil {
					// The server is gone; this statement may or may not
					// be in the log.
					mu.Lock()
					errs++
					mu.Unlock()
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					mu.Lock()
					errs++
					mu.Unlock()
					return
				}
				var r statementResponse
				mu.Lock()
				if resp.StatusCode == http.StatusCreated && json.Unmarshal(b, &r) == nil && r.LeafHash == tlog.RecordHash(msg) {
					receipts = append(receipts, r)
				} else {
					refusals = append(refusals, fmt.Sprintf("%s: %s", resp.Status, bytes.TrimSpace(b)))
				}
				mu.Unlock()
			}
		}()
	}
	// Load for a second, and until some statements are acknowledged.
	start := time.Now()
	for {
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		n := len(receipts)
		mu.Unlock()
		if time.Since(start) >= time.Second && n >= 50 || time.Since(start) > 10*time.Second {
			break
		}
	}
	srv.kill()
	close(stop)
	wg.Wait()
	client.CloseIdleConnections()
	t.Logf("%d statements acknowledged before SIGKILL, %d requests cut off", len(receipts), errs)
	if len(refusals) > 0 {
		t.Errorf("%d statements were not acknowledged while the server ran; the first: %s", len(refusals), refusals[0])
	}
	if len(receipts) < 50 {
		t.Fatalf("only %d statements acknowledged in %v", len(receipts), time.Since(start))
	}

	// Every acknowledged statement survived, where its receipt said.
	srv = startServer(t, nil, "serve", "--data", data, "--snapshot-every", "300")
	verifier, err := note.NewVerifier(srv.VKey)
	if err != nil {
		t.Fatal(err)
	}
	trees := map[string]tlog.Tree{}
	seen := map[int64]bool{}
	for _, r := range receipts {
		if seen[r.Index] {
			t.Fatalf("index %d acknowledged twice", r.Index)
		}
		seen[r.Index] = true
		got := getStatement(t, client, srv.URL, r.Index)
		if got.LeafHash != r.LeafHash || tlog.RecordHash([]byte(got.Entry)) != r.LeafHash {
			t.Fatalf("entry %d after restart has leaf hash %v; the receipt said %v", r.Index, got.LeafHash, r.LeafHash)
		}
		tree, ok := trees[got.Checkpoint]
		if !ok {
			n, err := note.Open([]byte(got.Checkpoint), note.VerifierList(verifier))
			if err != nil {
				t.Fatalf("entry %d: checkpoint does not verify: %v", r.Index, err)
			}
			c, err := torchwood.ParseCheckpoint(n.Text)
			if err != nil {
				t.Fatalf("entry %d: %v", r.Index, err)
			}
			tree = c.Tree
			trees[got.Checkpoint] = tree
		}
		if err := tlog.CheckRecord(got.Proof, tree.N, tree.Hash, r.Index, r.LeafHash); err != nil {
			t.Fatalf("entry %d: inclusion proof: %v", r.Index, err)
		}
	}
	out := mustSulh(t, "verify-log", "--url", srv.URL+"/log", "--key", srv.VKey)
	if !strings.HasPrefix(out, "OK: ") {
		t.Errorf("verify-log after restart:\n%s", out)
	}
	t.Logf("after restart: %s", strings.TrimSpace(out))

	// sulh rebuild while the server serves and takes statements: the
	// server rebuilds its views beside the live ones and switches to them,
	// and every statement acknowledged meanwhile is read back from them.
	var during []statementResponse
	stopLoad := make(chan struct{})
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		for j := 0; ; j++ {
			select {
			case <-stopLoad:
				return
			default:
			}
			s := signers[j%len(signers)]
			obj, _ := json.Marshal(reportObject(s.Name(), time.Now(), fmt.Sprintf("online rebuild report %d", j)))
			msg, err := statement.Sign(obj, s)
			if err != nil {
				t.Error(err)
				return
			}
			resp, err := client.Post(srv.URL+"/api/v1/statements", "text/plain; charset=utf-8", bytes.NewReader(msg))
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var r statementResponse
			if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &r) != nil {
				t.Errorf("during the online rebuild: %s: %s", resp.Status, b)
				return
			}
			during = append(during, r)
		}
	}()
	out = mustSulh(t, "rebuild", "--data", data)
	close(stopLoad)
	<-loaded
	if !strings.Contains(out, "and now serves them") {
		t.Errorf("sulh rebuild beside the server:\n%s", out)
	}
	for _, r := range during {
		if got := getStatement(t, client, srv.URL, r.Index); got.LeafHash != r.LeafHash {
			t.Fatalf("entry %d, acknowledged during the online rebuild, reads back with leaf hash %v", r.Index, got.LeafHash)
		}
	}
	t.Logf("%s(%d statements acknowledged during it)", out, len(during))

	// The views, which follow the log under a cursor of their own, resumed
	// where the kills left them: they hold what a rebuild from the log
	// gives, to the last row.
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	followed := lastLine(mustSulh(t, "digest", "--data", data))
	rebuilt := lastLine(mustSulh(t, "rebuild", "--data", data))
	if !strings.HasPrefix(followed, "state digest: ") || followed != rebuilt {
		t.Errorf("the views after the kills: %q; rebuilt from the log: %q", followed, rebuilt)
	}
}

func TestEnvFlags(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	// bench takes --data and --n from the environment too.
	runEnv := runOpts{env: []string{"SULH_DATA=" + data, "SULH_N=1", "SULH_CLIENTS=1"}}
	if r := runSulh(t, runEnv, "bench", "ledger"); r.code != 0 {
		t.Fatalf("bench ledger from the environment:\n%s", r)
	}

	srv := startServerWith(t, func(addr string) ([]string, []string) {
		return []string{"serve"}, []string{"SULH_DATA=" + data, "SULH_ADDR=" + addr}
	})
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The genesis, one enrolment and one report.
	if !strings.HasPrefix(string(b), "ok 3 ") {
		t.Errorf("/healthz: %q, want a log of 3 entries", b)
	}

	// A flag on the command line wins over its variable.
	empty := t.TempDir()
	r := runSulh(t, runOpts{env: []string{"SULH_DATA=" + data, "SULH_ADDR=" + freeAddr(t)}}, "serve", "--data", empty)
	wantFailure(t, "serve --data over SULH_DATA", r, empty, "holds no mechanism")

	// A bad value in a variable is a usage error that names the variable.
	r = runSulh(t, runOpts{env: []string{"SULH_N=many"}}, "bench", "ledger", "--data", data)
	if r.code != 2 || !strings.Contains(r.stderr, "SULH_N") {
		t.Errorf("SULH_N=many: want exit code 2 naming SULH_N, got:\n%s", r)
	}
}

func TestInitFromRulebook(t *testing.T) {
	dir := t.TempDir()
	keyFile := func(name string) string { return filepath.Join(dir, name+".key") }
	generate := func(name string) string {
		t.Helper()
		vkey := strings.TrimSpace(mustSulh(t, "key", "generate", "--name", name, "--out", keyFile(name)))
		if pub := strings.TrimSpace(mustSulh(t, "key", "public", "--key", keyFile(name))); pub != vkey {
			t.Errorf("key public %s: %q; key generate printed %q", name, pub, vkey)
		}
		return vkey
	}
	founders := []string{generate("founder-pakistan"), generate("founder-afghanistan")}
	// A key file is never overwritten.
	r := runSulh(t, runOpts{}, "key", "generate", "--name", "founder-pakistan", "--out", keyFile("founder-pakistan"))
	wantFailure(t, "key generate over an existing file", r, "couldn't create key file")

	var rb map[string]any
	if err := json.Unmarshal([]byte(mustSulh(t, "rulebook")), &rb); err != nil {
		t.Fatalf("sulh rulebook does not print JSON: %v", err)
	}
	rb["founders"].(map[string]any)["keys"] = founders
	bodies := rb["bodies"].([]any)
	if len(bodies) != 6 {
		t.Fatalf("the rulebook template has %d bodies, want 6", len(bodies))
	}
	for _, b := range bodies {
		body := b.(map[string]any)
		body["administrators"] = []string{generate(body["id"].(string) + "-admin")}
	}
	writeJSON := func(name string, v any) string {
		t.Helper()
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	rulebook := writeJSON("rulebook.json", rb)

	data := filepath.Join(dir, "data")
	initArgs := []string{"init", "--data", data, "--rulebook", rulebook, "--key", keyFile("founder-pakistan"), "--key", keyFile("founder-afghanistan")}
	out := mustSulh(t, initArgs...)
	var vkey string
	for _, line := range strings.Split(out, "\n") {
		if k, ok := strings.CutPrefix(line, "Log key: "); ok {
			vkey = k
		}
	}
	if !strings.HasPrefix(vkey, "sulh.local/pak-afg-2025+") {
		t.Fatalf("init printed no log key for origin sulh.local/pak-afg-2025:\n%s", out)
	}

	// The mechanism serves the rulebook with our keys, and its log verifies
	// with the printed key.
	srv := startServer(t, nil, "serve", "--data", data)
	if srv.VKey != vkey {
		t.Errorf("serve printed log key %q; init printed %q", srv.VKey, vkey)
	}
	resp, err := http.Get(srv.URL + "/api/v1/mechanism")
	if err != nil {
		t.Fatal(err)
	}
	var mech struct {
		TreeSize int64 `json:"tree_size"`
		Rulebook struct {
			Founders struct {
				Keys []string `json:"keys"`
			} `json:"founders"`
			Bodies []struct {
				Administrators []string `json:"administrators"`
			} `json:"bodies"`
		} `json:"rulebook"`
	}
	err = json.NewDecoder(resp.Body).Decode(&mech)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if mech.TreeSize != 1 || strings.Join(mech.Rulebook.Founders.Keys, " ") != strings.Join(founders, " ") || len(mech.Rulebook.Bodies) != 6 {
		t.Errorf("/api/v1/mechanism: %+v", mech)
	}
	if out := mustSulh(t, "verify-log", "--url", srv.URL+"/log", "--key", vkey); !strings.HasPrefix(out, "OK: 1 entries verified") {
		t.Errorf("verify-log: %s", out)
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("serve did not stop cleanly: %v", err)
	}

	// A second init on the same folder is refused.
	wantFailure(t, "init twice", runSulh(t, runOpts{}, initArgs...), "already holds a mechanism")

	// Founder keys can come from SULH_KEY, comma-separated.
	r = runSulh(t, runOpts{env: []string{"SULH_KEY=" + keyFile("founder-pakistan") + "," + keyFile("founder-afghanistan")}},
		"init", "--data", filepath.Join(dir, "data-env"), "--rulebook", rulebook)
	if r.code != 0 || !strings.Contains(r.stdout, "Log key: sulh.local/pak-afg-2025+") {
		t.Errorf("init with SULH_KEY:\n%s", r)
	}

	// Failures leave no mechanism behind.
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{{
		name: "unknown field",
		args: func() []string {
			bad := map[string]any{}
			for k, v := range rb {
				bad[k] = v
			}
			bad["colour"] = "blue"
			return []string{"--rulebook", writeJSON("unknown-field.json", bad), "--key", keyFile("founder-pakistan"), "--key", keyFile("founder-afghanistan")}
		}(),
		want: []string{"couldn't read rulebook", `unknown field "colour"`},
	}, {
		name: "one founder of a quorum of two",
		args: []string{"--rulebook", rulebook, "--key", keyFile("founder-pakistan")},
		want: []string{"needs 2 founders' signatures; it has 1"},
	}, {
		name: "a body's administrator signs",
		args: []string{"--rulebook", rulebook, "--key", keyFile("qatar-admin"), "--key", keyFile("founder-afghanistan")},
		want: []string{`signature by unknown key "qatar-admin"`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			r := runSulh(t, runOpts{}, append([]string{"init", "--data", data}, tc.args...)...)
			wantFailure(t, "init", r, tc.want...)
			if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed init left %s behind (%v)", data, err)
			}
		})
	}
}
