package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/report"
)

// maxReport bounds the size of a periodic report sulh report fetches.
const maxReport = 64 << 20

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", stderr)
	server := fs.String("url", "", "base URL of the sulh server, such as http://127.0.0.1:8080 (required)")
	at := fs.String("at", "", "the date the period ends, YYYY-MM-DD in the rulebook's first time zone (required)")
	size := fs.Int64("size", 0, "the log size to make the report at (the number of statements, at most the log's); with -o and without it, the size the server's views hold")
	out := fs.String("o", "", "write the report to this file (written whole or not at all) instead of standard output")
	asPDF := fs.Bool("pdf", false, "fetch the report as PDF rather than HTML")
	asData := fs.Bool("data", false, "fetch the report's figures as JSON rather than HTML")
	const usage = "usage: sulh report daily|weekly|monthly --url URL --at YYYY-MM-DD [--size N] [-o FILE] [--pdf | --data]"
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sulh report daily|weekly|monthly --url URL --at YYYY-MM-DD [--size N] [-o FILE] [--pdf | --data]")
		fmt.Fprintln(stderr, "\nFetches a periodic report, byte for byte as the server serves it at")
		fmt.Fprintln(stderr, "/reports/PERIOD/DATE.html (or .pdf, or .json for its figures) made at log size N")
		fmt.Fprintln(stderr, "(?size=N), which the report states; without --size, at the size the server's views hold.")
		fmt.Fprintln(stderr, "With -o, it writes the report made at a stated size (the views' size, without --size)")
		fmt.Fprintln(stderr, "and prints the fields of the publication statement that records it (title, sha256,")
		fmt.Fprintln(stderr, "size, from, to, and the url with ?size=N, which serves the same bytes as long as the")
		fmt.Fprintln(stderr, "server runs this release), to be signed by a mediator with sulh submit.")
		fs.PrintDefaults()
	}
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *server == "" || *at == "" || (pos[0] != report.Daily && pos[0] != report.Weekly && pos[0] != report.Monthly) || *asPDF && *asData || *size < 0 {
		return usageError{usage}
	}
	if _, err := time.Parse("2006-01-02", *at); err != nil {
		return usageError{fmt.Sprintf("--at %q is not a date YYYY-MM-DD; %s", *at, usage)}
	}
	a := report.Address{Kind: pos[0], Date: *at, Format: "html", Size: *size}
	switch {
	case *asPDF:
		a.Format = "pdf"
	case *asData:
		a.Format = "json"
	}
	base := strings.TrimSuffix(*server, "/")
	if *out != "" && a.Size == 0 {
		// What is published names a size: the views' size now, which
		// their figures state.
		_, h, err := fetchReport(ctx, base+report.Address{Kind: a.Kind, Date: a.Date, Format: "json"}.Path())
		if err != nil {
			return err
		}
		if a.Size, err = strconv.ParseInt(h.Get("X-Log-Size"), 10, 64); err != nil || a.Size < 1 {
			return fmt.Errorf("couldn't learn the server's log size: its report's X-Log-Size is %q", h.Get("X-Log-Size"))
		}
	}
	u := base + a.Path()
	b, h, err := fetchReport(ctx, u)
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(h.Get("X-Log-Size"), 10, 64)
	// The HTML states the size in its text, the JSON in LogSize; a PDF's
	// text is compressed.
	states := true
	switch a.Format {
	case "html":
		states = strings.Contains(string(b), "log size "+strconv.FormatInt(n, 10))
	case "json":
		var p struct{ LogSize int64 }
		states = json.Unmarshal(b, &p) == nil && p.LogSize == n
	}
	if err != nil || !states || a.Size != 0 && n != a.Size {
		return fmt.Errorf("couldn't fetch %s: the report does not state the log size the server says (%q)", u, h.Get("X-Log-Size"))
	}
	if *out == "" {
		_, err := stdout.Write(b)
		return err
	}
	if err := writeWhole(*out, b); err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	pub := mechanism.Publication{
		Title:  fmt.Sprintf("%s report to %s (log size %d)", pos[0], *at, n),
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b)),
		From: h.Get("X-Period-From"), To: h.Get("X-Period-To"), URL: u,
	}
	j, err := json.Marshal(map[string]any{"kind": mechanism.KindPublication, "title": pub.Title, "sha256": pub.SHA256,
		"size": pub.Size, "from": pub.From, "to": pub.To, "url": pub.URL})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", j)
	return err
}

// fetchReport fetches a report, whole, with its headers.
func fetchReport(ctx context.Context, u string) ([]byte, http.Header, error) {
	resp, err := fetchOK(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReport+1))
	if err != nil {
		return nil, nil, fmt.Errorf("couldn't fetch %s: the answer was cut short: %w", u, err)
	}
	if len(b) > maxReport {
		return nil, nil, fmt.Errorf("couldn't fetch %s: the report is larger than %d bytes", u, maxReport)
	}
	return b, resp.Header, nil
}

// writeWhole writes b to name through a temporary file beside it, so that
// name holds all of b or is left as it was.
func writeWhole(name string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("couldn't write %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("couldn't write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("couldn't write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("couldn't write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("couldn't write %s: %w", name, err)
	}
	return nil
}
