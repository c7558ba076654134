package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestReportPublish fetches the demo's monthly report with sulh report,
// which writes the bytes the server serves and prints the fields of their
// publication; a mediator submits those with sulh submit, and the log's
// publication records the SHA-256 and size of the file written.
func TestReportPublish(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "demo")
	srv := startServer(t, nil, "demo", "--data", data)
	out := filepath.Join(dir, "monthly.html")
	fields := mustSulh(t, "report", "monthly", "--url", srv.URL, "--at", "2025-11-15", "-o", out)
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := httpGet(t, srv.URL+"/reports/monthly/2025-11-15.html"); !bytes.Equal(got, want) {
		t.Fatalf("sulh report wrote %d bytes; the server serves %d, not the same", len(got), len(want))
	}
	sum := sha256.Sum256(got)
	var pub struct {
		Kind, Title, SHA256, From, To, URL string
		Size                               int64
	}
	if err := json.Unmarshal([]byte(fields), &pub); err != nil {
		t.Fatalf("sulh report printed %q: %v", fields, err)
	}
	if pub.Kind != "publication" || pub.SHA256 != hex.EncodeToString(sum[:]) || pub.Size != int64(len(got)) ||
		pub.From != "2025-10-31T14:30:00Z" || pub.To != "2025-11-30T14:30:00Z" || pub.URL != srv.URL+"/reports/monthly/2025-11-15.html?size="+strconv.Itoa(logSize(t, srv.URL)) {
		t.Errorf("sulh report printed %s for %d bytes of sha256 %x", fields, len(got), sum)
	}
	rcpt := runSulh(t, runOpts{stdin: fields}, "submit", "--key", filepath.Join(data, "keys", "qatar-investigator-1.key"), "--server", srv.URL, "-")
	if rcpt.code != 0 {
		t.Fatalf("a mediator's publication was refused:\n%s", rcpt)
	}
	var list struct {
		Items []struct {
			SHA256 string `json:"sha256"`
			Size   int64  `json:"size"`
		} `json:"items"`
	}
	if err := json.Unmarshal(httpGet(t, srv.URL+"/api/v1/publications"), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) == 0 || list.Items[0].SHA256 != pub.SHA256 || list.Items[0].Size != pub.Size {
		t.Errorf("the log's newest publication is %+v, not the report's %s, %d bytes", list.Items, pub.SHA256, pub.Size)
	}

	// The publication's address serves the same bytes after the log
	// grew, and after a restart, which keeps no report.
	if b := httpGet(t, pub.URL); !bytes.Equal(b, got) {
		t.Errorf("%s serves %d bytes once the publication is in the log, not the %d published", pub.URL, len(b), len(got))
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, nil, "serve", "--data", data)
	published := strings.Replace(pub.URL, pub.URL[:strings.Index(pub.URL, "/reports/")], srv.URL, 1)
	if b := httpGet(t, published); !bytes.Equal(b, got) {
		t.Errorf("%s serves %d bytes after a restart, not the %d published", published, len(b), len(got))
	}
	// --data fetches the figures at a stated size; --size, any size.
	var figures struct{ LogSize int64 }
	if err := json.Unmarshal([]byte(mustSulh(t, "report", "monthly", "--data", "--size", "40", "--url", srv.URL, "--at", "2025-11-15")), &figures); err != nil || figures.LogSize != 40 {
		t.Errorf("sulh report --data --size 40: log size %d (%v)", figures.LogSize, err)
	}

	// The audit makes the published report itself, at its size, and
	// finds the same bytes as the publication records and the server
	// serves.
	if out := mustSulh(t, "audit", "--url", srv.URL, "--key", srv.VKey); !strings.Contains(out, "OK: the server's figures match the log's") || !strings.Contains(out, "periodic reports ") {
		t.Errorf("sulh audit after the publication:\n%s", out)
	}

	// The PDF too is what the server serves.
	pdf := filepath.Join(dir, "monthly.pdf")
	mustSulh(t, "report", "monthly", "--pdf", "--url", srv.URL, "--at", "2025-11-15", "-o", pdf)
	gotPDF, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if want := httpGet(t, srv.URL+"/reports/monthly/2025-11-15.pdf"); !bytes.Equal(gotPDF, want) || !bytes.HasPrefix(gotPDF, []byte("%PDF-")) {
		t.Errorf("sulh report --pdf wrote %d bytes; the server serves %d, not the same", len(gotPDF), len(want))
	}

	// Wrong calls: an unknown period, a date that is not one, a party's
	// key publishing.
	if r := runSulh(t, runOpts{}, "report", "hourly", "--url", srv.URL, "--at", "2025-11-15"); r.code != 2 {
		t.Errorf("an unknown period: %s", r)
	}
	if r := runSulh(t, runOpts{}, "report", "daily", "--url", srv.URL, "--at", "15/11/2025"); r.code != 2 {
		t.Errorf("a date not YYYY-MM-DD: %s", r)
	}
	r := runSulh(t, runOpts{stdin: fields}, "submit", "--key", filepath.Join(data, "keys", "pakistan-liaison-1.key"), "--server", srv.URL, "-")
	wantFailure(t, "a party's publication", r, "mediator")
}

// logSize is the size of the log's checkpoint that the server at base
// serves.
func logSize(t *testing.T, base string) int {
	t.Helper()
	lines := strings.Split(string(httpGet(t, base+"/log/checkpoint")), "\n")
	if len(lines) < 2 {
		t.Fatalf("a checkpoint of %d lines", len(lines))
	}
	n, err := strconv.Atoi(lines[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}
