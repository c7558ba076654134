package blob

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color/palette"
	"image/gif"
	"io"
	"path"
	"path/filepath"
	"runtime"
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

// FuzzDecodeCost checks the memory estimate made from an image's header,
// whatever the bytes: it never panics, counts at least a byte a pixel, and
// for an image small enough to decode here at once, is no less than what
// decoding it and making its thumbnail allocate.
func FuzzDecodeCost(f *testing.F) {
	for _, s := range []jpegSpec{
		{w: 64, h: 48, progressive: true, sampling: []byte{0x11, 0x11, 0x11, 0x11}, adobe: true},
		{w: 33, h: 17, progressive: true, sampling: []byte{0x22, 0x11, 0x11, 0x22}, adobe: true},
		{w: 40, h: 40, sampling: []byte{0x22, 0x11, 0x11}, jfif: true},
		{w: 40, h: 40, progressive: true, sampling: []byte{0x42, 0x11, 0x11}},
		{w: 9, h: 70, sampling: []byte{0x11}},
	} {
		f.Add(makeJPEG(s))
	}
	f.Add(makeInterlacedPNG(13, 11))
	f.Add(pngOf(f, 20, 10, 1))
	var g bytes.Buffer
	gif.Encode(&g, image.NewPaletted(image.Rect(0, 0, 9, 7), palette.Plan9), nil)
	f.Add(g.Bytes())
	f.Add([]byte("\xff\xd8\xff\xc2\x00\x14\x08\x1b\x58\x1b\x58\x04\x01\x11\x00\x02\x11\x00\x03\x11\x00\x04\x11\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if hd, err := readJPEGHeader(bytes.NewReader(data)); err == nil {
			if n := len(hd.comps); n != 1 && n != 3 && n != 4 {
				t.Fatalf("a JPEG header of %d components", n)
			}
		}
		for _, typ := range []string{TypeJPEG, TypePNG, TypeGIF} {
			r := bytes.NewReader(data)
			cost, err := decodeCost(r, r.Size(), typ)
			if err != nil {
				if !errors.Is(err, ErrNoThumbnail) {
					t.Fatalf("%s: %v, not ErrNoThumbnail", typ, err)
				}
				continue
			}
			cfg, _ := imageDecoders[typ].config(bytes.NewReader(data))
			if cost < decodeOverhead+int64(cfg.Width)*int64(cfg.Height) {
				t.Fatalf("%s: %d×%d pixels estimated at %d bytes", typ, cfg.Width, cfg.Height, cost)
			}
			if cost > 4<<20 {
				continue
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = thumbnail(r, r.Size(), typ, cost)
			runtime.ReadMemStats(&after)
			if errors.Is(err, ErrOverBudget) {
				t.Fatalf("%s: over a budget of its own estimate: %v", typ, err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > uint64(cost) {
				t.Fatalf("%s: %d×%d decoded with %d bytes allocated, over the estimate of %d", typ, cfg.Width, cfg.Height, n, cost)
			}
		}
	})
}
