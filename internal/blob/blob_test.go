package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const testLimit = 1 << 20

func openStore(t testing.TB) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "evidence")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// files lists the regular files under dir/sub, relative to dir.
func files(t *testing.T, dir, sub string) []string {
	t.Helper()
	var list []string
	err := filepath.WalkDir(filepath.Join(dir, sub), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			list = append(list, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// assertEmpty fails if an upload left anything in tmp/ or originals/.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	if left := append(files(t, dir, tmpDir), files(t, dir, originalsDir)...); len(left) > 0 {
		t.Errorf("files left behind: %v", left)
	}
}

func readAll(t *testing.T, s *Store, hash string) ([]byte, Info, error) {
	t.Helper()
	rc, info, err := s.Open(hash)
	if err != nil {
		return nil, info, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return b, info, err
}

func TestPutOpen(t *testing.T) {
	jpegExif := jpegWithEXIF(t, fullSpec(binary.BigEndian).tiffBytes())
	kabulTime := time.Date(2025, 10, 12, 14, 3, 22, 0, time.FixedZone("", 4*3600+1800))
	tests := []struct {
		name      string
		content   []byte
		mediaType string
		metadata  *Metadata
	}{
		{"checkpoint-north.jpg", jpegExif, TypeJPEG, &Metadata{Captured: kabulTime, GPSTime: time.Date(2025, 10, 12, 9, 33, 21, 500e6, time.UTC), Position: &kabul}},
		{"plain.JPG", jpegWithEXIF(t, nil), TypeJPEG, nil},
		{"map.png", pngWithEXIF(t, exifSpec{dateTimeOriginal: "2025:10:12 14:03:22"}.tiffBytes()), TypePNG,
			&Metadata{Captured: time.Date(2025, 10, 12, 14, 3, 22, 0, time.UTC), CapturedLocal: true}},
		{"anim.gif", gifImage(t), TypeGIF, nil},
		{"shot.webp", webpWithEXIF(fullSpec(binary.LittleEndian).tiffBytes(), false), TypeWebP, &Metadata{Captured: kabulTime, GPSTime: time.Date(2025, 10, 12, 9, 33, 21, 500e6, time.UTC), Position: &kabul}},
		{"scan.tiff", fullSpec(binary.LittleEndian).tiffBytes(), TypeTIFF, &Metadata{Captured: kabulTime, GPSTime: time.Date(2025, 10, 12, 9, 33, 21, 500e6, time.UTC), Position: &kabul}},
		{"IMG_0001.HEIC", heicWithEXIF(fullSpec(binary.BigEndian).tiffBytes(), 1), TypeHEIC, &Metadata{Captured: kabulTime, GPSTime: time.Date(2025, 10, 12, 9, 33, 21, 500e6, time.UTC), Position: &kabul}},
		{"clip.mp4", mp4File, TypeMP4, nil},
		{"IMG_0002.MOV", movFile, TypeQuickTime, nil},
		{"voice.m4a", m4aFile, TypeM4A, nil},
		{"clip.webm", webmFile, TypeWebM, nil},
		{"clip.mkv", mkvFile, TypeMatroska, nil},
		{"letter.pdf", pdfFile, TypePDF, nil},
		{"note.txt", textFile, TypeText, nil},
		{"call.wav", wavFile, TypeWAV, nil},
		{"call.mp3", mp3File, TypeMP3, nil},
		{"bare.mp3", mp3Bare, TypeMP3, nil},
		{"voice.opus", oggOpus, TypeOggAudio, nil},
		{"exact-limit.txt", bytes.Repeat([]byte("a"), testLimit), TypeText, nil},
	}
	s, dir := openStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := s.Put(t.Context(), bytes.NewReader(tt.content), tt.name, testLimit)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			hash := sum(tt.content)
			if info.SHA256 != hash || info.Size != int64(len(tt.content)) || info.MediaType != tt.mediaType || info.Name != tt.name || info.Existed {
				t.Errorf("Put = %+v, want hash %s, size %d, type %s, name %s", info, hash, len(tt.content), tt.mediaType, tt.name)
			}
			if tt.metadata == nil {
				if info.Metadata != nil {
					t.Errorf("Put metadata = %+v, want none", info.Metadata)
				}
			} else {
				checkMetadata(t, info.Metadata, tt.metadata)
			}

			p := filepath.Join(dir, "originals", hash[:2], hash)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("the original is not at %s: %v", p, err)
			}
			if fi.Mode().Perm() != 0o400 {
				t.Errorf("mode = %v, want 0400", fi.Mode().Perm())
			}
			if !s.Has(hash) {
				t.Errorf("Has = false")
			}

			got, oinfo, err := readAll(t, s, hash)
			if err != nil {
				t.Fatalf("reading it back: %v", err)
			}
			if !bytes.Equal(got, tt.content) {
				t.Errorf("read back %d bytes that differ from the %d put", len(got), len(tt.content))
			}
			stat, err := s.Stat(hash)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range []Info{oinfo, stat} {
				if i.SHA256 != hash || i.Size != info.Size || i.MediaType != info.MediaType || i.Name != "" {
					t.Errorf("Open/Stat info = %+v, want %+v without the name", i, info)
				}
				if (i.Metadata == nil) != (info.Metadata == nil) {
					t.Errorf("Open/Stat metadata = %+v, Put's = %+v", i.Metadata, info.Metadata)
				} else if i.Metadata != nil {
					checkMetadata(t, i.Metadata, info.Metadata)
				}
			}
		})
	}
	if left := files(t, dir, tmpDir); len(left) > 0 {
		t.Errorf("tmp/ holds %v", left)
	}
	problems, err := s.Scan(t.Context(), nil)
	if err != nil || len(problems) > 0 {
		t.Errorf("Scan = %v, %v; want no problems", problems, err)
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// cancellingReader yields chunks of a file and cancels its context after
// the first few.
type cancellingReader struct {
	r      io.Reader
	reads  int
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	c.reads++
	if c.reads == 3 {
		c.cancel()
	}
	return c.r.Read(p[:min(len(p), 4096)])
}

func TestPutRefused(t *testing.T) {
	jpg := jpegWithEXIF(t, nil)
	big := append(append([]byte{}, jpg...), make([]byte, testLimit)...)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name    string
		ctx     func() context.Context
		r       func() io.Reader
		limit   int64
		wantErr error
	}{
		{"big.jpg", nil, func() io.Reader { return bytes.NewReader(big) }, testLimit, ErrTooLarge},
		{"one-over.txt", nil, func() io.Reader { return bytes.NewReader(bytes.Repeat([]byte("a"), 101)) }, 100, ErrTooLarge},
		{"small-over.txt", nil, func() io.Reader { return strings.NewReader("hello") }, 4, ErrTooLarge},
		{"endless.txt", nil, func() io.Reader { return endless{} }, 3 * testLimit, ErrTooLarge},
		{"letter.jpg", nil, func() io.Reader { return bytes.NewReader(pdfFile) }, testLimit, ErrTypeMismatch},
		{"photo.png", nil, func() io.Reader { return bytes.NewReader(jpg) }, testLimit, ErrTypeMismatch},
		{"page.txt", nil, func() io.Reader { return bytes.NewReader(htmlFile) }, testLimit, ErrTypeMismatch},
		{"clip.mp4", nil, func() io.Reader { return bytes.NewReader(webmFile) }, testLimit, ErrTypeMismatch},
		{"clip.webm", nil, func() io.Reader { return bytes.NewReader(mkvFile) }, testLimit, ErrTypeMismatch},
		{"archive.pdf", nil, func() io.Reader { return strings.NewReader("PK\x03\x04\x14\x00\x00\x00") }, testLimit, ErrTypeMismatch},
		{"tool.exe", nil, func() io.Reader { return bytes.NewReader(jpg) }, testLimit, ErrUnsupported},
		{"noextension", nil, func() io.Reader { return bytes.NewReader(jpg) }, testLimit, ErrUnsupported},
		{"empty.txt", nil, func() io.Reader { return strings.NewReader("") }, testLimit, ErrUnsupported},
		{"../x.jpg", nil, func() io.Reader { return bytes.NewReader(jpg) }, testLimit, ErrBadName},
		{"a/b.jpg", nil, func() io.Reader { return bytes.NewReader(jpg) }, testLimit, ErrBadName},
		{"..", nil, func() io.Reader { return bytes.NewReader(jpg) }, testLimit, ErrBadName},
		{".hidden", nil, func() io.Reader { return bytes.NewReader(jpg) }, testLimit, ErrBadName},
		{".hidden.jpg", nil, func() io.Reader { return bytes.NewReader(jpg) }, testLimit, ErrBadName},
		{"x\x00.jpg", nil, func() io.Reader { return bytes.NewReader(jpg) }, testLimit, ErrBadName},
		{strings.Repeat("x", 300) + ".jpg", nil, func() io.Reader { return bytes.NewReader(jpg) }, testLimit, ErrBadName},
		{"", nil, func() io.Reader { return bytes.NewReader(jpg) }, testLimit, ErrBadName},
		{"read-error.jpg", nil, func() io.Reader { return &failingReader{big[:600000], io.ErrClosedPipe} }, 2 * testLimit, io.ErrClosedPipe},
		{"early-read-error.jpg", nil, func() io.Reader { return &failingReader{jpg[:100], io.ErrClosedPipe} }, testLimit, io.ErrClosedPipe},
		{"cancelled.jpg", func() context.Context { return cancelled }, func() io.Reader { return bytes.NewReader(jpg) }, testLimit, context.Canceled},
	}
	s, dir := openStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			info, err := s.Put(ctx, tt.r(), tt.name, tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Put = %+v, %v; want %v", info, err, tt.wantErr)
			}
			if info != (Info{}) {
				t.Errorf("Put returned info %+v with an error", info)
			}
			t.Logf("%s: %v", tt.name, err)
			assertEmpty(t, dir)
		})
	}

	t.Run("cancelled mid-upload", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		r := &cancellingReader{r: bytes.NewReader(big), cancel: cancel}
		if _, err := s.Put(ctx, r, "mid.jpg", 2*testLimit); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put = %v, want context.Canceled", err)
		}
		assertEmpty(t, dir)
	})
}

// endless is an endless stream of text.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'z'
	}
	return len(p), nil
}

func TestPutDuplicate(t *testing.T) {
	s, dir := openStore(t)
	content := jpegWithEXIF(t, fullSpec(binary.LittleEndian).tiffBytes())
	first, err := s.Put(t.Context(), bytes.NewReader(content), "first.jpg", testLimit)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "originals", first.SHA256[:2], first.SHA256)
	before, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Put(t.Context(), bytes.NewReader(content), "second.jpeg", testLimit)
	if err != nil {
		t.Fatal(err)
	}
	if first.Existed || !second.Existed || second.SHA256 != first.SHA256 || second.Name != "second.jpeg" {
		t.Errorf("first = %+v, second = %+v; want the second to exist already under its own name", first, second)
	}
	after, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the original was replaced")
	}
	if got := files(t, dir, "."); len(got) != 1 {
		t.Errorf("store holds %v, want one original", got)
	}
}

func TestPutConcurrent(t *testing.T) {
	s, dir := openStore(t)
	same := jpegWithEXIF(t, nil)
	const n = 16
	var (
		wg       sync.WaitGroup
		infos    [n]Info
		errs     [n]error
		distinct [n]Info
	)
	for i := range n {
		wg.Go(func() {
			infos[i], errs[i] = s.Put(t.Context(), bytes.NewReader(same), "same.jpg", testLimit)
		})
		wg.Go(func() {
			text := []byte(strings.Repeat("report line\n", 1000) + string(rune('A'+i)))
			distinct[i], _ = s.Put(t.Context(), bytes.NewReader(text), "report.txt", testLimit)
		})
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Put %d: %v", i, errs[i])
		}
		if infos[i].SHA256 != sum(same) {
			t.Errorf("Put %d hash = %s", i, infos[i].SHA256)
		}
		if !infos[i].Existed {
			fresh++
		}
		if distinct[i].SHA256 == "" || distinct[i].Existed {
			t.Errorf("distinct Put %d = %+v", i, distinct[i])
		}
	}
	if fresh != 1 {
		t.Errorf("%d of %d concurrent Puts of the same content stored it, want exactly 1", fresh, n)
	}
	if got := files(t, dir, originalsDir); len(got) != n+1 {
		t.Errorf("originals holds %d files, want %d", len(got), n+1)
	}
	if got := files(t, dir, tmpDir); len(got) != 0 {
		t.Errorf("tmp holds %v", got)
	}
}

func TestOpenBadHashes(t *testing.T) {
	s, _ := openStore(t)
	unknown := sum([]byte("never stored"))
	tests := []struct {
		hash string
		want error
	}{
		{unknown, ErrNotFound},
		{strings.ToUpper(unknown), ErrBadHash},
		{unknown[:63], ErrBadHash},
		{"../../../../../../../../etc/passwd", ErrBadHash},
		{"../" + unknown[3:], ErrBadHash},
		{"", ErrBadHash},
	}
	for _, tt := range tests {
		if _, _, err := s.Open(tt.hash); !errors.Is(err, tt.want) {
			t.Errorf("Open(%q) = %v, want %v", tt.hash, err, tt.want)
		}
		if _, err := s.Stat(tt.hash); !errors.Is(err, tt.want) {
			t.Errorf("Stat(%q) = %v, want %v", tt.hash, err, tt.want)
		}
		if s.Has(tt.hash) {
			t.Errorf("Has(%q) = true", tt.hash)
		}
	}
}

func TestTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(f *os.File) error
	}{
		{"byte changed", func(f *os.File) error {
			_, err := f.WriteAt([]byte{0x00}, 1000)
			return err
		}},
		{"truncated", func(f *os.File) error { return f.Truncate(1000) }},
		{"extended", func(f *os.File) error {
			_, err := f.Seek(0, io.SeekEnd)
			if err == nil {
				_, err = f.Write([]byte("more"))
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := openStore(t)
			content := jpegWithEXIF(t, fullSpec(binary.LittleEndian).tiffBytes())
			info, err := s.Put(t.Context(), bytes.NewReader(content), "photo.jpg", testLimit)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "originals", info.SHA256[:2], info.SHA256)
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.tamper(f); err != nil {
				t.Fatal(err)
			}
			f.Close()

			if _, _, err := readAll(t, s, info.SHA256); !errors.Is(err, ErrCorrupt) {
				t.Errorf("reading the tampered file: %v, want ErrCorrupt", err)
			}
			var calls []int
			problems, err := s.Scan(t.Context(), func(done, total int) { calls = append(calls, done, total) })
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[ProblemKind]bool{}
			for _, p := range problems {
				kinds[p.Kind] = true
				if p.SHA256 != info.SHA256 {
					t.Errorf("problem %v names the wrong hash", p)
				}
			}
			if !kinds[ProblemCorrupt] || !kinds[ProblemWritable] || len(problems) != 2 {
				t.Errorf("Scan = %v, want corrupt and writable", problems)
			}
			if want := []int{0, 1, 1, 1}; !slices.Equal(calls, want) {
				t.Errorf("progress calls %v, want %v", calls, want)
			}
		})
	}
}

func TestScanStray(t *testing.T) {
	s, dir := openStore(t)
	info, err := s.Put(t.Context(), bytes.NewReader(pdfFile), "letter.pdf", testLimit)
	if err != nil {
		t.Fatal(err)
	}
	other := sum([]byte("other"))
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("outside the store"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	prefix := "originals/" + info.SHA256[:2] + "/"
	write(prefix+"notes.txt", "not a hash")
	write("originals/README", "a file where prefixes go")
	write("originals/zz/"+other, "a folder that is no prefix")
	wrongPrefix := other[:2]
	if wrongPrefix == info.SHA256[:2] {
		t.Skip("hash prefixes collide")
	}
	write(prefix+other, "an original in the wrong folder")
	write("derived/"+other+"/thumb.jpg", "copies of an unknown original")
	link := sum([]byte("link"))
	if err := os.MkdirAll(filepath.Join(dir, "originals", link[:2]), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "originals", link[:2], link)); err != nil {
		t.Fatal(err)
	}

	want := map[string]ProblemKind{
		prefix + "notes.txt":                 ProblemStray,
		"originals/README":                   ProblemStray,
		"originals/zz":                       ProblemStray,
		prefix + other:                       ProblemStray,
		"derived/" + other:                   ProblemStray,
		"originals/" + link[:2] + "/" + link: ProblemStray,
	}
	problems, err := s.Scan(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ProblemKind{}
	for _, p := range problems {
		got[p.Path] = p.Kind
	}
	for p, k := range want {
		if got[p] != k {
			t.Errorf("Scan reported %q for %s, want %q", got[p], p, k)
		}
	}
	if len(problems) != len(want) {
		t.Errorf("Scan = %v, want %d problems", problems, len(want))
	}

	// The symlink named like a hash leads outside the folder: the root refuses it.
	if _, _, err := s.Open(link); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Open through a symlink out of the store = %v, want a refusal", err)
	}
	if s.Has(link) {
		t.Errorf("Has(symlink) = true")
	}
}

func TestScanCancelled(t *testing.T) {
	s, _ := openStore(t)
	for i := range 5 {
		if _, err := s.Put(t.Context(), strings.NewReader(strings.Repeat("x", i+1)), "n.txt", testLimit); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := 0
	_, err := s.Scan(ctx, func(d, total int) {
		done = d
		if d == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || done != 2 {
		t.Errorf("Scan = %v after %d files, want context.Canceled after 2", err, done)
	}
}

// TestOpenCleansTmp: Open deletes what uploads abandoned in tmp/, and
// leaves alone what was written to recently, which may be an upload in
// progress in another process.
func TestOpenCleansTmp(t *testing.T) {
	s, dir := openStore(t)
	s.Close()
	old := time.Now().Add(-AbandonedAfter - time.Minute)
	for _, name := range []string{"tmp/abandoned.part", "tmp/dir/nested.part", "tmp/recent.part"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte("half an upload"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != "tmp/recent.part" {
			for _, p := range []string{p, filepath.Dir(p)} {
				if err := os.Chtimes(p, old, old); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := files(t, dir, tmpDir); !slices.Equal(got, []string{"tmp/recent.part"}) {
		t.Errorf("tmp after Open holds %v; want only tmp/recent.part", got)
	}
}

// monitor is the uploader of the working copies in tests.
var monitor = Uploader{Member: "monitors-field-1", Body: "monitors"}

func TestDerived(t *testing.T) {
	s, dir := openStore(t)
	orig, err := s.Put(t.Context(), bytes.NewReader(jpegWithEXIF(t, nil)), "photo.jpg", testLimit)
	if err != nil {
		t.Fatal(err)
	}
	thumb := pngWithEXIF(t, nil)
	d, err := s.PutDerived(t.Context(), orig.SHA256, "thumb.png", monitor, bytes.NewReader(thumb), testLimit)
	if err != nil {
		t.Fatal(err)
	}
	if d.Original != orig.SHA256 || d.Name != "thumb.png" || d.Size != int64(len(thumb)) || d.MediaType != TypePNG || d.SHA256 != sum(thumb) || d.Uploader == nil || *d.Uploader != monitor {
		t.Errorf("PutDerived = %+v", d)
	}
	if _, err := os.Stat(filepath.Join(dir, "derived", orig.SHA256, "thumb.png")); err != nil {
		t.Errorf("the working copy is not where it belongs: %v", err)
	}

	// Replace it, then read it back.
	redacted := pngWithEXIF(t, exifSpec{dateTimeOriginal: "2025:01:01 00:00:00"}.tiffBytes())
	if _, err := s.PutDerived(t.Context(), orig.SHA256, "thumb.png", monitor, bytes.NewReader(redacted), testLimit); err != nil {
		t.Fatal(err)
	}
	rc, od, err := s.OpenDerived(orig.SHA256, "thumb.png")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, redacted) || od.Size != int64(len(redacted)) || od.MediaType != TypePNG {
		t.Errorf("OpenDerived = %+v and %d bytes, want the replacement", od, len(got))
	}
	if _, err := s.PutDerived(t.Context(), orig.SHA256, "note.txt", monitor, strings.NewReader("transcript"), testLimit); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListDerived(orig.SHA256)
	if err != nil || len(list) != 2 || list[0].Name != "note.txt" || list[1].Name != "thumb.png" {
		t.Errorf("ListDerived = %+v, %v", list, err)
	}

	unknown := sum([]byte("unknown"))
	refusals := []struct {
		hash, name string
		content    []byte
		want       error
	}{
		{unknown, "thumb.png", thumb, ErrNotFound},
		{"../" + orig.SHA256[3:], "thumb.png", thumb, ErrBadHash},
		{orig.SHA256, "../../originals/x.png", thumb, ErrBadName},
		{orig.SHA256, "..", thumb, ErrBadName},
		{orig.SHA256, "thumb.jpg", thumb, ErrTypeMismatch},
		{orig.SHA256, "big.png", append(thumb, make([]byte, testLimit)...), ErrTooLarge},
	}
	for _, r := range refusals {
		if _, err := s.PutDerived(t.Context(), r.hash, r.name, monitor, bytes.NewReader(r.content), testLimit); !errors.Is(err, r.want) {
			t.Errorf("PutDerived(%q, %q) = %v, want %v", r.hash, r.name, err, r.want)
		}
	}
	if _, _, err := s.OpenDerived(orig.SHA256, "missing.png"); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenDerived(missing) = %v", err)
	}
	if _, _, err := s.OpenDerived(orig.SHA256, "../../originals"); !errors.Is(err, ErrBadName) {
		t.Errorf("OpenDerived(../..) = %v", err)
	}
	if err := s.RemoveDerived(orig.SHA256, "note.txt"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveDerived(orig.SHA256, "note.txt"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RemoveDerived twice = %v", err)
	}
	if got := files(t, dir, tmpDir); len(got) > 0 {
		t.Errorf("tmp holds %v", got)
	}
	if problems, err := s.Scan(t.Context(), nil); err != nil || len(problems) > 0 {
		t.Errorf("Scan = %v, %v", problems, err)
	}
	if _, _, err := readAll(t, s, orig.SHA256); err != nil {
		t.Errorf("the original after working copies: %v", err)
	}
}

func BenchmarkPut(b *testing.B) {
	s, _ := openStore(b)
	const size = 16 << 20
	content := make([]byte, size)
	copy(content, mp4File)
	for i := len(mp4File); i < size; i++ {
		content[i] = byte(i * 7)
	}
	b.SetBytes(size)
	for i := 0; b.Loop(); i++ {
		binary.BigEndian.PutUint64(content[size-8:], uint64(i)) // new content each time
		info, err := s.Put(b.Context(), bytes.NewReader(content), "clip.mp4", size)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.root.Remove(originalPath(info.SHA256)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
