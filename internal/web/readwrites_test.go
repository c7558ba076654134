package web_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	_ "modernc.org/sqlite"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
	"github.com/sulh-project/sulh/internal/web"
)

// holdViews takes the views database's write lock, as a long transaction
// would, so that the follower cannot write; release gives it back.
func holdViews(t *testing.T, dir string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", store.ViewsFile(filepath.Join(dir, datadir.DatabaseFile))+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release) // before the log closes, which waits for the follower
	return release
}

// newServerIn is newServer, with the data folder, so that a test can hold
// the views' database.
func newServerIn(t *testing.T) (*demo.Mechanism, string, *httptest.Server) {
	t.Helper()
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	m, err := demo.Create(context.Background(), dir, mechanism.DefaultRulebook, demo.Start, ledger.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	if err := m.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(m.Log.Log, m.Log.DB, slog.New(slog.DiscardHandler), reg))
	t.Cleanup(srv.Close)
	return m, dir, srv
}

type answer struct {
	status  int
	body    []byte
	viewsAt string
	retry   string
}

func getViews(t *testing.T, url string) answer {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, b, resp.Header.Get(web.ViewsAtHeader), resp.Header.Get("Retry-After")}
}

// TestReadYourWrites: a read waits for the follower to write what the log
// acknowledged before it arrived, or, with at_least, the index asked for,
// and then gets it; asking past the log is 404; a read the follower cannot
// serve in time is 503 with Retry-After.
func TestReadYourWrites(t *testing.T) {
	ctx := context.Background()
	m, dir, srv := newServerIn(t)
	if err := m.Log.WaitViews(ctx, m.Log.Checkpoint().N); err != nil {
		t.Fatal(err)
	}

	release := holdViews(t, dir)
	r := submitReport(t, m, 1)
	// Waiting for the log's whole size or for the receipt's index alone:
	// either waits for the follower, then finds the statement.
	for i, atLeast := range []bool{false, true} {
		url := srv.URL + "/api/v1/statements?kind=report"
		if atLeast {
			url += fmt.Sprintf("&at_least=%d", r.Index)
		}
		got := make(chan answer, 1)
		go func() { got <- getViews(t, url) }()
		select {
		case a := <-got:
			t.Fatalf("GET %s answered %d before the views held index %d", url, a.status, r.Index)
		case <-time.After(300 * time.Millisecond):
		}
		release()
		a := <-got
		var page struct {
			Items []struct {
				Idx int64 `json:"idx"`
			} `json:"items"`
		}
		if err := json.Unmarshal(a.body, &page); a.status != http.StatusOK || err != nil || len(page.Items) == 0 || page.Items[0].Idx != r.Index {
			t.Fatalf("GET %s once the views hold index %d: %d %s", url, r.Index, a.status, a.body)
		}
		if n, _ := strconv.ParseInt(a.viewsAt, 10, 64); n <= r.Index {
			t.Errorf("%s says %q; the answer holds index %d", web.ViewsAtHeader, a.viewsAt, r.Index)
		}
		release = holdViews(t, dir)
		r = submitReport(t, m, 2+i)
	}
	release()

	// Past the log: 404 at once. Malformed: 400.
	if a := getViews(t, fmt.Sprintf("%s/api/v1/cases?at_least=%d", srv.URL, m.Log.Checkpoint().N)); a.status != http.StatusNotFound {
		t.Errorf("at_least past the log: %d %s, want 404", a.status, a.body)
	}
	for _, q := range []string{"at_least=-1", "at_least=x", "at_least=1&at_least=2"} {
		if a := getViews(t, srv.URL+"/api/v1/cases?"+q); a.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", q, a.status, a.body)
		}
	}

	// Held longer than the server waits: 503 with Retry-After, and the
	// statement is found once the views are free again.
	release = holdViews(t, dir)
	r = submitReport(t, m, 9)
	a := getViews(t, fmt.Sprintf("%s/api/v1/statements/%d?at_least=%d", srv.URL, r.Index, r.Index))
	release()
	if a.status != http.StatusServiceUnavailable || a.retry == "" {
		t.Errorf("a read the follower cannot serve within %v: %d, Retry-After %q; want 503 with Retry-After", web.ViewsWait, a.status, a.retry)
	}
	if a := getViews(t, fmt.Sprintf("%s/api/v1/statements/%d?at_least=%d", srv.URL, r.Index, r.Index)); a.status != http.StatusOK {
		t.Errorf("the same read once the views are free: %d %s", a.status, a.body)
	}
}

// TestRevokedTokenAtOnce: a token revoked in the log is refused from the
// moment the log acknowledges the revocation, even by a request that asks
// with at_least for an index before it, while the views lag behind.
func TestRevokedTokenAtOnce(t *testing.T) {
	ctx := context.Background()
	m, dir, srv := newServerIn(t)
	const secret = "a-secret-of-the-pakistani-liaison"
	sum := sha256.Sum256([]byte(secret))
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := m.Submit(ctx, mechanism.KindTokenIssue, "pakistan-liaison-1", now, map[string]any{
		"token": hex.EncodeToString(sum[:]), "expires": statement.FormatTime(now.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if code, body := getWithToken(t, srv.URL+"/api/v1/inbox", secret); code != http.StatusOK {
		t.Fatalf("the inbox with a fresh token: %d %s", code, body)
	}
	release := holdViews(t, dir)
	if _, err := m.Submit(ctx, mechanism.KindTokenRevoke, "pakistan-liaison-1", now.Add(time.Second), map[string]any{
		"token": hex.EncodeToString(sum[:]), "reason": "the laptop was lost"}); err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	go func() {
		code, _ := getWithToken(t, srv.URL+"/api/v1/inbox?at_least=0", secret)
		got <- code
	}()
	select {
	case code := <-got:
		t.Fatalf("a revoked token was answered %d while the views lagged", code)
	case <-time.After(300 * time.Millisecond):
	}
	release()
	if code := <-got; code != http.StatusUnauthorized {
		t.Errorf("a revoked token, once the views hold the revocation: %d, want 401", code)
	}
}
