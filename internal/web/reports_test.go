package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// TestPeriodicReportPublished serves the demo's monthly report twice
// (the same bytes), has a mediator publish its SHA-256 and size, and
// checks the log's publication against the bytes served.
func TestPeriodicReportPublished(t *testing.T) {
	ctx := context.Background()
	m, _, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	get := func(path string) ([]byte, http.Header) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return b, resp.Header
	}
	const path = "/reports/monthly/2025-11-15.html"
	a, h := get(path)
	b, _ := get(path)
	if !bytes.Equal(a, b) {
		t.Fatal("the same log size served two different reports")
	}
	pa, ph := get("/reports/monthly/2025-11-15.pdf")
	pb, _ := get("/reports/monthly/2025-11-15.pdf")
	if !bytes.Equal(pa, pb) || !bytes.HasPrefix(pa, []byte("%PDF-")) || ph.Get("Content-Type") != "application/pdf" || ph.Get("X-Log-Size") != h.Get("X-Log-Size") {
		t.Errorf("the PDF served twice: %d and %d bytes, %q, log size %q", len(pa), len(pb), ph.Get("Content-Type"), ph.Get("X-Log-Size"))
	}
	size := m.Log.Checkpoint().N
	if h.Get("X-Log-Size") != strconv.FormatInt(size, 10) || !bytes.Contains(a, []byte("log size "+strconv.FormatInt(size, 10))) {
		t.Errorf("the report does not state the log size %d (header %q)", size, h.Get("X-Log-Size"))
	}
	sum := sha256.Sum256(a)
	at, err := m.Log.DB.LogTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := m.Sign(mechanism.KindPublication, "qatar-investigator-1", at.Add(time.Minute), map[string]any{
		"title": "Monthly report, November 2025", "sha256": hex.EncodeToString(sum[:]), "size": len(a),
		"from": "2025-10-31T14:30:00Z", "to": "2025-11-30T14:30:00Z", "url": srv.URL + path,
	})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := m.Log.Submit(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := get("/api/v1/publications?at_least=" + strconv.FormatInt(rc.Index, 10))
	var page struct {
		Rows []struct {
			Idx    int64  `json:"idx"`
			SHA256 string `json:"sha256"`
			Size   int64  `json:"size"`
		} `json:"items"`
	}
	if err := json.Unmarshal(list, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) == 0 || page.Rows[0].Idx != rc.Index || page.Rows[0].SHA256 != hex.EncodeToString(sum[:]) || page.Rows[0].Size != int64(len(a)) {
		t.Fatalf("the log's newest publication %s does not record the report served (index %d, sha256 %x, %d bytes)", list, rc.Index, sum, len(a))
	}
	// Made again now, the report states the log's new size.
	c, h := get(path)
	if bytes.Equal(a, c) || h.Get("X-Log-Size") != strconv.FormatInt(size+1, 10) {
		t.Errorf("after the publication the report is made at %q, want %d", h.Get("X-Log-Size"), size+1)
	}
}
