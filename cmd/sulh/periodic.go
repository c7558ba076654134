package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
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
	out := fs.String("o", "", "write the report to this file (written whole or not at all) instead of standard output")
	asPDF := fs.Bool("pdf", false, "fetch the report as PDF rather than HTML")
	const usage = "usage: sulh report daily|weekly|monthly --url URL --at YYYY-MM-DD [-o FILE] [--pdf]"
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sulh report daily|weekly|monthly --url URL --at YYYY-MM-DD [-o FILE] [--pdf]")
		fmt.Fprintln(stderr, "\nFetches a periodic report, byte for byte as the server serves it at")
		fmt.Fprintln(stderr, "/reports/PERIOD/DATE.html (or .pdf), made at the server's log size, which the report states.")
		fmt.Fprintln(stderr, "With -o, prints the fields of the publication statement that records it (title,")
		fmt.Fprintln(stderr, "sha256, size, from, to, url), to be signed by a mediator with sulh submit.")
		fs.PrintDefaults()
	}
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *server == "" || *at == "" || (pos[0] != report.Daily && pos[0] != report.Weekly && pos[0] != report.Monthly) {
		return usageError{usage}
	}
	if _, err := time.Parse("2006-01-02", *at); err != nil {
		return usageError{fmt.Sprintf("--at %q is not a date YYYY-MM-DD; %s", *at, usage)}
	}
	ext := ".html"
	if *asPDF {
		ext = ".pdf"
	}
	u := strings.TrimSuffix(*server, "/") + "/reports/" + pos[0] + "/" + url.PathEscape(*at) + ext
	resp, err := fetchOK(ctx, u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReport+1))
	if err != nil {
		return fmt.Errorf("couldn't fetch %s: the answer was cut short: %w", u, err)
	}
	if len(b) > maxReport {
		return fmt.Errorf("couldn't fetch %s: the report is larger than %d bytes", u, maxReport)
	}
	size, err := strconv.ParseInt(resp.Header.Get("X-Log-Size"), 10, 64)
	// The HTML states the size in its text; a PDF's text is compressed.
	if err != nil || (!*asPDF && !strings.Contains(string(b), "log size "+strconv.FormatInt(size, 10))) {
		return fmt.Errorf("couldn't fetch %s: the report does not state the log size the server says (%q)", u, resp.Header.Get("X-Log-Size"))
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
		Title:  fmt.Sprintf("%s report to %s (log size %d)", pos[0], *at, size),
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b)),
		From: resp.Header.Get("X-Period-From"), To: resp.Header.Get("X-Period-To"), URL: u,
	}
	j, err := json.Marshal(map[string]any{"kind": mechanism.KindPublication, "title": pub.Title, "sha256": pub.SHA256,
		"size": pub.Size, "from": pub.From, "to": pub.To, "url": pub.URL})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", j)
	return err
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
