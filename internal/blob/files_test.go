package blob

// Builders of real files for the tests: images encoded by the standard
// library with EXIF blocks spliced in, and the headers of the container
// formats the store sniffs.

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// entry is a TIFF directory entry to build, its value already encoded.
type entry struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

func asciiEntry(tag uint16, s string) entry {
	return entry{tag, typeASCII, uint32(len(s) + 1), append([]byte(s), 0)}
}

func rationalEntry(bo byteOrder, tag uint16, v ...[2]uint32) entry {
	var b []byte
	for _, r := range v {
		b = bo.AppendUint32(b, r[0])
		b = bo.AppendUint32(b, r[1])
	}
	return entry{tag, typeRational, uint32(len(v)), b}
}

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// exifSpec is what a test EXIF block holds; empty fields are left out.
type exifSpec struct {
	bo                 byteOrder
	dateTimeOriginal   string
	offsetTimeOriginal string
	latRef, lonRef     string
	lat, lon           [][2]uint32 // degrees, minutes, seconds as rationals
	gpsStatus          string
	gpsDate            string
	gpsTime            [][2]uint32
	extraIFD0          []entry
}

// dms returns degrees, minutes and hundredths of seconds as rationals.
func dms(d, m uint32, cs uint32) [][2]uint32 {
	return [][2]uint32{{d, 1}, {m, 1}, {cs, 100}}
}

// tiffBytes builds a TIFF structure: IFD0 with pointers to an EXIF and a GPS
// directory, then the values that do not fit in their entries.
func (s exifSpec) tiffBytes() []byte {
	bo := s.bo
	if bo == nil {
		bo = binary.LittleEndian
	}
	var exif, gps []entry
	if s.dateTimeOriginal != "" {
		exif = append(exif, asciiEntry(tagDateTimeOriginal, s.dateTimeOriginal))
	}
	if s.offsetTimeOriginal != "" {
		exif = append(exif, asciiEntry(tagOffsetTimeOriginal, s.offsetTimeOriginal))
	}
	if s.latRef != "" {
		gps = append(gps, asciiEntry(tagGPSLatitudeRef, s.latRef))
	}
	if s.lat != nil {
		gps = append(gps, rationalEntry(bo, tagGPSLatitude, s.lat...))
	}
	if s.lonRef != "" {
		gps = append(gps, asciiEntry(tagGPSLongitudeRef, s.lonRef))
	}
	if s.lon != nil {
		gps = append(gps, rationalEntry(bo, tagGPSLongitude, s.lon...))
	}
	if s.gpsTime != nil {
		gps = append(gps, rationalEntry(bo, tagGPSTimeStamp, s.gpsTime...))
	}
	if s.gpsStatus != "" {
		gps = append(gps, asciiEntry(tagGPSStatus, s.gpsStatus))
	}
	if s.gpsDate != "" {
		gps = append(gps, asciiEntry(tagGPSDateStamp, s.gpsDate))
	}
	ifd0 := append([]entry(nil), s.extraIFD0...)
	size := func(n int) uint32 { return uint32(2 + 12*n + 4) }
	n0 := len(ifd0)
	if exif != nil {
		n0++
	}
	if gps != nil {
		n0++
	}
	exifOff := 8 + size(n0)
	gpsOff := exifOff
	if exif != nil {
		gpsOff += size(len(exif))
	}
	dataOff := gpsOff
	if gps != nil {
		dataOff += size(len(gps))
	}
	if exif != nil {
		ifd0 = append(ifd0, entry{tagExifIFD, typeLong, 1, bo.AppendUint32(nil, exifOff)})
	}
	if gps != nil {
		ifd0 = append(ifd0, entry{tagGPSIFD, typeLong, 1, bo.AppendUint32(nil, gpsOff)})
	}

	var out, data []byte
	if bo == byteOrder(binary.BigEndian) {
		out = append(out, "MM"...)
	} else {
		out = append(out, "II"...)
	}
	out = bo.AppendUint16(out, 42)
	out = bo.AppendUint32(out, 8)
	writeIFD := func(entries []entry) {
		out = bo.AppendUint16(out, uint16(len(entries)))
		for _, e := range entries {
			out = bo.AppendUint16(out, e.tag)
			out = bo.AppendUint16(out, e.typ)
			out = bo.AppendUint32(out, e.count)
			if len(e.data) <= 4 {
				var v [4]byte
				copy(v[:], e.data)
				out = append(out, v[:]...)
			} else {
				out = bo.AppendUint32(out, dataOff+uint32(len(data)))
				data = append(data, e.data...)
				if len(data)%2 == 1 {
					data = append(data, 0)
				}
			}
		}
		out = bo.AppendUint32(out, 0) // no next IFD
	}
	writeIFD(ifd0)
	if exif != nil {
		writeIFD(exif)
	}
	if gps != nil {
		writeIFD(gps)
	}
	return append(out, data...)
}

// testImage is a small picture with some structure, so encoders have work.
func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(4 * x), uint8(5 * y), uint8(x * y), 255})
		}
	}
	return img
}

// jpegWithEXIF encodes a JPEG and, if tiff is not nil, inserts an APP1 EXIF
// segment holding it right after the start-of-image marker.
func jpegWithEXIF(t testing.TB, tiff []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	img := buf.Bytes()
	if tiff == nil {
		return img
	}
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(2+6+len(tiff)))
	seg = append(seg, "Exif\x00\x00"...)
	seg = append(seg, tiff...)
	out := append([]byte{}, img[:2]...)
	out = append(out, seg...)
	return append(out, img[2:]...)
}

// pngWithEXIF encodes a PNG and, if tiff is not nil, adds an eXIf chunk
// before the image data.
func pngWithEXIF(t testing.TB, tiff []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage()); err != nil {
		t.Fatal(err)
	}
	img := buf.Bytes()
	if tiff == nil {
		return img
	}
	// The signature (8 bytes) and IHDR (12 + 13 bytes) come first.
	const afterIHDR = 8 + 12 + 13
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(tiff)))
	chunk = append(chunk, "eXIf"...)
	chunk = append(chunk, tiff...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := append([]byte{}, img[:afterIHDR]...)
	out = append(out, chunk...)
	return append(out, img[afterIHDR:]...)
}

func gifImage(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gif.Encode(&buf, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// riffChunk is a RIFF chunk, padded to an even length.
func riffChunk(id string, body []byte) []byte {
	b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// webpWithEXIF builds an extended WebP: a VP8X header, a one-pixel lossless
// image and, if tiff is not nil, an EXIF chunk (with the "Exif\0\0" prefix
// some writers add, if prefix is set).
func webpWithEXIF(tiff []byte, prefix bool) []byte {
	vp8x := make([]byte, 10)
	if tiff != nil {
		vp8x[0] = 0x08 // EXIF present
	}
	// A lossless bitstream header for a 1×1 image; nothing here decodes it.
	vp8l := []byte{0x2f, 0x00, 0x00, 0x00, 0x00, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00}
	body := append([]byte("WEBP"), riffChunk("VP8X", vp8x)...)
	body = append(body, riffChunk("VP8L", vp8l)...)
	if tiff != nil {
		if prefix {
			tiff = append([]byte("Exif\x00\x00"), tiff...)
		}
		body = append(body, riffChunk("EXIF", tiff)...)
	}
	return append([]byte("RIFF"), append(binary.LittleEndian.AppendUint32(nil, uint32(len(body))), body...)...)
}

// box is an ISO base media box.
func box(typ string, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	return append(binary.BigEndian.AppendUint32([]byte{}, uint32(8+len(b))), append([]byte(typ), b...)...)
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// heicWithEXIF builds the boxes of a HEIC file whose Exif item holds tiff:
// ftyp, a meta box that names and locates the item (iinf and iloc of the
// given version), and mdat.
func heicWithEXIF(tiff []byte, ilocVersion byte) []byte {
	ftyp := box("ftyp", []byte("heic"), u32(0), []byte("mif1heic"))
	hdlr := box("hdlr", u32(0), u32(0), []byte("pict"), make([]byte, 12), []byte{0})
	infe := box("infe", []byte{2, 0, 0, 0}, u16(1), u16(0), []byte("Exif"), []byte{0})
	hvc := box("infe", []byte{2, 0, 0, 0}, u16(2), u16(0), []byte("hvc1"), []byte{0})
	iinf := box("iinf", u32(0), u16(2), hvc, infe)
	item := append(u32(6), append([]byte("Exif\x00\x00"), tiff...)...)
	iloc := func(offset uint32) []byte {
		head := []byte{ilocVersion, 0, 0, 0, 0x44, 0x00} // 4-byte offsets and lengths
		var items []byte
		idField := func(id uint32) []byte {
			if ilocVersion == 2 {
				return u32(id)
			}
			return u16(uint16(id))
		}
		method := func() []byte {
			if ilocVersion == 0 {
				return nil
			}
			return u16(0)
		}
		entry := func(id, offset, length uint32) {
			items = append(items, idField(id)...)
			items = append(items, method()...)
			items = append(items, u16(0)...) // data reference: this file
			items = append(items, u16(1)...) // one extent
			items = append(items, u32(offset)...)
			items = append(items, u32(length)...)
		}
		entry(2, 0, 1) // the picture, which these tests do not read
		entry(1, offset, uint32(len(item)))
		return box("iloc", head, idField(2), items)
	}
	meta := func(offset uint32) []byte { return box("meta", u32(0), hdlr, iinf, iloc(offset)) }
	offset := uint32(len(ftyp) + len(meta(0)) + 8)
	return bytes.Join([][]byte{ftyp, meta(offset), box("mdat", item)}, nil)
}

// Headers and small bodies of the other accepted formats.
var (
	pdfFile  = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	textFile = []byte("Observer's note, 12 October: shelling heard north of the crossing from 14:00.\n")
	htmlFile = []byte("<html><body>not text</body></html>")
	mp4File  = append(box("ftyp", []byte("isom"), u32(512), []byte("isomiso2avc1mp41")), box("mdat", bytes.Repeat([]byte{0x5a}, 1000))...)
	movFile  = append(box("ftyp", []byte("qt  "), u32(0x20050300), []byte("qt  ")), box("mdat", bytes.Repeat([]byte{0xa5}, 1000))...)
	m4aFile  = append(box("ftyp", []byte("M4A "), u32(0), []byte("M4A isommp42")), box("mdat", []byte{1, 2, 3})...)
	webmFile = ebml("webm")
	mkvFile  = ebml("matroska")
	mp3File  = append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), bytes.Repeat([]byte{0xFF, 0xFB, 0x90, 0x64}, 100)...)
	mp3Bare  = bytes.Repeat([]byte{0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0}, 100)
	oggOpus  = oggPage([]byte("OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00"))
	oggTheor = oggPage([]byte("\x80theora\x03\x02\x01"))
	wavFile  = wav(800)
)

// ebml is the EBML header of a WebM or Matroska file, and an empty segment.
func ebml(docType string) []byte {
	body := []byte{0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81, 0x01, 0x42, 0xF2, 0x81, 0x04, 0x42, 0xF3, 0x81, 0x08}
	body = append(body, 0x42, 0x82, 0x80|byte(len(docType)))
	body = append(body, docType...)
	body = append(body, 0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02)
	h := append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x80 | byte(len(body))}, body...)
	return append(h, 0x18, 0x53, 0x80, 0x67, 0x80) // an empty Segment
}

// oggPage is one Ogg page holding one packet.
func oggPage(packet []byte) []byte {
	p := []byte("OggS\x00\x02")
	p = append(p, make([]byte, 8+4+4+4)...) // granule, serial, sequence, CRC (unchecked here)
	p = append(p, 1, byte(len(packet)))
	return append(p, packet...)
}

// wav is a mono 8 kHz 16-bit PCM recording of n samples.
func wav(n int) []byte {
	le := binary.LittleEndian
	fmtChunk := le.AppendUint16(nil, 1)     // PCM
	fmtChunk = le.AppendUint16(fmtChunk, 1) // mono
	fmtChunk = le.AppendUint32(fmtChunk, 8000)
	fmtChunk = le.AppendUint32(fmtChunk, 16000)
	fmtChunk = le.AppendUint16(fmtChunk, 2)
	fmtChunk = le.AppendUint16(fmtChunk, 16)
	samples := make([]byte, 2*n)
	for i := range n {
		le.PutUint16(samples[2*i:], uint16(int16((i%40-20)*800)))
	}
	body := append([]byte("WAVE"), riffChunk("fmt ", fmtChunk)...)
	body = append(body, riffChunk("data", samples)...)
	return append([]byte("RIFF"), append(le.AppendUint32(nil, uint32(len(body))), body...)...)
}
