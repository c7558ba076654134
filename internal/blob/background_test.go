package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// pngOf returns a w×h PNG, different for each seed.
func pngOf(t testing.TB, w, h, seed int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	img.Pix[0] = byte(seed)
	img.Pix[len(img.Pix)-1] = byte(seed >> 8)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestThumbnailWorker: thumbnails are made in the background, one at a
// time, in the order queued; a full queue refuses more without waiting;
// Close waits for the thumbnail being made and drops the rest.
func TestThumbnailWorker(t *testing.T) {
	s, _ := openStore(t)
	var hashes []string
	for i := range thumbnailQueueLen + 3 {
		info, err := s.Put(t.Context(), bytes.NewReader(pngOf(t, 40, 30, i)), "p.png", testLimit)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, info.SHA256)
	}
	started := make(chan string)
	release := make(chan struct{})
	done := make(chan string, len(hashes))
	s.SetThumbnailHooks(ThumbnailHooks{
		Start: func(hash string) { started <- hash; <-release },
		Done: func(hash string, err error) {
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("thumbnail of %s: %v", hash, err)
			}
			done <- hash
		},
	})
	if !s.QueueThumbnail(hashes[0]) {
		t.Fatal("the first thumbnail was not queued")
	}
	if got := <-started; got != hashes[0] {
		t.Fatalf("started %s, want %s", got, hashes[0])
	}
	// The worker is busy with the first: the queue takes thumbnailQueueLen
	// more, a hash queued already is taken again without a second place,
	// and the next is refused at once.
	for _, h := range hashes[1 : 1+thumbnailQueueLen] {
		if !s.QueueThumbnail(h) {
			t.Fatalf("%s was not queued", h)
		}
	}
	if !s.QueueThumbnail(hashes[1]) {
		t.Error("a hash already queued was refused")
	}
	if s.QueueThumbnail(hashes[1+thumbnailQueueLen]) {
		t.Error("a full queue took another thumbnail")
	}
	if s.QueueThumbnail("not a hash") {
		t.Error("a malformed hash was queued")
	}
	if _, _, err := s.OpenDerived(hashes[0], ThumbnailName); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the thumbnail exists before it was made: %v", err)
	}
	release <- struct{}{}
	if got := <-done; got != hashes[0] {
		t.Fatalf("done %s, want %s", got, hashes[0])
	}
	if _, _, err := s.OpenDerived(hashes[0], ThumbnailName); err != nil {
		t.Fatalf("no thumbnail once made: %v", err)
	}
	// The next two in order, then Close while the third is being made.
	for _, want := range hashes[1:3] {
		if got := <-started; got != want {
			t.Fatalf("started %s, want %s", got, want)
		}
		release <- struct{}{}
		if got := <-done; got != want {
			t.Fatalf("done %s, want %s", got, want)
		}
	}
	if got := <-started; got != hashes[3] {
		t.Fatalf("started %s, want %s", got, hashes[3])
	}
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a thumbnail was being made", err)
	case <-time.After(50 * time.Millisecond):
	}
	release <- struct{}{}
	<-done
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if s.QueueThumbnail(hashes[5]) {
		t.Error("a closed store queued a thumbnail")
	}
	select {
	case h := <-started:
		t.Errorf("the worker started %s after Close", h)
	default:
	}
}

// TestQueueMissingThumbnails: the scan's pass queues the images that have
// no thumbnail and never failed, and nothing else.
func TestQueueMissingThumbnails(t *testing.T) {
	s, _ := openStore(t)
	put := func(content []byte, name string) string {
		info, err := s.Put(t.Context(), bytes.NewReader(content), name, testLimit)
		if err != nil {
			t.Fatal(err)
		}
		return info.SHA256
	}
	made := put(pngOf(t, 20, 20, 1), "made.png")
	if err := s.MakeThumbnail(t.Context(), made); err != nil {
		t.Fatal(err)
	}
	failed := put(pngOf(t, 20, 20, 2)[:60], "failed.png")
	if err := s.MakeThumbnail(t.Context(), failed); !errors.Is(err, ErrNoThumbnail) {
		t.Fatalf("a truncated PNG: %v", err)
	}
	missing := []string{put(pngOf(t, 20, 20, 3), "a.png"), put(makeJPEG(jpegSpec{w: 16, h: 16, sampling: []byte{0x11}}), "b.jpg")}
	put([]byte("notes"), "notes.txt")
	slices.Sort(missing)

	var got []string
	done := make(chan struct{})
	s.SetThumbnailHooks(ThumbnailHooks{Done: func(hash string, err error) {
		if err != nil {
			t.Errorf("%s: %v", hash, err)
		}
		got = append(got, hash)
		if len(got) == len(missing) {
			close(done)
		}
	}})
	n, err := s.QueueMissingThumbnails(t.Context())
	if err != nil || n != len(missing) {
		t.Fatalf("QueueMissingThumbnails = %d, %v; want %d", n, err, len(missing))
	}
	<-done
	slices.Sort(got)
	if !slices.Equal(got, missing) {
		t.Errorf("made %v, want %v", got, missing)
	}
}

// TestCopyOwners: a working copy belongs to the body of the member who
// stored it. Another body cannot replace it under its name, in any case or
// with invisible characters added; the server's own names are reserved in
// any case; the listing names each copy's uploader.
func TestCopyOwners(t *testing.T) {
	s, dir := openStore(t)
	orig, err := s.Put(t.Context(), bytes.NewReader(pngOf(t, 20, 20, 0)), "crater.png", testLimit)
	if err != nil {
		t.Fatal(err)
	}
	qatar := Uploader{Member: "qatar-investigator-1", Body: "qatar"}
	qatar2 := Uploader{Member: "qatar-investigator-2", Body: "qatar"}
	pakistan := Uploader{Member: "pakistan-liaison-1", Body: "pakistan"}
	put := func(by Uploader, name, content string) error {
		_, err := s.PutDerived(t.Context(), orig.SHA256, name, by, strings.NewReader(content), testLimit)
		return err
	}
	if err := put(qatar, "redacted.txt", "by qatar"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"redacted.txt", "REDACTED.TXT", "Redacted.txt", "red\u200dacted.txt", "\u200eredacted.txt"} {
		err := put(pakistan, name, "by pakistan")
		if !errors.Is(err, ErrNotOwner) || !strings.Contains(err.Error(), `"qatar"`) {
			t.Errorf("pakistan stores %q over qatar's copy: %v, want ErrNotOwner naming qatar", name, err)
		}
	}
	// Nothing of the refused copies is left, and qatar's is intact.
	rc, d, err := s.OpenDerived(orig.SHA256, "redacted.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "by qatar" || d.Uploader == nil || *d.Uploader != qatar {
		t.Errorf("qatar's copy is now %q by %+v", b, d.Uploader)
	}
	if left := files(t, dir, tmpDir); len(left) > 0 {
		t.Errorf("tmp holds %v", left)
	}
	// Another member of qatar may replace it.
	if err := put(qatar2, "redacted.txt", "by qatar again"); err != nil {
		t.Errorf("another member of the same body: %v", err)
	}
	for _, name := range []string{"thumbnail.jpg", "Thumbnail.jpg", "THUMBNAIL.JPG", "thumb\u200bnail.jpg"} {
		if err := put(qatar, name, "x"); !errors.Is(err, ErrReservedName) {
			t.Errorf("storing %q: %v, want ErrReservedName", name, err)
		}
		if err := CheckCopyName(name); !errors.Is(err, ErrReservedName) {
			t.Errorf("CheckCopyName(%q) = %v", name, err)
		}
	}
	if err := put(Uploader{}, "other.txt", "x"); err == nil {
		t.Error("PutDerived without an uploader succeeded")
	}
	// The server's thumbnail, without an uploader; pakistan's own copy.
	if err := s.MakeThumbnail(t.Context(), orig.SHA256); err != nil {
		t.Fatal(err)
	}
	if err := put(pakistan, "notes.txt", "by pakistan"); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListDerived(orig.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range list {
		got = append(got, fmt.Sprintf("%s %v", d.Name, d.Uploader))
	}
	want := []string{"notes.txt &{pakistan-liaison-1 pakistan}", "redacted.txt &{qatar-investigator-2 qatar}", "thumbnail.jpg <nil>"}
	if !slices.Equal(got, want) {
		t.Errorf("ListDerived = %q, want %q", got, want)
	}
	if err := s.CheckCopyOwner(orig.SHA256, "Notes.txt", qatar); !errors.Is(err, ErrNotOwner) {
		t.Errorf("CheckCopyOwner(Notes.txt, qatar) = %v", err)
	}
	if err := s.CheckCopyOwner(orig.SHA256, "new.txt", qatar); err != nil {
		t.Errorf("CheckCopyOwner(new.txt) = %v", err)
	}

	// A copy whose uploader was never recorded (stored by an earlier
	// version) may be replaced by no one; a damaged record is an error.
	legacy := filepath.Join(dir, "derived", orig.SHA256, "legacy.txt")
	if err := os.WriteFile(legacy, []byte("old"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := put(qatar, "legacy.txt", "x"); !errors.Is(err, ErrNotOwner) {
		t.Errorf("replacing a copy of no recorded uploader: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, uploaderPath(orig.SHA256, "notes.txt")), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListDerived(orig.SHA256); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("ListDerived with a damaged record = %v", err)
	}
	if err := s.RemoveDerived(orig.SHA256, "notes.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, uploaderPath(orig.SHA256, "notes.txt"))); !os.IsNotExist(err) {
		t.Errorf("the record outlived its copy: %v", err)
	}
	// Once removed, the name is free for anyone.
	if err := put(qatar, "notes.txt", "by qatar"); err != nil {
		t.Errorf("a removed copy's name: %v", err)
	}
	if probs, err := s.Scan(t.Context(), nil); err != nil || len(probs) != 0 {
		t.Errorf("Scan = %+v, %v", probs, err)
	}
}

// TestScanDuringUpload: a second process opening the store, as sulh scan
// does, and scanning it while an upload is in progress leaves the upload
// alone, and the upload lands.
func TestScanDuringUpload(t *testing.T) {
	server, dir := openStore(t)
	content := bytes.Repeat([]byte("evidence\n"), 100_000)
	pr, pw := io.Pipe()
	type result struct {
		info Info
		err  error
	}
	res := make(chan result, 1)
	go func() {
		info, err := server.Put(t.Context(), pr, "notes.txt", 1<<20*10)
		res <- result{info, err}
	}()
	if _, err := pw.Write(content[:len(content)/2]); err != nil {
		t.Fatal(err)
	}
	// The first half is in tmp/, so Put is under way.
	if left := files(t, dir, tmpDir); len(left) != 1 {
		t.Fatalf("tmp holds %v during the upload, want one file", left)
	}
	scanner, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if probs, err := scanner.Scan(t.Context(), nil); err != nil || len(probs) != 0 {
		t.Errorf("Scan during an upload = %+v, %v", probs, err)
	}
	if err := scanner.Close(); err != nil {
		t.Fatal(err)
	}
	if left := files(t, dir, tmpDir); len(left) != 1 {
		t.Fatalf("after sulh scan's Open, tmp holds %v: the upload in progress was deleted", left)
	}
	if _, err := pw.Write(content[len(content)/2:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-res
	if r.err != nil || r.info.SHA256 != sum(content) {
		t.Fatalf("the upload after a scan: %+v, %v", r.info, r.err)
	}
	if got, _, err := readAll(t, server, r.info.SHA256); err != nil || !bytes.Equal(got, content) {
		t.Errorf("the stored file: %d bytes, %v", len(got), err)
	}
}
