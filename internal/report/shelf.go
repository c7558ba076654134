package report

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"time"
)

// Rendering is a report rendered in one format, with what its headers
// state.
type Rendering struct {
	Bytes       []byte
	ContentType string
	LogSize     int64
	From, To    time.Time
}

// Rendering renders the report in format, as Render does.
func (p *Periodic) Rendering(format string) (Rendering, error) {
	b, ctype, err := p.Render(format)
	if err != nil {
		return Rendering{}, err
	}
	return Rendering{Bytes: b, ContentType: ctype, LogSize: p.LogSize, From: p.From, To: p.To}, nil
}

// A Shelf keeps published reports on disk: the HTML, PDF and JSON of a
// report at a log size, once a publication statement records the SHA-256
// of one of them. A server serves them from there after a restart,
// rather than replaying the log to their size again, and after an
// upgrade that renders reports otherwise it still serves the bytes that
// were published. It holds no more reports than the log holds
// publications: what it keeps is decided by the log, not by who asks.
//
// The folder holds KIND/DATE/SIZE/ for each report, with report.html,
// report.pdf, report.json and meta.json (the log size, the period and
// each file's SHA-256), and tmp/, where a report is written before it is
// renamed into place whole. Folders are mode 0700 and files 0600.
type Shelf struct {
	root *os.Root
}

// shelfMeta is a kept report's meta.json.
type shelfMeta struct {
	LogSize int64             `json:"log_size"`
	From    time.Time         `json:"from"`
	To      time.Time         `json:"to"`
	SHA256  map[string]string `json:"sha256"` // by format
}

const shelfTmp = "tmp"

// OpenShelf opens the shelf in dir, creating dir if need be, and removes
// what an earlier process left half written in its tmp/.
func OpenShelf(dir string) (*Shelf, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("couldn't create the folder of published reports: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("couldn't open the folder of published reports: %w", err)
	}
	if err := root.RemoveAll(shelfTmp); err != nil {
		root.Close()
		return nil, fmt.Errorf("couldn't clear %s: %w", path.Join(dir, shelfTmp), err)
	}
	if err := root.Mkdir(shelfTmp, 0o700); err != nil {
		root.Close()
		return nil, fmt.Errorf("couldn't create %s: %w", path.Join(dir, shelfTmp), err)
	}
	return &Shelf{root: root}, nil
}

// Close releases the shelf's folder.
func (s *Shelf) Close() error { return s.root.Close() }

// folder is where the shelf keeps the report a (of any format).
func folder(a Address) string {
	return path.Join(a.Kind, a.Date, strconv.FormatInt(a.Size, 10))
}

// valid reports whether a names a report the shelf may hold: one of the
// kinds, a date of the shape YYYY-MM-DD and a size of at least 1, so that
// its folder is inside the shelf.
func valid(a Address) bool {
	return slices.Contains(Kinds, a.Kind) && isDate(a.Date) && a.Size > 0
}

// Get returns the report a, in a.Format, if the shelf keeps it. A file
// whose bytes are not those the shelf wrote (a damaged disk) is an error,
// and the report is taken off the shelf, to be kept again when it is
// made again.
func (s *Shelf) Get(a Address) (Rendering, bool, error) {
	ctype, ok := contentTypes[a.Format]
	if !ok || !valid(a) {
		return Rendering{}, false, nil
	}
	dir := folder(a)
	mb, err := s.root.ReadFile(path.Join(dir, "meta.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return Rendering{}, false, nil
	}
	if err != nil {
		return Rendering{}, false, fmt.Errorf("couldn't read the published report %s: %w", a, err)
	}
	var m shelfMeta
	if err := json.Unmarshal(mb, &m); err != nil || m.LogSize != a.Size {
		return Rendering{}, false, s.drop(a, "its meta.json is not the shelf's")
	}
	b, err := s.root.ReadFile(path.Join(dir, "report."+a.Format))
	if err != nil {
		return Rendering{}, false, s.drop(a, err.Error())
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != m.SHA256[a.Format] {
		return Rendering{}, false, s.drop(a, "report."+a.Format+" is not the file the shelf wrote")
	}
	return Rendering{Bytes: b, ContentType: ctype, LogSize: m.LogSize, From: m.From, To: m.To}, true, nil
}

// drop takes the report a off the shelf, and returns an error that says
// why.
func (s *Shelf) drop(a Address, why string) error {
	err := fmt.Errorf("the published report %s on disk is damaged (%s): taken off the shelf", a, why)
	if rerr := s.root.RemoveAll(folder(a)); rerr != nil {
		err = fmt.Errorf("%w; couldn't remove it: %v", err, rerr)
	}
	return err
}

// Has reports whether the shelf keeps the report a (of any format).
func (s *Shelf) Has(a Address) bool {
	if !valid(a) {
		return false
	}
	_, err := s.root.Stat(path.Join(folder(a), "meta.json"))
	return err == nil
}

// Put keeps p, rendered in each format, written in tmp/, synced and
// renamed into place whole. A report the shelf keeps already is left as
// it is.
func (s *Shelf) Put(p *Periodic) error {
	a := Address{Kind: p.Kind, Date: p.Date, Size: p.LogSize}
	if !valid(a) {
		return fmt.Errorf("couldn't keep the report %s: it is not one a server serves", a)
	}
	if s.Has(a) {
		return nil
	}
	var name [8]byte
	rand.Read(name[:])
	tmp := path.Join(shelfTmp, hex.EncodeToString(name[:]))
	if err := s.root.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("couldn't keep the report %s: %w", a, err)
	}
	defer s.root.RemoveAll(tmp) // nothing once renamed
	m := shelfMeta{LogSize: p.LogSize, From: p.From, To: p.To, SHA256: map[string]string{}}
	for _, f := range formats {
		b, _, err := p.Render(f)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m.SHA256[f] = hex.EncodeToString(sum[:])
		if err := s.write(path.Join(tmp, "report."+f), b); err != nil {
			return fmt.Errorf("couldn't keep the report %s: %w", a, err)
		}
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := s.write(path.Join(tmp, "meta.json"), mb); err != nil {
		return fmt.Errorf("couldn't keep the report %s: %w", a, err)
	}
	if err := s.sync(tmp); err != nil {
		return err
	}
	parent := path.Dir(folder(a))
	if err := s.root.MkdirAll(parent, 0o700); err != nil {
		return fmt.Errorf("couldn't keep the report %s: %w", a, err)
	}
	if err := s.root.Rename(tmp, folder(a)); err != nil {
		if s.Has(a) { // kept meanwhile by another request
			return nil
		}
		return fmt.Errorf("couldn't keep the report %s: %w", a, err)
	}
	// The folders made above are synced up to the shelf's own.
	for d := parent; ; d = path.Dir(d) {
		if err := s.sync(d); err != nil {
			return err
		}
		if d == "." {
			return nil
		}
	}
}

// write writes a new file name holding b, synced, mode 0600.
func (s *Shelf) write(name string, b []byte) error {
	f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// sync syncs the folder dir.
func (s *Shelf) sync(dir string) error {
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
