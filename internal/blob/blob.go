// Package blob is the content-addressed evidence store: each original file
// kept read-only under its SHA-256, checked again whenever it is read and
// by a scan, with derived working copies kept apart.
//
// A store is a folder:
//
//	originals/<aa>/<sha256>             the files as uploaded, mode 0400, never rewritten
//	derived/<sha256>/<name>             working copies of an original (thumbnails, redactions)
//	derived/<sha256>/.by-<h>            who stored the copy whose name's SHA-256 is <h>
//	derived/<sha256>/.thumbnail-failed  why no thumbnail can be made, if none can
//	tmp/                                uploads in progress
//
// where <aa> is the first two hex digits of the hash. Nothing else is stored:
// an original's size, media type and EXIF metadata are read again from the
// file itself, and the name it was uploaded under belongs in the evidence
// statement that cites its hash. All file access goes through an os.Root, so
// no name can reach outside the folder. One process at a time may write to
// a folder; others (sulh scan) may open it to read while it does: Open only
// deletes uploads abandoned for AbandonedAfter.
package blob

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"sync"
	"time"
)

// The errors the store returns, wrapped with detail; test for them with
// errors.Is. Their messages are sentences a user can be shown.
var (
	ErrBadName      = errors.New("the file name is not acceptable")
	ErrTooLarge     = errors.New("the file is too large")
	ErrUnsupported  = errors.New("the store does not accept this type of file")
	ErrTypeMismatch = errors.New("the file's content does not match its name")
	ErrBadHash      = errors.New("not a SHA-256 hash (64 lower-case hex digits)")
	ErrNotFound     = errors.New("no file with that hash is in the store")
	ErrCorrupt      = errors.New("the stored file no longer matches its hash")
	ErrIncomplete   = errors.New("couldn't read the whole upload")
)

// Folders inside a store.
const (
	originalsDir = "originals"
	derivedDir   = "derived"
	tmpDir       = "tmp"
)

// Store is an evidence store in one folder. Its methods are safe for
// concurrent use.
type Store struct {
	root *os.Root

	// commit serialises the step that moves an upload into originals, so
	// that of two uploads of the same content exactly one lands and the
	// other reports Existed.
	commit sync.Mutex

	// copies serialises the steps that check who stored a working copy and
	// replace it.
	copies sync.Mutex

	thumbs thumbnailer
}

// Info describes an original file.
type Info struct {
	SHA256    string `json:"sha256"` // lower-case hex
	Size      int64  `json:"size"`
	MediaType string `json:"media_type"` // as Sniff names it

	// Name is the name the file was uploaded under, set by Put only: the
	// store does not keep names, since one content may arrive under many.
	Name string `json:"name,omitempty"`

	// Existed is set by Put when the store already held this content.
	Existed bool `json:"existed,omitempty"`

	// Metadata is what the file's EXIF block claims, nil if it has none.
	Metadata *Metadata `json:"metadata,omitempty"`
}

// AbandonedAfter is how long an upload in tmp/ may go unwritten before Open
// deletes it as abandoned. A server cuts an upload that stalls for far less,
// so a file this old in tmp/ belongs to no upload in progress.
const AbandonedAfter = time.Hour

// Open opens the store in dir, creating dir and the store's folders if need
// be, and deletes the uploads in tmp/ that an earlier process abandoned:
// those unwritten for AbandonedAfter. Uploads in progress in another process
// are left alone.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("couldn't create the evidence folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("couldn't open the evidence folder: %w", err)
	}
	s := &Store{root: root}
	for _, d := range []string{originalsDir, derivedDir, tmpDir} {
		if err := root.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			root.Close()
			return nil, fmt.Errorf("couldn't create %s in the evidence folder: %w", d, err)
		}
	}
	if _, err := s.RemoveAbandoned(); err != nil {
		root.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the thumbnail worker, waiting for the thumbnail it is making,
// and releases the store's folder.
func (s *Store) Close() error {
	s.stopThumbnails()
	return s.root.Close()
}

// RemoveAbandoned deletes the uploads in tmp/ that nothing has written to
// for AbandonedAfter, and returns how many it deleted.
func (s *Store) RemoveAbandoned() (int, error) {
	entries, err := fs.ReadDir(s.root.FS(), tmpDir)
	if err != nil {
		return 0, fmt.Errorf("couldn't list the evidence folder's tmp: %w", err)
	}
	cutoff := time.Now().Add(-AbandonedAfter)
	n := 0
	for _, e := range entries {
		p := path.Join(tmpDir, e.Name())
		fi, err := s.root.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // finished or cut meanwhile
		}
		if err != nil {
			return n, fmt.Errorf("couldn't look at an unfinished upload: %w", err)
		}
		if fi.ModTime().After(cutoff) {
			continue
		}
		if err := s.root.RemoveAll(p); err != nil {
			return n, fmt.Errorf("couldn't delete an abandoned upload: %w", err)
		}
		n++
	}
	return n, nil
}

func originalPath(hash string) string {
	return path.Join(originalsDir, hash[:2], hash)
}

// Put stores the content of r, uploaded under name, and returns its Info.
// It streams r into tmp/ while hashing it, then moves it, read-only, to its
// place among the originals. It refuses, with an error wrapping:
//
//   - ErrBadName: a name that CheckName refuses;
//   - ErrUnsupported: a name whose extension is not one of Extensions(), or
//     an empty file;
//   - ErrTypeMismatch: content whose type, as Sniff finds it in the first
//     512 bytes, is not what the extension says (a PDF named .jpg);
//   - ErrTooLarge: more than limit bytes (limit must be positive);
//   - ErrIncomplete: r failed before its end (the error wraps r's too).
//
// Content already in the store is left as it is, and its Info comes back
// with Existed set. The name is only reported back, never used as a path.
// If Put returns an error, nothing was stored and nothing is left in tmp/.
// It stops at its next read once ctx is done, so r should end when ctx does
// (an HTTP request body does).
func (s *Store) Put(ctx context.Context, r io.Reader, name string, limit int64) (Info, error) {
	if limit <= 0 {
		return Info{}, fmt.Errorf("blob: Put called with a limit of %d bytes", limit)
	}
	if err := CheckName(name); err != nil {
		return Info{}, err
	}
	if _, err := expectedTypes(name); err != nil {
		return Info{}, err
	}
	up, err := s.receive(ctx, r, name, limit)
	if err != nil {
		return Info{}, err
	}
	defer up.discard()
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}

	info := Info{SHA256: up.sum, Size: up.size, MediaType: up.mediaType, Name: name}
	if m, err := ReadMetadata(up.f, up.size, up.mediaType); err == nil {
		info.Metadata = m
	}
	if err := up.f.Chmod(0o400); err != nil {
		return Info{}, fmt.Errorf("couldn't make the upload read-only: %w", err)
	}
	if err := up.f.Close(); err != nil {
		return Info{}, fmt.Errorf("couldn't close the upload: %w", err)
	}
	up.f = nil

	s.commit.Lock()
	defer s.commit.Unlock()
	final := originalPath(info.SHA256)
	switch _, err := s.root.Lstat(final); {
	case err == nil:
		info.Existed = true
		return info, nil
	case !errors.Is(err, fs.ErrNotExist):
		return Info{}, fmt.Errorf("couldn't look for %s in the store: %w", info.SHA256, err)
	}
	dir := path.Dir(final)
	if err := s.root.Mkdir(dir, 0o700); err == nil {
		if err := s.syncDir(originalsDir); err != nil {
			return Info{}, err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return Info{}, fmt.Errorf("couldn't create %s: %w", dir, err)
	}
	if err := s.root.Rename(up.path, final); err != nil {
		return Info{}, fmt.Errorf("couldn't move the upload into the store: %w", err)
	}
	up.path = final // to be deleted if the sync fails: an error means nothing stored
	if err := s.syncDir(dir); err != nil {
		return Info{}, err
	}
	up.path = ""
	return info, nil
}

func (s *Store) syncDir(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return fmt.Errorf("couldn't open %s to sync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("couldn't sync %s: %w", dir, err)
	}
	return nil
}

// upload is a file being received into tmp/.
type upload struct {
	s         *Store
	f         *os.File // open until closed by the caller, nil after
	path      string   // in tmp/ until renamed, "" after
	sum       string
	size      int64
	mediaType string
}

// discard closes and deletes whatever of the upload is left in tmp/.
func (u *upload) discard() {
	if u.f != nil {
		u.f.Close()
		u.f = nil
	}
	if u.path != "" {
		u.s.root.Remove(u.path)
		u.path = ""
	}
}

// receive copies r into a new file in tmp/, hashing and counting it, checks
// its type against name, and syncs it. On success the file is left open for
// reading and writing; on error nothing is left.
func (s *Store) receive(ctx context.Context, r io.Reader, name string, limit int64) (_ *upload, err error) {
	u := &upload{s: s}
	u.path = path.Join(tmpDir, rand.Text()+".part")
	u.f, err = s.root.OpenFile(u.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("couldn't create a file for the upload: %w", err)
	}
	defer func() {
		if err != nil {
			u.discard()
		}
	}()

	h := sha256.New()
	src := io.LimitReader(ctxReader{ctx, r}, min(limit, math.MaxInt64-1)+1)
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(src, head)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
	case err != nil:
		return nil, readError(ctx, err)
	}
	head = head[:n]
	if int64(n) > limit {
		return nil, tooLarge(limit)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrUnsupported)
	}
	u.mediaType = Sniff(head)
	if err := checkType(name, u.mediaType); err != nil {
		return nil, err
	}
	if _, err := u.f.Write(head); err != nil {
		return nil, fmt.Errorf("couldn't write the upload: %w", err)
	}
	h.Write(head)
	rest, err := copyHashing(u.f, h, src)
	if err != nil {
		return nil, readError(ctx, err)
	}
	u.size = int64(n) + rest
	if u.size > limit {
		return nil, tooLarge(limit)
	}
	if err := u.f.Sync(); err != nil {
		return nil, fmt.Errorf("couldn't sync the upload: %w", err)
	}
	u.sum = hex.EncodeToString(h.Sum(nil))
	return u, nil
}

// copyBufSize is the size of the buffers that uploads and scans use.
const copyBufSize = 256 << 10

var copyBufs = sync.Pool{New: func() any { return new([copyBufSize]byte) }}

// copyHashing copies src to dst and h.
func copyHashing(dst io.Writer, h hash.Hash, src io.Reader) (int64, error) {
	buf := copyBufs.Get().(*[copyBufSize]byte)
	defer copyBufs.Put(buf)
	var n int64
	for {
		m, rerr := src.Read(buf[:])
		if m > 0 {
			if _, err := dst.Write(buf[:m]); err != nil {
				return n, &writeError{err}
			}
			h.Write(buf[:m])
			n += int64(m)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

type writeError struct{ err error }

func (e *writeError) Error() string { return "couldn't write the upload: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

func readError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var we *writeError
	if errors.As(err, &we) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrIncomplete, err)
}

func tooLarge(limit int64) error {
	return fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, limit)
}

// ctxReader is a reader that fails once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Has reports whether the store holds an original with this hash.
func (s *Store) Has(hash string) bool {
	if !ValidHash(hash) {
		return false
	}
	fi, err := s.root.Lstat(originalPath(hash))
	return err == nil && fi.Mode().IsRegular()
}

// Stat returns what the store knows of an original: its size, and its media
// type and metadata read again from the file. It does not check the hash;
// Open and Scan do.
func (s *Store) Stat(hash string) (Info, error) {
	f, info, err := s.openOriginal(hash)
	if err != nil {
		return Info{}, err
	}
	f.Close()
	return info, nil
}

// openOriginal opens an original and describes it.
func (s *Store) openOriginal(hash string) (*os.File, Info, error) {
	if err := checkHash(hash); err != nil {
		return nil, Info{}, err
	}
	p := originalPath(hash)
	fi, err := s.root.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, fmt.Errorf("%w: %s", ErrNotFound, hash)
	}
	if err == nil && !fi.Mode().IsRegular() {
		return nil, Info{}, fmt.Errorf("%w: %s is not a regular file", ErrCorrupt, hash)
	}
	f, err := s.root.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, fmt.Errorf("%w: %s", ErrNotFound, hash)
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("couldn't open %s: %w", hash, err)
	}
	info, err := describeFile(f, hash)
	if err != nil {
		f.Close()
		return nil, Info{}, err
	}
	return f, info, nil
}

func describeFile(f *os.File, hash string) (Info, error) {
	fi, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("couldn't stat %s: %w", hash, err)
	}
	if !fi.Mode().IsRegular() {
		return Info{}, fmt.Errorf("%w: %s is not a regular file", ErrCorrupt, hash)
	}
	head := make([]byte, sniffLen)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return Info{}, fmt.Errorf("couldn't read %s: %w", hash, err)
	}
	info := Info{SHA256: hash, Size: fi.Size(), MediaType: Sniff(head[:n])}
	if m, err := ReadMetadata(f, info.Size, info.MediaType); err == nil {
		info.Metadata = m
	}
	return info, nil
}

// Open returns a reader of the original with this hash, and its Info. The
// reader hashes what it reads: at the end of the file it returns an error
// wrapping ErrCorrupt instead of io.EOF if the content no longer matches
// the hash. Bytes read before the end are not yet verified, so a caller that
// must not use corrupt content reads to the end before acting on it; one
// that closes the reader early gets no verdict. Open returns ErrBadHash for
// a malformed hash and ErrNotFound for an unknown one.
func (s *Store) Open(hash string) (io.ReadCloser, Info, error) {
	f, info, err := s.openOriginal(hash)
	if err != nil {
		return nil, Info{}, err
	}
	return &verifier{f: f, want: hash, h: sha256.New()}, info, nil
}

// verifier reads a file and checks its hash at the end.
type verifier struct {
	f    *os.File
	want string
	h    hash.Hash
	err  error // sticky: the verdict, once reached
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.f.Read(p)
	v.h.Write(p[:n])
	switch {
	case err == io.EOF:
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want {
			v.err = fmt.Errorf("%w: %s now hashes to %s", ErrCorrupt, v.want, got)
		} else {
			v.err = io.EOF
		}
		return n, v.err
	case err != nil:
		return n, fmt.Errorf("couldn't read %s: %w", v.want, err)
	}
	return n, nil
}

func (v *verifier) Close() error { return v.f.Close() }
