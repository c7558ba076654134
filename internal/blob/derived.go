package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// Derived describes a working copy made from an original: a thumbnail, a
// redacted version, a transcript. Working copies are kept apart from the
// originals and may be replaced; only originals are evidence.
type Derived struct {
	Original  string    `json:"original"` // the original's SHA-256
	Name      string    `json:"name"`
	Size      int64     `json:"size"`
	MediaType string    `json:"media_type"`
	ModTime   time.Time `json:"mod_time"`

	// SHA256 is the working copy's own hash, set by PutDerived only.
	SHA256 string `json:"sha256,omitempty"`
}

func derivedPath(hash, name string) string {
	return path.Join(derivedDir, hash, name)
}

// PutDerived stores the content of r as the working copy called name of the
// original with this hash, replacing any copy of that name. Its name and
// content are checked as Put checks them; the original must be in the store
// (ErrNotFound otherwise). No partial copy is ever left behind.
func (s *Store) PutDerived(ctx context.Context, hash, name string, r io.Reader, limit int64) (Derived, error) {
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
	up, err := s.receive(ctx, r, name, limit)
	if err != nil {
		return Derived{}, err
	}
	defer up.discard()
	if err := ctx.Err(); err != nil {
		return Derived{}, err
	}
	if err := up.f.Chmod(0o444); err != nil {
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

	dir := path.Join(derivedDir, hash)
	if err := s.root.Mkdir(dir, 0o700); err == nil {
		if err := s.syncDir(derivedDir); err != nil {
			return Derived{}, err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return Derived{}, fmt.Errorf("couldn't create %s: %w", dir, err)
	}
	if err := s.root.Rename(up.path, derivedPath(hash, name)); err != nil {
		return Derived{}, fmt.Errorf("couldn't move the working copy into the store: %w", err)
	}
	up.path = ""
	if err := s.syncDir(dir); err != nil {
		return Derived{}, err
	}
	return Derived{
		Original:  hash,
		Name:      name,
		Size:      up.size,
		MediaType: up.mediaType,
		ModTime:   fi.ModTime(),
		SHA256:    up.sum,
	}, nil
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
	d, err := describeDerived(f, hash, name)
	if err != nil {
		f.Close()
		return nil, Derived{}, err
	}
	return f, d, nil
}

func describeDerived(f *os.File, hash, name string) (Derived, error) {
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
	return Derived{
		Original:  hash,
		Name:      name,
		Size:      fi.Size(),
		MediaType: Sniff(head[:n]),
		ModTime:   fi.ModTime(),
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
		d, err := describeDerived(f, hash, e.Name())
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
// this hash. The original is untouched.
func (s *Store) RemoveDerived(hash, name string) error {
	if err := checkHash(hash); err != nil {
		return err
	}
	if err := CheckName(name); err != nil {
		return err
	}
	err := s.root.Remove(derivedPath(hash, name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: no working copy %s of %s", ErrNotFound, quote(name), hash)
	}
	if err != nil {
		return fmt.Errorf("couldn't delete a working copy of %s: %w", hash, err)
	}
	return nil
}
