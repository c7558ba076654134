package report_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/report"
)

// TestShelf keeps a report of the demo at an earlier size on a shelf and
// reads it back in each format, after the shelf is opened again too;
// what is not a report's address reads as nothing, a file changed on
// disk takes the report off the shelf, and what a crash left half
// written is removed.
func TestShelf(t *testing.T) {
	ctx := context.Background()
	m := mustDemo(t)
	size := m.Log.Checkpoint().N - 5
	a := report.Address{Kind: report.Weekly, Date: "2025-11-15", Size: size}
	p, err := report.NewAt(m.Log.Log, t.TempDir(), 3).Make(ctx, a, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "reports")
	shelf, err := report.OpenShelf(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { shelf.Close() }()
	a.Format = "html"
	if _, ok, err := shelf.Get(a); ok || err != nil {
		t.Fatalf("an empty shelf has %s: %v", a, err)
	}
	if err := shelf.Put(p); err != nil {
		t.Fatal(err)
	}
	// Kept again: nothing changes.
	if err := shelf.Put(p); err != nil {
		t.Fatalf("the same report kept twice: %v", err)
	}
	check := func(shelf *report.Shelf) {
		t.Helper()
		for _, f := range []string{"html", "pdf", "json"} {
			a.Format = f
			got, ok, err := shelf.Get(a)
			want, ctype, _ := p.Render(f)
			if !ok || err != nil || !bytes.Equal(got.Bytes, want) || got.ContentType != ctype ||
				got.LogSize != size || !got.From.Equal(p.From) || !got.To.Equal(p.To) {
				t.Errorf("%s %s from the shelf: %v %v, %d bytes (want %d), %q, size %d, %v–%v (want %v–%v)",
					a, f, ok, err, len(got.Bytes), len(want), got.ContentType, got.LogSize, got.From, got.To, p.From, p.To)
			}
		}
	}
	check(shelf)
	shelf.Close()
	// What a crash left in tmp/ goes when the shelf is opened.
	if err := os.WriteFile(filepath.Join(dir, "tmp", "half"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if shelf, err = report.OpenShelf(dir); err != nil {
		t.Fatal(err)
	}
	check(shelf)
	if _, err := os.Stat(filepath.Join(dir, "tmp", "half")); !os.IsNotExist(err) {
		t.Errorf("a file left in tmp/ is still there after the shelf is opened: %v", err)
	}
	// Owner-only: folders 0700, files 0600.
	files := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if want := fs.FileMode(0o600); d.IsDir() {
			if fi.Mode().Perm() != 0o700 {
				t.Errorf("%s: mode %v, want 0700", path, fi.Mode().Perm())
			}
		} else if files++; fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want 0600", path, fi.Mode().Perm())
		}
		return nil
	})
	if err != nil || files != 4 {
		t.Errorf("the shelf holds %d files (%v), want the three renderings and meta.json", files, err)
	}

	// Other sizes, kinds and dates, and what is no address, are not there.
	for _, b := range []report.Address{
		{Kind: report.Weekly, Date: "2025-11-15", Size: size + 1, Format: "html"},
		{Kind: report.Daily, Date: "2025-11-15", Size: size, Format: "html"},
		{Kind: report.Weekly, Date: "2025-11-14", Size: size, Format: "html"},
		{Kind: report.Weekly, Date: "2025-11-15", Size: size, Format: "csv"},
		{Kind: report.Weekly, Date: "2025-11-15", Size: size, Format: "../meta.json"},
		{Kind: "..", Date: "2025-11-15", Size: size, Format: "html"},
		{Kind: report.Weekly, Date: "../../..", Size: size, Format: "html"},
		{Kind: report.Weekly, Date: "2025-11-15", Size: 0, Format: "html"},
	} {
		if got, ok, err := shelf.Get(b); ok || err != nil {
			t.Errorf("%s %s: on the shelf (%d bytes, %v)", b, b.Format, len(got.Bytes), err)
		}
	}
	bad := *p
	bad.Date = "../x"
	if err := shelf.Put(&bad); err == nil {
		t.Error("a report dated ../x was kept")
	}

	// A file changed on disk is not served, and the report is taken off
	// the shelf, to be kept again.
	html := filepath.Join(dir, "weekly", "2025-11-15", strconv.FormatInt(size, 10), "report.html")
	if err := os.WriteFile(html, []byte("<p>changed</p>"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.Format = "html"
	if got, ok, err := shelf.Get(a); ok || err == nil {
		t.Errorf("a changed file served from the shelf: %q, %v", got.Bytes, err)
	}
	a.Format = "json"
	if _, ok, _ := shelf.Get(a); ok {
		t.Error("a report with a changed file stays on the shelf")
	}
	if err := shelf.Put(p); err != nil {
		t.Fatal(err)
	}
	check(shelf)
}

// FuzzShelfMeta reads a kept report whose meta.json holds anything: the
// shelf serves the file only if the meta.json's size and SHA-256 are the
// file's, and never panics.
func FuzzShelfMeta(f *testing.F) {
	f.Add([]byte(`{"log_size":7,"from":"2025-11-08T14:30:00Z","to":"2025-11-15T14:30:00Z","sha256":{"json":"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}}`))
	f.Add([]byte(`{"log_size":7,"sha256":{"json":"0"}}`))
	f.Add([]byte(`{"log_size":"7"}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	dir := f.TempDir()
	shelf, err := report.OpenShelf(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { shelf.Close() })
	a := report.Address{Kind: report.Weekly, Date: "2025-11-15", Size: 7, Format: "json"}
	kept := filepath.Join(dir, "weekly", "2025-11-15", "7")
	body := []byte("{}")
	const sum = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" // of body
	f.Fuzz(func(t *testing.T, meta []byte) {
		if err := os.MkdirAll(kept, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(kept, "meta.json"), meta, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(kept, "report.json"), body, 0o600); err != nil {
			t.Fatal(err)
		}
		got, ok, err := shelf.Get(a)
		if ok && (err != nil || !bytes.Equal(got.Bytes, body) || got.LogSize != 7 || !bytes.Contains(meta, []byte(sum))) {
			t.Fatalf("served %q (size %d, %v) for meta.json %q", got.Bytes, got.LogSize, err, meta)
		}
		if !ok {
			os.RemoveAll(kept)
		}
	})
}
