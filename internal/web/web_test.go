package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

func newServer(t *testing.T) (*demo.Mechanism, *httptest.Server) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := demo.Create(context.Background(), t.TempDir(), mechanism.DefaultRulebook, demo.Start, ledger.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	if err := m.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg))
	t.Cleanup(srv.Close)
	return m, srv
}

func signReport(t *testing.T, m *demo.Mechanism, author string, i int) []byte {
	t.Helper()
	msg, err := m.Sign(mechanism.KindReport, author, demo.Start.Add(time.Duration(i)*time.Minute), demo.SampleReport(fmt.Sprintf("report %d", i), accusedBy(author), demo.Start))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func submitReport(t *testing.T, m *demo.Mechanism, i int) ledger.Receipt {
	t.Helper()
	r, err := m.Log.Submit(context.Background(), signReport(t, m, "pakistan-liaison-1", i))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func post(t *testing.T, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url+"/api/v1/statements", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestSubmitStatuses(t *testing.T) {
	m, srv := newServer(t)
	good := signReport(t, m, "afghanistan-liaison-1", 1)
	unknown, err := statement.Sign([]byte(`{"mechanism":"pak-afg-2025","kind":"report","author":"stranger","at":"2025-10-20T00:00:00Z","refs":[],"summary":"x"}`), mustSigner(t, "stranger"))
	if err != nil {
		t.Fatal(err)
	}
	byFounder, err := m.Sign(mechanism.KindReport, m.Keys.Founders[0], demo.Start, map[string]any{"summary": "x"})
	if err != nil {
		t.Fatal(err)
	}
	badTime := strings.Replace(string(signReport(t, m, "afghanistan-liaison-1", 2)), "Z\"", "+05:00\"", 1)
	tests := []struct {
		name   string
		body   []byte
		status int
		code   string
		says   string
	}{
		{"accepted", good, 201, "", ""},
		{"duplicate", good, 409, "duplicate", "already in the log at index 10"},
		{"garbage", []byte("hello"), 400, "malformed", "not a signed note"},
		{"empty", nil, 400, "malformed", "empty"},
		{"too large", bytes.Repeat([]byte("a"), statement.MaxSize+1), 413, "too_large", "65535"},
		{"unknown key", unknown, 403, "forbidden", `unknown key "stranger"`},
		{"signature altered", []byte(strings.Replace(string(signReport(t, m, "afghanistan-liaison-1", 3)), "report 3", "report 4", 1)), 403, "forbidden", "does not verify"},
		{"not UTC", []byte(badTime), 403, "forbidden", "does not verify"},
		{"founder without body", byFounder, 403, "forbidden", "belongs to no body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, srv.URL, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if tt.code == "" {
				return
			}
			var e apiError
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("error body is not JSON: %s", body)
			}
			if e.Error.Code != tt.code || !strings.Contains(e.Error.Message, tt.says) {
				t.Fatalf("error %+v, want code %q saying %q", e.Error, tt.code, tt.says)
			}
		})
	}
}

func mustSigner(t *testing.T, name string) interface {
	Name() string
	KeyHash() uint32
	Sign([]byte) ([]byte, error)
} {
	t.Helper()
	path := t.TempDir() + "/k"
	if _, err := statement.GenerateKey(name, path); err != nil {
		t.Fatal(err)
	}
	s, err := statement.LoadSigner(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestReadRoutes(t *testing.T) {
	m, srv := newServer(t)
	for i := range 260 {
		submitReport(t, m, i)
	}
	size := m.Log.Checkpoint().N // 268
	tests := []struct {
		path, cache string
		status      int
		contains    string
	}{
		{"/", "no-store", 200, "Monitoring mechanism of the Pakistan–Afghanistan ceasefire"},
		{"/log/checkpoint", "no-store", 200, fmt.Sprintf("sulh.local/pak-afg-2025\n%d\n", size)},
		{"/log/key", "", 200, "sulh.local/pak-afg-2025+"},
		{"/log/tile/0/000", "immutable", 200, ""},
		{"/log/tile/entries/000", "immutable", 200, "sulh-statement/v1"},
		{fmt.Sprintf("/log/tile/entries/001.p/%d", size-256), "no-store", 200, "sulh-statement/v1"},
		{fmt.Sprintf("/log/tile/entries/001.p/%d", size-256+1), "", 404, "not in the log"},
		{"/log/tile/1/000.p/1", "no-store", 200, ""},
		{"/log/tile/0/001", "", 404, ""},
		{"/log/tile/0/000.p/256", "", 404, "malformed tile path"},
		{"/log/tile/0/x/000", "", 404, "malformed tile path"},
		{"/api/v1/mechanism", "no-store", 200, `"id": "pak-afg-2025"`},
		{"/api/v1/statements/0", "no-store", 200, `"kind": "rulebook"`},
		{fmt.Sprintf("/api/v1/statements/%d", size), "", 404, "not_found"},
		{"/api/v1/statements/-1", "", 400, "malformed"},
		{"/api/v1/proofs/consistency?from=1&to=5", "", 200, `"proof"`},
		{"/api/v1/proofs/consistency?from=6&to=5", "", 404, "from <= to"},
		{"/api/v1/proofs/consistency", "", 400, "from and to"},
		{"/healthz", "", 200, "ok"},
		{"/metrics", "", 200, "sulh_log_appended_total"},
		{"/nope", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, srv.URL+tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if !strings.Contains(string(body), tt.contains) {
				t.Fatalf("body does not contain %q: %.300s", tt.contains, body)
			}
			if tt.cache != "" && !strings.Contains(resp.Header.Get("Cache-Control"), tt.cache) {
				t.Fatalf("Cache-Control %q, want %q", resp.Header.Get("Cache-Control"), tt.cache)
			}
		})
	}
	// A full tile has 256 hashes; a partial tile W of them.
	if _, b := get(t, srv.URL+"/log/tile/0/000"); len(b) != 256*32 {
		t.Fatalf("full tile has %d bytes", len(b))
	}
	if _, b := get(t, srv.URL+"/log/tile/0/001.p/5"); len(b) != 5*32 {
		t.Fatalf("partial tile has %d bytes", len(b))
	}
	// Tiles are served from buffers that requests reuse: many at once
	// must each be whole and the same as the log's, and say their length.
	paths := []string{"/log/tile/entries/000", fmt.Sprintf("/log/tile/entries/001.p/%d", size-256), "/log/tile/0/000", "/log/tile/1/000.p/1"}
	want := make([][]byte, len(paths))
	for i, p := range paths {
		resp, b := get(t, srv.URL+p)
		if resp.Header.Get("Content-Length") != strconv.Itoa(len(b)) {
			t.Fatalf("%s: Content-Length %q, body %d bytes", p, resp.Header.Get("Content-Length"), len(b))
		}
		want[i] = b
	}
	var wg sync.WaitGroup
	for k := range 40 {
		wg.Go(func() {
			i := k % len(paths)
			resp, err := http.Get(srv.URL + paths[i])
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			if b, err := io.ReadAll(resp.Body); err != nil || !bytes.Equal(b, want[i]) {
				t.Errorf("%s, fetched with others: %d bytes, %v", paths[i], len(b), err)
			}
		})
	}
	wg.Wait()
}

func TestIndexEscapes(t *testing.T) {
	// Key names may hold any character but space and '+'; the page must
	// show them as text.
	m, srv := newServer(t)
	ctx := context.Background()
	if _, err := m.Enrol(ctx, "pakistan", "<script>evil", "x", demo.Start, "reporter"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.Submit(ctx, signReport(t, m, "<script>evil", 1)); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, srv.URL+"/explore")
	if strings.Contains(string(body), "<script>evil") {
		t.Fatal("index page shows a key name unescaped")
	}
	if !strings.Contains(string(body), "&lt;script&gt;evil") {
		t.Fatalf("index page does not show the author: %s", body)
	}
}

// accusedBy returns the party that author, a demo member, accuses.
func accusedBy(author string) string {
	if strings.HasPrefix(author, "afghanistan") {
		return "pakistan"
	}
	return "afghanistan"
}
