package blob

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzName(f *testing.F) {
	for _, s := range []string{
		"photo.jpg", "../x.jpg", "a/b.jpg", "..", ".hidden", "x\x00.jpg", "عکس.jpg",
		"photo\u202Egpj.exe", `a\b`, "x..y", strings.Repeat("a", 256), "\xff", "CON", "a:b.jpg",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := CheckName(name)
		if err != nil {
			if !errors.Is(err, ErrBadName) {
				t.Fatalf("CheckName(%q) = %v, not ErrBadName", name, err)
			}
			return
		}
		// An accepted name is one plain, local path element.
		switch {
		case name == "" || len(name) > MaxNameLen || !utf8.ValidString(name):
			t.Fatalf("CheckName accepted %q", name)
		case path.Base(name) != name || filepath.Base(name) != name || path.Clean(name) != name:
			t.Fatalf("CheckName accepted %q, which is not one path element", name)
		case !filepath.IsLocal(name) || strings.ContainsAny(name, "/\\\x00") || strings.Contains(name, ".."):
			t.Fatalf("CheckName accepted %q, which could leave its folder", name)
		case name[0] == '.':
			t.Fatalf("CheckName accepted the hidden name %q", name)
		}
		for _, c := range name {
			if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || isBidiOverride(c) {
				t.Fatalf("CheckName accepted %q, which holds %U", name, c)
			}
		}
	})
}

// countingReader counts the calls and bytes of ReadAt.
type countingReader struct {
	r            io.ReaderAt
	calls, bytes int
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.calls++
	c.bytes += len(p)
	return c.r.ReadAt(p, off)
}

// FuzzEXIF checks that reading metadata never panics, stays within its
// bounds on reads, and never returns an impossible position, whatever the
// bytes.
func FuzzEXIF(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	full := fullSpec(le).tiffBytes()
	f.Add(jpegWithEXIF(f, full))
	f.Add(jpegWithEXIF(f, fullSpec(be).tiffBytes())[:600])
	f.Add(pngWithEXIF(f, full)[:400])
	f.Add(webpWithEXIF(full, true))
	f.Add(heicWithEXIF(full, 1))
	f.Add(heicWithEXIF(fullSpec(be).tiffBytes(), 2))
	f.Add(full)
	f.Add([]byte("II*\x00\x08\x00\x00\x00\xff\xff"))
	f.Add(mp4File[:64])
	f.Fuzz(func(t *testing.T, data []byte) {
		Sniff(data)
		for _, typ := range []string{TypeJPEG, TypeTIFF, TypePNG, TypeWebP, TypeHEIC} {
			r := &countingReader{r: bytes.NewReader(data)}
			m, err := ReadMetadata(r, int64(len(data)), typ)
			// Each container walk reads at most a few headers per segment;
			// the TIFF walk three directories and a few values.
			if r.calls > 4*maxSegments+64 || r.bytes > maxMetaBox+3*12*maxIFDEntries+16*maxSegments+4096 {
				t.Fatalf("%s: %d reads of %d bytes in all, over the bounds", typ, r.calls, r.bytes)
			}
			if err != nil {
				if m != nil {
					t.Fatalf("%s: metadata %+v with error %v", typ, m, err)
				}
				continue
			}
			if p := m.Position; p != nil && (p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180 || p.Lat != p.Lat || p.Lon != p.Lon) {
				t.Fatalf("%s: impossible position %+v", typ, *p)
			}
		}
	})
}
