package blob

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// jpegSpec describes a JPEG for makeJPEG to write.
type jpegSpec struct {
	w, h        int
	progressive bool
	sampling    []byte // each component's HiVi: 1, 3 or 4 of them
	jfif, adobe bool   // write an APP0 JFIF, an APP14 Adobe (transform 0) segment
}

// makeJPEG writes a JPEG that image/jpeg decodes, as small as such a JPEG
// can be: every block of every component holds only a DC coefficient of 0,
// coded in one bit. image/jpeg cannot write a progressive or a
// 4-component JPEG, which take the most memory to decode.
func makeJPEG(s jpegSpec) []byte {
	var b bytes.Buffer
	segment := func(marker byte, body ...byte) {
		b.Write([]byte{0xff, marker, byte((len(body) + 2) >> 8), byte(len(body) + 2)})
		b.Write(body)
	}
	b.Write([]byte{0xff, 0xd8})
	if s.jfif {
		segment(0xe0, 'J', 'F', 'I', 'F', 0, 1, 2, 0, 0, 1, 0, 1, 0, 0)
	}
	if s.adobe {
		segment(0xee, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0)
	}
	segment(0xdb, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...)
	sof := []byte{8, byte(s.h >> 8), byte(s.h), byte(s.w >> 8), byte(s.w), byte(len(s.sampling))}
	for i, hv := range s.sampling {
		sof = append(sof, byte(i+1), hv, 0)
	}
	marker := byte(0xc0)
	if s.progressive {
		marker = 0xc2
	}
	segment(marker, sof...)
	// One code, "0": DC difference 0; for a baseline JPEG, end of block.
	table := append([]byte{1}, make([]byte, 15)...)
	segment(0xc4, append(append([]byte{0x00}, table...), 0)...)
	if !s.progressive {
		segment(0xc4, append(append([]byte{0x10}, table...), 0)...)
	}
	sos := []byte{byte(len(s.sampling))}
	for i := range s.sampling {
		sos = append(sos, byte(i+1), 0)
	}
	if s.progressive {
		sos = append(sos, 0, 0, 0) // the DC coefficients only
	} else {
		sos = append(sos, 0, 63, 0)
	}
	segment(0xda, sos...)
	// The data units: for one component, its blocks; for several, each
	// MCU holds h×v blocks of each.
	h0, v0 := int(s.sampling[0]>>4), int(s.sampling[0]&15)
	if len(s.sampling) == 1 {
		h0, v0 = 1, 1
	}
	units := 0
	mxx, myy := (s.w+8*h0-1)/(8*h0), (s.h+8*v0-1)/(8*v0)
	if len(s.sampling) == 1 {
		units = mxx * myy
	} else {
		for _, hv := range s.sampling {
			units += mxx * myy * int(hv>>4) * int(hv&15)
		}
	}
	bits := units
	if !s.progressive {
		bits *= 2
	}
	b.Write(make([]byte, (bits+7)/8))
	b.Write([]byte{0xff, 0xd9})
	return b.Bytes()
}

// makeInterlacedPNG writes a w×h 8-bit RGB PNG with Adam7 interlacing,
// which image/png cannot write.
func makeInterlacedPNG(w, h int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	chunk("IHDR", append(ihdr, 8, 2, 0, 0, 1))
	var raw bytes.Buffer
	z := zlib.NewWriter(&raw)
	for _, p := range [][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}} {
		pw, ph := (w-p[0]+p[2]-1)/p[2], (h-p[1]+p[3]-1)/p[3]
		if pw <= 0 || ph <= 0 {
			continue
		}
		for range ph {
			z.Write(make([]byte, 1+3*pw))
		}
	}
	z.Close()
	chunk("IDAT", raw.Bytes())
	chunk("IEND", nil)
	return b.Bytes()
}

// budgetImages are images of every kind Thumbnail reads, each with the
// media type it has.
func budgetImages(t testing.TB) map[string]struct {
	data      []byte
	mediaType string
} {
	enc := func(f func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	rect := image.Rect(0, 0, 600, 450)
	gray, rgba, nrgba64 := image.NewGray(rect), image.NewRGBA(rect), image.NewNRGBA64(rect)
	for i := range gray.Pix {
		gray.Pix[i] = byte(i * 7)
	}
	for i := range rgba.Pix {
		rgba.Pix[i] = byte(i * 13)
	}
	for i := range nrgba64.Pix {
		nrgba64.Pix[i] = byte(i * 29)
	}
	paletted := image.NewPaletted(rect, palette.Plan9)
	return map[string]struct {
		data      []byte
		mediaType string
	}{
		"progressive CMYK":                  {makeJPEG(jpegSpec{w: 640, h: 480, progressive: true, sampling: []byte{0x11, 0x11, 0x11, 0x11}, adobe: true}), TypeJPEG},
		"progressive YCCK 2x2":              {makeJPEG(jpegSpec{w: 641, h: 479, progressive: true, sampling: []byte{0x22, 0x11, 0x11, 0x22}, adobe: true}), TypeJPEG},
		"progressive YCbCr 4:4:4":           {makeJPEG(jpegSpec{w: 640, h: 480, progressive: true, sampling: []byte{0x11, 0x11, 0x11}, jfif: true}), TypeJPEG},
		"progressive YCbCr 4:2:0":           {makeJPEG(jpegSpec{w: 643, h: 481, progressive: true, sampling: []byte{0x22, 0x11, 0x11}, jfif: true}), TypeJPEG},
		"progressive RGB":                   {makeJPEG(jpegSpec{w: 640, h: 480, progressive: true, sampling: []byte{0x11, 0x11, 0x11}, adobe: true}), TypeJPEG},
		"progressive grey":                  {makeJPEG(jpegSpec{w: 640, h: 480, progressive: true, sampling: []byte{0x22}}), TypeJPEG},
		"baseline CMYK":                     {makeJPEG(jpegSpec{w: 640, h: 480, sampling: []byte{0x11, 0x11, 0x11, 0x11}, adobe: true}), TypeJPEG},
		"baseline YCbCr 4:1:0":              {makeJPEG(jpegSpec{w: 640, h: 480, sampling: []byte{0x42, 0x11, 0x11}}), TypeJPEG},
		"baseline YCbCr 4:2:0 (image/jpeg)": {enc(func(b *bytes.Buffer) error { return jpeg.Encode(b, rgba, nil) }), TypeJPEG},
		"baseline grey (image/jpeg)":        {enc(func(b *bytes.Buffer) error { return jpeg.Encode(b, gray, nil) }), TypeJPEG},
		"PNG grey":                          {enc(func(b *bytes.Buffer) error { return png.Encode(b, gray) }), TypePNG},
		"PNG RGBA":                          {enc(func(b *bytes.Buffer) error { return png.Encode(b, rgba) }), TypePNG},
		"PNG NRGBA64":                       {enc(func(b *bytes.Buffer) error { return png.Encode(b, nrgba64) }), TypePNG},
		"PNG paletted":                      {enc(func(b *bytes.Buffer) error { return png.Encode(b, paletted) }), TypePNG},
		"PNG interlaced":                    {makeInterlacedPNG(640, 480), TypePNG},
		"GIF":                               {enc(func(b *bytes.Buffer) error { return gif.Encode(b, paletted, nil) }), TypeGIF},
	}
}

// allocated returns the bytes f allocates, garbage included.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDecodeCost decodes images of every kind, layout and colour model the
// decoders handle differently, and checks that what decoding each and
// making its thumbnail allocates, garbage included, is no more than what
// decodeCost estimated from its header.
func TestDecodeCost(t *testing.T) {
	for name, img := range budgetImages(t) {
		r := bytes.NewReader(img.data)
		cost, err := decodeCost(r, r.Size(), img.mediaType)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var thumb []byte
		n := allocated(func() { thumb, err = thumbnail(r, r.Size(), img.mediaType, cost) })
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := jpeg.Decode(bytes.NewReader(thumb)); err != nil {
			t.Errorf("%s: the thumbnail does not decode: %v", name, err)
		}
		t.Logf("%-36s estimated %6.1f MiB, allocated %6.1f MiB", name, float64(cost)/(1<<20), float64(n)/(1<<20))
		if n > uint64(cost) {
			t.Errorf("%s: decoding allocated %d bytes, over the estimate of %d", name, n, cost)
		}
		if _, err := thumbnail(r, r.Size(), img.mediaType, cost-1); !errors.Is(err, ErrOverBudget) || !errors.Is(err, ErrNoThumbnail) {
			t.Errorf("%s: with a budget of a byte less than the estimate: %v, want ErrOverBudget", name, err)
		}
	}
}

// TestMakeJPEG checks that makeJPEG writes what it says: JPEGs that
// image/jpeg decodes, to the colour model and size asked for.
func TestMakeJPEG(t *testing.T) {
	for _, tc := range []struct {
		spec jpegSpec
		want string
	}{
		{jpegSpec{w: 64, h: 48, progressive: true, sampling: []byte{0x11, 0x11, 0x11, 0x11}, adobe: true}, "*image.CMYK"},
		{jpegSpec{w: 64, h: 48, sampling: []byte{0x11, 0x11, 0x11, 0x11}, adobe: true}, "*image.CMYK"},
		{jpegSpec{w: 65, h: 47, progressive: true, sampling: []byte{0x22, 0x11, 0x11}, jfif: true}, "*image.YCbCr"},
		{jpegSpec{w: 64, h: 48, progressive: true, sampling: []byte{0x11}}, "*image.Gray"},
	} {
		img, err := jpeg.Decode(bytes.NewReader(makeJPEG(tc.spec)))
		if err != nil {
			t.Fatalf("%+v: %v", tc.spec, err)
		}
		if got := fmt.Sprintf("%T", img); got != tc.want || img.Bounds().Dx() != tc.spec.w || img.Bounds().Dy() != tc.spec.h {
			t.Errorf("%+v decodes to a %s of %v, want a %s", tc.spec, got, img.Bounds(), tc.want)
		}
	}
	if _, err := png.Decode(bytes.NewReader(makeInterlacedPNG(13, 11))); err != nil {
		t.Errorf("the interlaced PNG: %v", err)
	}
}

// TestBudgetRefusesHugeCMYK uploads a 7000×7000 progressive CMYK JPEG, a
// file of under 400 KB that image/jpeg would take over a GiB to decode,
// and checks that no thumbnail is made, that the store remembers it, and
// that the process's heap grows by far less than the budget meanwhile.
func TestBudgetRefusesHugeCMYK(t *testing.T) {
	s, dir := openStore(t)
	huge := makeJPEG(jpegSpec{w: 7000, h: 7000, progressive: true, sampling: []byte{0x11, 0x11, 0x11, 0x11}, adobe: true})
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(huge))
	if err != nil || cfg.Width != 7000 || cfg.Height != 7000 || cfg.ColorModel != color.CMYKModel {
		t.Fatalf("the image: %+v, %v", cfg, err)
	}
	cost, err := decodeCost(bytes.NewReader(huge), int64(len(huge)), TypeJPEG)
	if err != nil || cost < 7000*7000*24 {
		t.Fatalf("decodeCost = %d, %v; want at least 24 bytes a pixel", cost, err)
	}
	info, err := s.Put(t.Context(), bytes.NewReader(huge), "huge.jpg", 1<<20)
	if err != nil {
		t.Fatal(err)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err = s.MakeThumbnail(context.Background(), info.SHA256)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrOverBudget) || !errors.Is(err, ErrNoThumbnail) {
		t.Fatalf("MakeThumbnail = %v, want ErrOverBudget", err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	heapGrowth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("refused (%v); estimated %d MiB; allocated %d KiB in all, heap grew by %d KiB", err, cost>>20, allocated>>10, heapGrowth>>10)
	if allocated > ImageBudget || heapGrowth > ImageBudget {
		t.Errorf("refusing the image allocated %d bytes and grew the heap by %d, over the budget of %d", allocated, heapGrowth, ImageBudget)
	}
	if _, _, err := s.OpenDerived(info.SHA256, ThumbnailName); !errors.Is(err, ErrNotFound) {
		t.Errorf("a thumbnail was made: %v", err)
	}
	// The refusal is remembered beside the working copies, and not listed
	// among them.
	reason, err := os.ReadFile(filepath.Join(dir, "derived", info.SHA256, thumbnailFailed))
	if err != nil || !strings.Contains(string(reason), "budget") {
		t.Errorf("the failure marker: %q, %v", reason, err)
	}
	if list, err := s.ListDerived(info.SHA256); err != nil || len(list) != 0 {
		t.Errorf("ListDerived = %+v, %v", list, err)
	}
	if err := s.MakeThumbnail(context.Background(), info.SHA256); !errors.Is(err, ErrNoThumbnail) || !strings.Contains(err.Error(), "failed before") {
		t.Errorf("MakeThumbnail again = %v, want it to remember the failure", err)
	}
	if probs, err := s.Scan(t.Context(), nil); err != nil || len(probs) != 0 {
		t.Errorf("Scan = %+v, %v", probs, err)
	}
}

// TestThumbnailFailureRemembered: an image whose header is fine but whose
// data is not fails once, and is not decoded again: its second attempt
// allocates nothing like a decode.
func TestThumbnailFailureRemembered(t *testing.T) {
	s, _ := openStore(t)
	img := makeJPEG(jpegSpec{w: 2000, h: 2000, progressive: true, sampling: []byte{0x11, 0x11, 0x11, 0x11}, adobe: true})
	broken := img[:len(img)-2] // no end of image: the decoder fails at the end
	info, err := s.Put(t.Context(), bytes.NewReader(broken), "broken.jpg", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var first, second error
	n1 := allocated(func() { first = s.MakeThumbnail(t.Context(), info.SHA256) })
	n2 := allocated(func() { second = s.MakeThumbnail(t.Context(), info.SHA256) })
	if !errors.Is(first, ErrNoThumbnail) || errors.Is(first, ErrOverBudget) {
		t.Fatalf("first MakeThumbnail = %v, want a decoding failure", first)
	}
	if !errors.Is(second, ErrNoThumbnail) || !strings.Contains(second.Error(), "failed before") {
		t.Errorf("second MakeThumbnail = %v", second)
	}
	t.Logf("first attempt allocated %d KiB, second %d KiB", n1>>10, n2>>10)
	if n1 < 2000*2000*16 || n2 > 1<<20 {
		t.Errorf("the first attempt allocated %d bytes, the second %d: want a decode, then none", n1, n2)
	}
	if _, err := fs.Stat(s.root.FS(), derivedPath(info.SHA256, thumbnailFailed)); err != nil {
		t.Errorf("no failure marker: %v", err)
	}
}
