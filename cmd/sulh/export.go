package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/report"
)

// exports are the files sulh export fetches, each served at /export/NAME.
var exports = []string{"cases.csv", "cases.geojson", "acled.csv", "log.jsonl"}

// parseWithArgs parses args with fs, flags and positional arguments in any
// order, and returns the positional ones.
func parseWithArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", stderr)
	server := fs.String("url", "", "base URL of the sulh server, such as http://127.0.0.1:8080 (required)")
	out := fs.String("o", "", "write to this file (written whole or not at all) instead of standard output")
	usage := "usage: sulh export " + strings.Join(exports, "|") + " --url URL [NAME=VALUE...] [-o FILE]"
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sulh export "+strings.Join(exports, "|")+" --url URL [NAME=VALUE...] [-o FILE]")
		fmt.Fprintln(stderr, "\nFetches an export of the server's public record, byte for byte as the server serves")
		fmt.Fprintln(stderr, "it at /export/NAME. NAME=VALUE arguments are the case list's filters, such as")
		fmt.Fprintln(stderr, "party=afghanistan or stage=published (GET /api/v1/cases takes the same); log.jsonl")
		fmt.Fprintln(stderr, "takes none, and is checked to hold as many lines as the server says.")
		fs.PrintDefaults()
	}
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || *server == "" || !slices.Contains(exports, pos[0]) {
		return usageError{usage}
	}
	name := pos[0]
	q := url.Values{}
	for _, p := range pos[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return usageError{fmt.Sprintf("%q is not a filter NAME=VALUE, such as party=afghanistan; %s", p, usage)}
		}
		q.Add(k, v)
	}
	u := strings.TrimSuffix(*server, "/") + "/export/" + name
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	resp, err := fetchOK(ctx, u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var dst io.Writer = stdout
	var tmp *os.File
	if *out != "" {
		if tmp, err = os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*"); err != nil {
			return fmt.Errorf("couldn't write %s: %w", *out, err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		dst = tmp
	}
	lines := &lineCounter{}
	if _, err := io.Copy(io.MultiWriter(dst, lines), resp.Body); err != nil {
		return fmt.Errorf("couldn't fetch %s: the answer was cut short: %w", u, err)
	}
	if size := resp.Header.Get("X-Log-Size"); name == "log.jsonl" && size != strconv.FormatInt(lines.n, 10) {
		return fmt.Errorf("the server said its log holds %s statements, and sent %d lines", size, lines.n)
	}
	if tmp != nil {
		if err := tmp.Sync(); err != nil {
			return fmt.Errorf("couldn't write %s: %w", *out, err)
		}
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("couldn't write %s: %w", *out, err)
		}
		if err := os.Rename(tmp.Name(), *out); err != nil {
			return fmt.Errorf("couldn't write %s: %w", *out, err)
		}
	}
	return nil
}

// lineCounter counts the lines written to it.
type lineCounter struct{ n int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// refusedRow is a row of an imported file that was not filed, and why.
type refusedRow struct {
	line   int
	reason string
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "usage: sulh import acled FILE.csv --key FILE --server URL"
	if len(args) == 0 || args[0] != "acled" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stderr, "Usage: sulh import acled FILE.csv --key FILE --server URL")
			return flag.ErrHelp
		}
		return usageError{usage + " (acled is the one format sulh imports)"}
	}
	fs := newFlags("import acled", stderr)
	key := fs.String("key", "", "key file of a monitor (or mediator) who files the reports (required)")
	server := fs.String("server", "", "base URL of the sulh server, such as http://127.0.0.1:8080 (required)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sulh import acled FILE.csv --key FILE --server URL")
		fmt.Fprintln(stderr, "\nFiles each row of an ACLED export as a report on channel open_source, signed with")
		fmt.Fprintln(stderr, "the key and submitted as sulh submit does (with its retries). A row that is wrong")
		fmt.Fprintln(stderr, "or that the server refuses is not filed: at the end, each is listed with its line and")
		fmt.Fprintln(stderr, "why, and the command exits 1. The mechanism must follow rules 4 or later.")
		fs.PrintDefaults()
	}
	pos, err := parseWithArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 || *key == "" || *server == "" {
		return usageError{usage}
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return fmt.Errorf("couldn't read %s: %w", pos[0], err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("couldn't read %s: %w", pos[0], err)
	}
	cr := &countingReader{r: bufio.NewReader(f)}
	rows, err := report.NewACLEDReader(cr)
	if err != nil {
		return fmt.Errorf("couldn't read %s: %w", pos[0], err)
	}
	signers, err := loadSigners([]string{*key})
	if err != nil {
		return err
	}
	s := newSender(*server, stderr)
	mech, err := s.mechanismID(ctx)
	if err != nil {
		return err
	}
	progress, done := progressBar(stderr, "importing")
	var refused []refusedRow
	var filed []int64
	var lastLine int
	for {
		row, err := rows.Next()
		if err == io.EOF {
			break
		}
		if progress != nil {
			progress(cr.n, info.Size())
		}
		lastLine = row.Line
		if err != nil {
			refused = append(refused, refusedRow{row.Line, err.Error()})
			continue
		}
		fields, err := report.ACLEDReport(row, time.Now())
		if err != nil {
			refused = append(refused, refusedRow{row.Line, err.Error()})
			continue
		}
		fields["mechanism"] = mech
		raw, err := json.Marshal(fields)
		if err != nil {
			return err
		}
		body, err := s.submitStatement(ctx, raw, signers)
		var re *refusedError
		switch {
		case err == nil:
		case errors.As(err, &re) && re.status < 500 && re.status != http.StatusTooManyRequests:
			refused = append(refused, refusedRow{row.Line, re.msg})
			continue
		default:
			done()
			summary(stdout, filed, refused)
			return fmt.Errorf("stopped at line %d, and filed none after it: %w", row.Line, err)
		}
		var rc ledger.Receipt
		if err := json.Unmarshal(body, &rc); err != nil {
			return fmt.Errorf("line %d: the server's receipt does not parse: %w", row.Line, err)
		}
		filed = append(filed, rc.Index)
		if progress == nil && len(filed)%100 == 0 {
			fmt.Fprintf(stderr, "%d reports filed, to line %d\n", len(filed), lastLine)
		}
	}
	done()
	summary(stdout, filed, refused)
	if len(refused) > 0 {
		return fmt.Errorf("%d rows refused", len(refused))
	}
	return nil
}

// summary says what an import filed and refused.
func summary(w io.Writer, filed []int64, refused []refusedRow) {
	switch len(filed) {
	case 0:
		fmt.Fprintln(w, "Filed no report.")
	case 1:
		fmt.Fprintf(w, "Filed 1 report, at log index %d.\n", filed[0])
	default:
		fmt.Fprintf(w, "Filed %d reports, at log indices %d to %d.\n", len(filed), filed[0], filed[len(filed)-1])
	}
	if len(refused) == 0 {
		return
	}
	fmt.Fprintf(w, "Refused %d rows:\n", len(refused))
	for _, r := range refused {
		fmt.Fprintf(w, "  line %d: %s\n", r.line, r.reason)
	}
}

// fetchOK GETs u, as sulh export and sulh report do, and returns the
// answer if it is a 200; any other answer is the server's refusal.
func fetchOK(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, fmt.Errorf("couldn't fetch %s: %w", u, err)
	}
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, ResponseHeaderTimeout: time.Minute}}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("couldn't fetch %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, fmt.Errorf("couldn't fetch %s: %w", u, answer{status: resp.StatusCode, line: resp.Status, body: b}.refusal())
	}
	return resp, nil
}
