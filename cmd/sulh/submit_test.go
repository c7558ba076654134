package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/web"
)

// request is what a fakeServer received.
type request struct {
	method, path, auth string
	body               []byte
}

// fakeServer stands in for a sulh server: it answers GET /api/v1/mechanism
// and, as a server would for the first statement posted, GET
// /api/v1/statements/{index}; it records every other request and answers
// the n-th of them with the n-th handler (the last one again once they run
// out).
type fakeServer struct {
	URL      string
	mu       sync.Mutex
	received []request
}

// startFake starts a fakeServer, stopped when the test ends.
func startFake(t *testing.T, answers ...http.HandlerFunc) *fakeServer {
	return startFakeWith(t, true, answers...)
}

// startFakeWith starts a fakeServer that serves entries or, without
// entries, answers 404 for each.
func startFakeWith(t *testing.T, entries bool, answers ...http.HandlerFunc) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "GET" && r.URL.Path == "/api/v1/mechanism":
			io.WriteString(w, `{"id":"pak-afg-2025"}`)
			return
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/api/v1/statements/"):
			got := f.requests()
			if !entries || len(got) == 0 {
				answerJSON(http.StatusNotFound, `{"error":{"code":"not_found","message":"no such entry"}}`)(w, r)
				return
			}
			idx, _ := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/api/v1/statements/"), 10, 64)
			b, _ := json.Marshal(map[string]any{"index": idx, "leaf_hash": tlog.RecordHash(signed(t, got[0]))})
			answerJSON(http.StatusOK, string(b))(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.received = append(f.received, request{r.Method, r.URL.Path, r.Header.Get("Authorization"), body})
		n := len(f.received)
		f.mu.Unlock()
		answers[min(n, len(answers))-1](w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// signed returns the signed statement that a request posted: its body, or
// the statement a sealed request carries.
func signed(t *testing.T, r request) []byte {
	if r.path != "/api/v1/sealed" {
		return r.body
	}
	var req web.SealedRequest
	if err := json.Unmarshal(r.body, &req); err != nil {
		t.Errorf("a sealed request that is not JSON: %v\n%s", err, r.body)
	}
	return []byte(req.Statement)
}

// requests returns what the server received so far.
func (f *fakeServer) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.received...)
}

// answerJSON answers with status and the JSON text body.
func answerJSON(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// hangUp closes the connection without an answer, after a pause longer
// than a second, so that a time filled in anew for a retry would differ.
func hangUp(w http.ResponseWriter, r *http.Request) {
	time.Sleep(1100 * time.Millisecond)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// cutShort answers 201 but closes the connection halfway through the body.
func cutShort(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "100")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, `{"index":`)
	w.(http.Flusher).Flush()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// duplicate is the server's 409 for a statement already at index idx; an
// older server gives the index only in the message.
func duplicate(idx int64, withField bool) http.HandlerFunc {
	e := map[string]any{"code": "duplicate", "message": fmt.Sprintf("this statement is already in the log at index %d", idx)}
	if withField {
		e["index"] = idx
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return answerJSON(http.StatusConflict, string(b))
}

// memberKey writes a new key for a member named pakistan-liaison-1 and
// returns its file.
func memberKey(t *testing.T) string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "member.key")
	mustSulh(t, "key", "generate", "--name", "pakistan-liaison-1", "--out", key)
	return key
}

const (
	unavailable = `{"error":{"code":"shutdown","message":"the server is shutting down"}}`
	created8    = `{"index":8,"leaf_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`
)

// TestSubmitRetry checks that sulh submit retries a post that may not have
// arrived with the very same bytes, its time (and a sealed statement's salt)
// fixed before the first attempt, and that a retry that finds the
// statement already in the log reports that entry as its receipt.
func TestSubmitRetry(t *testing.T) {
	key := memberKey(t)
	report := `{` + reportFields + `,"summary":"Shots heard near Torkham."}`
	for _, tc := range []struct {
		name      string
		args      []string
		answers   []http.HandlerFunc
		noEntries bool // the server answers 404 for the entry a duplicate names
		posts     int
		code      int
		want      int64 // the receipt's index, for a success
		stderr    []string
	}{{
		name:    "hang up, then duplicate with its index",
		answers: []http.HandlerFunc{hangUp, duplicate(7, true)},
		posts:   2, want: 7,
		stderr: []string{"couldn't submit", "EOF", "trying again", "attempt 2 of 4", "in the log at index 7"},
	}, {
		name:    "hang up, then duplicate named in the message only",
		answers: []http.HandlerFunc{hangUp, duplicate(7, false)},
		posts:   2, want: 7,
	}, {
		name:    "sealed: hang up, then 503, then duplicate",
		args:    []string{"--seal-for", "qatar,turkiye"},
		answers: []http.HandlerFunc{hangUp, answerJSON(http.StatusServiceUnavailable, unavailable), duplicate(9, true)},
		posts:   3, want: 9,
		stderr: []string{"refused (shutdown)", "attempt 3 of 4"},
	}, {
		name:      "hang up, then duplicate, the entry unreadable",
		answers:   []http.HandlerFunc{hangUp, duplicate(7, true)},
		noEntries: true,
		posts:     2, want: 7,
		stderr: []string{"The receipt gives the leaf hash of the statement sent", "no such entry"},
	}, {
		name:    "answer cut short, then created",
		answers: []http.HandlerFunc{cutShort, answerJSON(http.StatusCreated, created8)},
		posts:   2, want: 8,
		stderr: []string{"cut short"},
	}, {
		name:    "a duplicate at the first attempt is a refusal",
		answers: []http.HandlerFunc{duplicate(7, true)},
		posts:   1, code: 1,
		stderr: []string{"refused (duplicate)"},
	}, {
		name:    "a refusal is not retried",
		answers: []http.HandlerFunc{answerJSON(http.StatusBadRequest, `{"error":{"code":"invalid","message":"no"}}`)},
		posts:   1, code: 1,
		stderr: []string{"refused (invalid): no"},
	}, {
		name:    "5xx every time",
		answers: []http.HandlerFunc{answerJSON(http.StatusInternalServerError, `{"error":{"code":"internal","message":"internal error"}}`)},
		posts:   4, code: 1,
		stderr: []string{"gave up after 4 attempts"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startFakeWith(t, !tc.noEntries, tc.answers...)
			args := append([]string{"submit", "--key", key, "--server", srv.URL}, tc.args...)
			r := runSulh(t, runOpts{stdin: report}, append(args, "-")...)
			if r.code != tc.code {
				t.Fatalf("want exit code %d:\n%s", tc.code, r)
			}
			for _, w := range tc.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("want %q on standard error:\n%s", w, r)
				}
			}
			got := srv.requests()
			if len(got) != tc.posts {
				t.Fatalf("the server received %d requests; want %d", len(got), tc.posts)
			}
			for i, p := range got {
				if !bytes.Equal(p.body, got[0].body) {
					t.Errorf("attempt %d sent other bytes than the first:\n%s\n%s", i+1, p.body, got[0].body)
				}
			}
			msg := signed(t, got[0])
			if !bytes.Contains(msg, []byte(`"at":"`)) {
				t.Errorf("sulh submit did not fill in the time:\n%s", msg)
			}
			if tc.code != 0 {
				return
			}
			var rcpt struct {
				Index    int64     `json:"index"`
				LeafHash tlog.Hash `json:"leaf_hash"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rcpt); err != nil || rcpt.Index != tc.want {
				t.Fatalf("want a receipt of index %d (%v):\n%s", tc.want, err, r)
			}
			if !tc.noEntries && strings.Contains(r.stderr, "leaf hash of the statement sent") {
				t.Errorf("the entry was not read:\n%s", r)
			}
			if tc.want != 8 && rcpt.LeafHash != tlog.RecordHash(msg) {
				t.Errorf("the receipt's leaf hash is %v; the statement sent hashes to %v", rcpt.LeafHash, tlog.RecordHash(msg))
			}
		})
	}
}

// TestSealForNoBody checks that a --seal-for that names no body is refused
// and nothing is sent, and that self seals a statement for the author's body
// alone.
func TestSealForNoBody(t *testing.T) {
	key := memberKey(t)
	report := `{` + reportFields + `,"summary":"Shots heard near Torkham."}`
	for _, tc := range []struct {
		name string
		args []string
		env  []string
	}{
		{"empty", []string{"--seal-for", ""}, nil},
		{"blanks and commas", []string{"--seal-for", " , "}, nil},
		{"a body, then nothing", []string{"--seal-for", "qatar", "--seal-for", ","}, nil},
		{"an empty SULH_SEAL_FOR", nil, []string{"SULH_SEAL_FOR="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, answerJSON(http.StatusCreated, created8))
			args := append([]string{"submit", "--key", key, "--server", srv.URL}, tc.args...)
			r := runSulh(t, runOpts{stdin: report, env: tc.env}, append(args, "-")...)
			if r.code != 2 || !strings.Contains(r.stderr, "names no body") || !strings.Contains(r.stderr, "self") {
				t.Errorf("want exit code 2 and an error that says how to seal for one's own body:\n%s", r)
			}
			if got := srv.requests(); len(got) != 0 {
				t.Errorf("the server received %s %s", got[0].method, got[0].path)
			}
		})
	}

	for _, tc := range []struct {
		seal, visibility string
	}{{"self", `"visibility":[]`}, {"self,qatar", `"visibility":["qatar"]`}, {"turkiye, qatar", `"visibility":["turkiye","qatar"]`}} {
		srv := startFake(t, answerJSON(http.StatusCreated, created8))
		r := runSulh(t, runOpts{stdin: report}, "submit", "--key", key, "--server", srv.URL, "--seal-for", tc.seal, "-")
		got := srv.requests()
		if r.code != 0 || len(got) != 1 || got[0].path != "/api/v1/sealed" {
			t.Errorf("--seal-for %q: want one sealed request:\n%s", tc.seal, r)
			continue
		}
		var req web.SealedRequest
		if err := json.Unmarshal(got[0].body, &req); err != nil || !strings.Contains(req.Statement, tc.visibility) {
			t.Errorf("--seal-for %q: want %s in the sealed statement (%v):\n%s", tc.seal, tc.visibility, err, req.Statement)
		}
	}
}

// TestSealForSelf files a statement sealed for its author's body alone on a
// real server: the author's party reads it, the mediators do not.
func TestSealForSelf(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	srv := startServer(t, nil, "demo", "--data", data)
	key := func(name string) string { return filepath.Join(data, "keys", name+".key") }
	token := func(member string) string {
		t.Helper()
		return strings.TrimSpace(mustSulh(t, "token", "new", "--key", key(member), "--server", srv.URL))
	}
	pak, qat := token("pakistan-liaison-1"), token("qatar-investigator-1")
	r := runSulh(t, runOpts{stdin: `{` + reportFields + `,"summary":"A note for our own eyes."}`},
		"submit", "--key", key("pakistan-liaison-1"), "--server", srv.URL, "--seal-for", "self", "-")
	if r.code != 0 {
		t.Fatalf("submit --seal-for self:\n%s", r)
	}
	var rcpt struct {
		Index int64 `json:"index"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rcpt); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, tc := range []struct {
		who, tok string
		status   int
	}{{"the author's party", pak, 200}, {"a mediator", qat, 403}} {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/sealed/%d/body", srv.URL, rcpt.Index), nil)
		req.Header.Set("Authorization", "Bearer "+tc.tok)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("read by %s: %d; want %d", tc.who, resp.StatusCode, tc.status)
		}
	}
}
