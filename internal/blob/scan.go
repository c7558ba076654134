package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
)

// ProblemKind says what is wrong with a file that Scan found.
type ProblemKind string

// The kinds of problem Scan reports. The strings are stable, for logs and
// metrics labels.
const (
	// ProblemCorrupt: an original whose content no longer hashes to its name.
	ProblemCorrupt ProblemKind = "corrupt"
	// ProblemUnreadable: an original that could not be opened or read.
	ProblemUnreadable ProblemKind = "unreadable"
	// ProblemStray: a file or folder that has no place in the store, such as
	// a name that is not a hash, an original in the wrong folder, something
	// other than a regular file, or working copies of an unknown original.
	ProblemStray ProblemKind = "stray"
	// ProblemWritable: an original whose mode lets it be written; it is
	// still intact, but someone changed its permissions.
	ProblemWritable ProblemKind = "writable"
)

// Problem is one thing wrong in the store.
type Problem struct {
	Kind   ProblemKind `json:"kind"`
	Path   string      `json:"path"`             // slash-separated, inside the store's folder
	SHA256 string      `json:"sha256,omitempty"` // the original's hash, for corrupt, unreadable and writable
	Detail string      `json:"detail"`           // a sentence for the operator
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s: %s", p.Kind, p.Path, p.Detail)
}

// Scan reads every original in the store, checks it against its hash, and
// returns what is wrong: corrupt or unreadable originals, originals whose
// mode was changed, and stray files. It calls progress, if not nil, before
// it starts and after each original, with the number checked and the total.
// It stops when ctx is done, returning the problems found so far and the
// context's error. Scan does not lock the store: uploads may go on during a
// scan (they land in tmp/, which Scan does not read), so it suits a periodic
// job as well as an operator's check.
func (s *Store) Scan(ctx context.Context, progress func(done, total int)) ([]Problem, error) {
	fsys := s.root.FS()
	var (
		problems  []Problem
		originals []string // paths of the originals to hash
	)
	stray := func(p, detail string) {
		problems = append(problems, Problem{Kind: ProblemStray, Path: p, Detail: detail})
	}

	prefixes, err := fs.ReadDir(fsys, originalsDir)
	if err != nil {
		return nil, fmt.Errorf("couldn't list the originals: %w", err)
	}
	for _, d := range prefixes {
		dir := path.Join(originalsDir, d.Name())
		if !d.IsDir() || len(d.Name()) != 2 || !ValidHash(d.Name()+zeros62) {
			stray(dir, "not a folder of originals")
			continue
		}
		files, err := fs.ReadDir(fsys, dir)
		if err != nil {
			problems = append(problems, Problem{Kind: ProblemUnreadable, Path: dir, Detail: fmt.Sprintf("couldn't list it: %v", err)})
			continue
		}
		for _, f := range files {
			p := path.Join(dir, f.Name())
			switch {
			case !ValidHash(f.Name()):
				stray(p, "its name is not a SHA-256 hash")
			case f.Name()[:2] != d.Name():
				stray(p, "an original in the wrong folder")
			case !f.Type().IsRegular():
				stray(p, "not a regular file")
			default:
				originals = append(originals, p)
			}
		}
	}

	derived, err := fs.ReadDir(fsys, derivedDir)
	if err != nil {
		return nil, fmt.Errorf("couldn't list the working copies: %w", err)
	}
	for _, d := range derived {
		p := path.Join(derivedDir, d.Name())
		switch {
		case !d.IsDir() || !ValidHash(d.Name()):
			stray(p, "not a folder of working copies")
		case !s.Has(d.Name()):
			stray(p, "working copies of an original that is not in the store")
		}
	}

	if progress != nil {
		progress(0, len(originals))
	}
	buf := copyBufs.Get().(*[copyBufSize]byte)
	defer copyBufs.Put(buf)
	for i, p := range originals {
		if err := ctx.Err(); err != nil {
			return problems, err
		}
		pr, ok := s.check(ctx, p, buf[:])
		problems = append(problems, pr...)
		if !ok {
			return problems, ctx.Err()
		}
		if progress != nil {
			progress(i+1, len(originals))
		}
	}
	return problems, nil
}

// zeros62 pads a two-digit prefix to a hash's length for ValidHash.
const zeros62 = "00000000000000000000000000000000000000000000000000000000000000"

// check hashes the original at p and returns its problems; ok is false if
// the check was cut short.
func (s *Store) check(ctx context.Context, p string, buf []byte) (problems []Problem, ok bool) {
	want := path.Base(p)
	f, err := s.root.Open(p)
	if err != nil {
		return []Problem{{Kind: ProblemUnreadable, Path: p, SHA256: want, Detail: fmt.Sprintf("couldn't open it: %v", err)}}, true
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o222 != 0 {
		problems = append(problems, Problem{Kind: ProblemWritable, Path: p, SHA256: want, Detail: fmt.Sprintf("its mode is %v, not read-only", fi.Mode().Perm())})
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(h, ctxReader{ctx, f}, buf); err != nil {
		if ctx.Err() != nil {
			return problems, false
		}
		return append(problems, Problem{Kind: ProblemUnreadable, Path: p, SHA256: want, Detail: fmt.Sprintf("couldn't read it: %v", err)}), true
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		problems = append(problems, Problem{Kind: ProblemCorrupt, Path: p, SHA256: want, Detail: "its content now hashes to " + got})
	}
	return problems, true
}
