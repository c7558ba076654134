package blob

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Errors of working copies, wrapped with detail.
var (
	// ErrReservedName: a name the store keeps for the copies it makes
	// itself, such as ThumbnailName, in any case.
	ErrReservedName = errors.New("the name is reserved for the server's own working copies")
	// ErrNotOwner: a working copy of that name was stored by a member of
	// another body, and only that body's members may replace it.
	ErrNotOwner = errors.New("a working copy of that name belongs to another body")
)

// reservedNames are the names of the working copies the store makes.
var reservedNames = []string{ThumbnailName}

// Derived describes a working copy made from an original: a thumbnail, a
// redacted version, a transcript. Working copies are kept apart from the
// originals and may be replaced; only originals are evidence.
type Derived struct {
	Original  string    `json:"original"` // the original's SHA-256
	Name      string    `json:"name"`
	Size      int64     `json:"size"`
	MediaType string    `json:"media_type"`
	ModTime   time.Time `json:"mod_time"`

	// Uploader is the member who stored the copy, nil for the copies the
	// store makes itself (the thumbnail).
	Uploader *Uploader `json:"uploader,omitempty"`

	// SHA256 is the working copy's own hash, set by PutDerived only.
	SHA256 string `json:"sha256,omitempty"`
}

// Uploader is the member who stored a working copy, and the body the member
// belongs to. A copy belongs to the body: its members may replace it, no one
// else may.
type Uploader struct {
	Member string `json:"member"`
	Body   string `json:"body"`
}

func derivedPath(hash, name string) string {
	return path.Join(derivedDir, hash, name)
}

// uploaderPath is where the uploader of the copy called name is recorded:
// a hash of the name keeps the file's name short and out of any name a
// copy may have.
func uploaderPath(hash, name string) string {
	sum := sha256.Sum256([]byte(name))
	return derivedPath(hash, ".by-"+hex.EncodeToString(sum[:]))
}

// sameName reports whether two copies' names would be taken for one
// another: equal but for case, or for invisible formatting characters such
// as joiners and direction marks. A case-insensitive file system would even
// store them as one file.
func sameName(a, b string) bool {
	visible := func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}
	return strings.EqualFold(strings.Map(visible, a), strings.Map(visible, b))
}

// CheckCopyName reports whether name is acceptable as the name of a working
// copy that a member stores: a name CheckName accepts, with an extension
// the store takes, and none of the store's own names (ErrReservedName), in
// any case.
func CheckCopyName(name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	for _, r := range reservedNames {
		if sameName(name, r) {
			return fmt.Errorf("%w: %s is the server's own %s; choose another name", ErrReservedName, quote(name), r)
		}
	}
	_, err := expectedTypes(name)
	return err
}

// PutDerived stores the content of r as the working copy called name of the
// original with this hash, stored by the member by, replacing any copy of
// that name that by's body stored. Its name (CheckCopyName) and content are
// checked as Put checks them; the original must be in the store
// (ErrNotFound otherwise); a copy of that name, in any case, stored by
// another body, or whose uploader is not recorded, is not replaced
// (ErrNotOwner). No partial copy is ever left behind.
func (s *Store) PutDerived(ctx context.Context, hash, name string, by Uploader, r io.Reader, limit int64) (Derived, error) {
	if by.Member == "" || by.Body == "" {
		return Derived{}, fmt.Errorf("blob: PutDerived called without an uploader")
	}
	if err := CheckCopyName(name); err != nil {
		return Derived{}, err
	}
	return s.putDerived(ctx, hash, name, &by, r, limit)
}

// CheckCopyOwner returns nil if the member by may store a working copy
// called name of the original hash, and an error wrapping ErrNotOwner if a
// copy of that name belongs to another body. PutDerived checks it again.
func (s *Store) CheckCopyOwner(hash, name string, by Uploader) error {
	if err := checkHash(hash); err != nil {
		return err
	}
	return s.checkOwner(hash, name, &by)
}

// checkOwner returns an error wrapping ErrNotOwner if a copy whose name is
// taken for name is stored, and by's body did not store it. The store
// itself (by nil) makes only copies of reserved names, which are its own.
func (s *Store) checkOwner(hash, name string, by *Uploader) error {
	if by == nil {
		return nil
	}
	entries, err := fs.ReadDir(s.root.FS(), path.Join(derivedDir, hash))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("couldn't list the working copies of %s: %w", hash, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || CheckName(e.Name()) != nil || !sameName(e.Name(), name) {
			continue
		}
		owner, err := s.readUploader(hash, e.Name())
		if err != nil {
			return err
		}
		switch {
		case owner == nil:
			return fmt.Errorf("%w: the working copy %s was stored by the server, or before uploaders were recorded; choose another name", ErrNotOwner, quote(e.Name()))
		case owner.Body != by.Body:
			return fmt.Errorf("%w: the working copy %s was stored by %s of %s, and only members of %s may replace it; choose another name",
				ErrNotOwner, quote(e.Name()), quote(owner.Member), quote(owner.Body), quote(owner.Body))
		}
	}
	return nil
}

// readUploader returns who stored the copy called name, nil if that is not
// recorded.
func (s *Store) readUploader(hash, name string) (*Uploader, error) {
	b, err := fs.ReadFile(s.root.FS(), uploaderPath(hash, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't read who stored a working copy of %s: %w", hash, err)
	}
	var rec struct {
		Name string `json:"name"`
		Uploader
	}
	if err := json.Unmarshal(b, &rec); err != nil || rec.Name != name {
		return nil, fmt.Errorf("the record of who stored the working copy %s of %s is damaged", quote(name), hash)
	}
	return &rec.Uploader, nil
}

// putDerived stores a working copy; by is nil for the store's own.
func (s *Store) putDerived(ctx context.Context, hash, name string, by *Uploader, r io.Reader, limit int64) (Derived, error) {
	if limit <= 0 {
		return Derived{}, fmt.Errorf("blob: PutDerived called with a limit of %d bytes", limit)
	}
	if err := checkHash(hash); err != nil {
		return Derived{}, err
	}
	if err := CheckName(name); err != nil {
		return Derived{}, err
	}
	if _, err := expectedTypes(name); err != nil {
		return Derived{}, err
	}
	if !s.Has(hash) {
		return Derived{}, fmt.Errorf("%w: %s", ErrNotFound, hash)
	}
	// Refuse before reading the content, and again before replacing.
	if err := s.checkOwner(hash, name, by); err != nil {
		return Derived{}, err
	}
	up, err := s.receive(ctx, r, name, limit)
	if err != nil {
		return Derived{}, err
	}
	defer up.discard()
	if err := ctx.Err(); err != nil {
		return Derived{}, err
	}
	if err := up.f.Chmod(0o400); err != nil {
		return Derived{}, fmt.Errorf("couldn't make the working copy read-only: %w", err)
	}
	fi, err := up.f.Stat()
	if err != nil {
		return Derived{}, fmt.Errorf("couldn't stat the working copy: %w", err)
	}
	if err := up.f.Close(); err != nil {
		return Derived{}, fmt.Errorf("couldn't close the working copy: %w", err)
	}
	up.f = nil

	s.copies.Lock()
	defer s.copies.Unlock()
	if err := s.checkOwner(hash, name, by); err != nil {
		return Derived{}, err
	}
	// Who stored it is written first: until the copy is in place, a record
	// without a copy grants nothing, and a copy replaced by its own body
	// keeps its body's record.
	if by != nil {
		rec, _ := json.Marshal(struct {
			Name string `json:"name"`
			Uploader
		}{name, *by})
		if err := s.writeDerivedFile(hash, path.Base(uploaderPath(hash, name)), rec); err != nil {
			return Derived{}, err
		}
	}
	if err := s.mkdirDerived(hash); err != nil {
		return Derived{}, err
	}
	if err := s.root.Rename(up.path, derivedPath(hash, name)); err != nil {
		return Derived{}, fmt.Errorf("couldn't move the working copy into the store: %w", err)
	}
	up.path = ""
	if err := s.syncDir(path.Join(derivedDir, hash)); err != nil {
		return Derived{}, err
	}
	return Derived{
		Original:  hash,
		Name:      name,
		Size:      up.size,
		MediaType: up.mediaType,
		ModTime:   fi.ModTime(),
		Uploader:  by,
		SHA256:    up.sum,
	}, nil
}

// mkdirDerived creates the folder of hash's working copies if need be.
func (s *Store) mkdirDerived(hash string) error {
	dir := path.Join(derivedDir, hash)
	if err := s.root.Mkdir(dir, 0o700); err == nil {
		return s.syncDir(derivedDir)
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("couldn't create %s: %w", dir, err)
	}
	return nil
}

// writeDerivedFile writes one of the store's own files among hash's working
// copies, whole or not at all.
func (s *Store) writeDerivedFile(hash, name string, content []byte) error {
	if err := s.mkdirDerived(hash); err != nil {
		return err
	}
	tmp := path.Join(tmpDir, rand.Text()+".part")
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("couldn't create a file in tmp: %w", err)
	}
	_, err = f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.root.Rename(tmp, derivedPath(hash, name))
	}
	if err != nil {
		s.root.Remove(tmp)
		return fmt.Errorf("couldn't write %s of %s: %w", name, hash, err)
	}
	return s.syncDir(path.Join(derivedDir, hash))
}

// OpenDerived opens the working copy called name of the original with this
// hash. The reader can seek, for serving ranges; nothing checks its content.
func (s *Store) OpenDerived(hash, name string) (io.ReadSeekCloser, Derived, error) {
	if err := checkHash(hash); err != nil {
		return nil, Derived{}, err
	}
	if err := CheckName(name); err != nil {
		return nil, Derived{}, err
	}
	f, err := s.root.Open(derivedPath(hash, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Derived{}, fmt.Errorf("%w: no working copy %s of %s", ErrNotFound, quote(name), hash)
	}
	if err != nil {
		return nil, Derived{}, fmt.Errorf("couldn't open a working copy of %s: %w", hash, err)
	}
	d, err := s.describeDerived(f, hash, name)
	if err != nil {
		f.Close()
		return nil, Derived{}, err
	}
	return f, d, nil
}

func (s *Store) describeDerived(f *os.File, hash, name string) (Derived, error) {
	fi, err := f.Stat()
	if err != nil {
		return Derived{}, fmt.Errorf("couldn't stat a working copy of %s: %w", hash, err)
	}
	if !fi.Mode().IsRegular() {
		return Derived{}, fmt.Errorf("%w: no working copy %s of %s", ErrNotFound, quote(name), hash)
	}
	head := make([]byte, sniffLen)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return Derived{}, fmt.Errorf("couldn't read a working copy of %s: %w", hash, err)
	}
	by, err := s.readUploader(hash, name)
	if err != nil {
		return Derived{}, err
	}
	return Derived{
		Original:  hash,
		Name:      name,
		Size:      fi.Size(),
		MediaType: Sniff(head[:n]),
		ModTime:   fi.ModTime(),
		Uploader:  by,
	}, nil
}

// ListDerived returns the working copies of the original with this hash,
// sorted by name.
func (s *Store) ListDerived(hash string) ([]Derived, error) {
	if err := checkHash(hash); err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(s.root.FS(), path.Join(derivedDir, hash))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't list the working copies of %s: %w", hash, err)
	}
	var list []Derived
	for _, e := range entries {
		if !e.Type().IsRegular() || CheckName(e.Name()) != nil {
			continue
		}
		f, err := s.root.Open(derivedPath(hash, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("couldn't open a working copy of %s: %w", hash, err)
		}
		d, err := s.describeDerived(f, hash, e.Name())
		f.Close()
		if err != nil {
			return nil, err
		}
		list = append(list, d)
	}
	slices.SortFunc(list, func(a, b Derived) int { return strings.Compare(a.Name, b.Name) })
	return list, nil
}

// RemoveDerived deletes the working copy called name of the original with
// this hash, and the record of who stored it. The original is untouched.
func (s *Store) RemoveDerived(hash, name string) error {
	if err := checkHash(hash); err != nil {
		return err
	}
	if err := CheckName(name); err != nil {
		return err
	}
	s.copies.Lock()
	defer s.copies.Unlock()
	err := s.root.Remove(derivedPath(hash, name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: no working copy %s of %s", ErrNotFound, quote(name), hash)
	}
	if err != nil {
		return fmt.Errorf("couldn't delete a working copy of %s: %w", hash, err)
	}
	if err := s.root.Remove(uploaderPath(hash, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("couldn't delete who stored a working copy of %s: %w", hash, err)
	}
	return nil
}
