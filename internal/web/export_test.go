package web_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/web"
)

// TestExportLog downloads the demo's log as JSON Lines and rebuilds, from
// the file alone, the tree that the log's checkpoint signs: every line, in
// order, with the entry as signed and its statement's fields.
func TestExportLog(t *testing.T) {
	m, _, srv := newDemoServer(t)
	resp, err := http.Get(srv.URL + "/export/log.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/jsonl") {
		t.Fatalf("GET /export/log.jsonl: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	size, err := strconv.ParseInt(resp.Header.Get("X-Log-Size"), 10, 64)
	if err != nil || size < 50 {
		t.Fatalf("X-Log-Size %q", resp.Header.Get("X-Log-Size"))
	}
	var hashes []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for j, x := range idx {
			out[j] = hashes[x]
		}
		return out, nil
	})
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	var n int64
	for sc.Scan() {
		var l web.LogLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		if l.Index != n || l.Kind == "" || l.Author == "" || l.At == "" || !strings.Contains(l.Entry, string(l.Statement)) {
			t.Fatalf("line %d: %+v", n+1, l)
		}
		hs, err := tlog.StoredHashes(n, []byte(l.Entry), reader)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n != size {
		t.Fatalf("%d lines; X-Log-Size says %d", n, size)
	}
	root, err := tlog.TreeHash(n, reader)
	if err != nil {
		t.Fatal(err)
	}
	if cp := m.Log.Checkpoint(); cp.N < n || (cp.N == n && cp.Hash != root) {
		t.Fatalf("the file's %d entries make the root %v; the checkpoint at %d signs %v", n, root, cp.N, cp.Hash)
	}
}
