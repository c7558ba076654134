package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// docBlock is a fenced shell block of a page, with the reason the page
// gives for not running it, if it gives one.
type docBlock struct {
	line int
	text string
	skip string
}

// skipMark, on the line before a fence, says why a test does not run the
// block (it sets a machine up, or it needs an edit by hand).
var skipMark = regexp.MustCompile(`^<!-- docs-test: skip: (.+) -->$`)

// shellBlocks returns the ```sh blocks of the Markdown file.
func shellBlocks(t *testing.T, file string) []docBlock {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []docBlock
	for i := 0; i < len(lines); i++ {
		if lines[i] != "```sh" {
			continue
		}
		blk := docBlock{line: i + 1}
		if i > 0 {
			if m := skipMark.FindStringSubmatch(lines[i-1]); m != nil {
				blk.skip = m[1]
			}
		}
		var body []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		blk.text = strings.Join(body, "\n") + "\n"
		out = append(out, blk)
	}
	return out
}

// TestREADMECommands runs the README's shell blocks, in order, as a new
// user would on a fresh `sulh demo`: with the sulh binary on the PATH, in
// a folder that holds the demo's data as sulh-demo, against the demo's
// server (the page's http://127.0.0.1:8080 becomes the test's address).
// Every block must succeed, and what the page says the commands print on
// a fresh demo must be what they print. A block is left out only where
// the page says why, on the line before it.
func TestREADMECommands(t *testing.T) {
	work := t.TempDir()
	srv := startServer(t, nil, "demo", "--data", filepath.Join(work, "sulh-demo"))
	// The files the commands name, relative to a checkout.
	jpg, err := os.ReadFile(filepath.Join("testdata", "crater-gps.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(work, "cmd", "sulh", "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "cmd", "sulh", "testdata", "crater-gps.jpg"), jpg, 0o644); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Dir(sulhBin) + string(os.PathListSeparator) + os.Getenv("PATH")

	var outputs []string
	ran := 0
	for _, blk := range shellBlocks(t, filepath.Join("..", "..", "README.md")) {
		if blk.skip != "" {
			t.Logf("README.md:%d not run: %s", blk.line, blk.skip)
			continue
		}
		script := strings.ReplaceAll(blk.text, "http://127.0.0.1:8080", srv.URL)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "PATH="+path)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		if err != nil {
			t.Fatalf("README.md:%d failed (%v):\n%s\nstdout:\n%s\nstderr:\n%s", blk.line, err, blk.text, stdout.String(), stderr.String())
		}
		outputs = append(outputs, stdout.String())
		ran++
	}
	if ran < 5 {
		t.Fatalf("ran %d blocks of README.md; it has more", ran)
	}
	all := strings.Join(outputs, "\n")

	// "the statement's log index (61 on a fresh demo)": the receipt of
	// the report filed first.
	m := regexp.MustCompile(`the statement's log index \((\d+) on a fresh demo\)`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md no longer says which index the first report gets on a fresh demo; say it, or change this test")
	}
	if !regexp.MustCompile(`"index":\s*` + string(m[1]) + `\b`).MatchString(all) {
		t.Errorf("README.md says the report gets index %s on a fresh demo; the commands printed:\n%s", m[1], all)
	}
	// The digest before and after the rebuild is one.
	digests := regexp.MustCompile(`state digest: ([0-9a-f]{64})`).FindAllStringSubmatch(all, -1)
	if len(digests) < 2 {
		t.Fatalf("README.md's digest and rebuild printed %d digests:\n%s", len(digests), all)
	}
	for _, d := range digests[1:] {
		if d[1] != digests[0][1] {
			t.Errorf("the digests differ after sulh rebuild: %v", digests)
		}
	}
	// sulh audit finds the server's figures to be those of its log.
	if !strings.Contains(all, "OK: the server's figures match the log's at log size ") {
		t.Errorf("README.md's sulh audit did not say that the figures match:\n%s", all)
	}
}
