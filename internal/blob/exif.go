package blob

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Metadata is what an image file says about its own making, read from its
// EXIF block. It is the claim of whatever device or program wrote the file,
// not proof: anyone can edit it.
type Metadata struct {
	// Captured is EXIF DateTimeOriginal. When the file also records
	// OffsetTimeOriginal, Captured carries that UTC offset; otherwise the
	// zone of the camera's clock is unknown, Captured holds its wall-clock
	// reading as if it were UTC, and CapturedLocal is true.
	Captured      time.Time `json:"captured,omitzero"`
	CapturedLocal bool      `json:"captured_local,omitempty"`

	// GPSTime is the time of the position fix (EXIF GPSDateStamp and
	// GPSTimeStamp), in UTC.
	GPSTime time.Time `json:"gps_time,omitzero"`

	// Position is where the file says it was made, nil if it does not say.
	Position *Position `json:"position,omitempty"`
}

// Position is a point in WGS 84 decimal degrees, north and east positive.
type Position struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// ErrNoMetadata is returned by ReadMetadata for a file that carries no EXIF
// block the store can read.
var ErrNoMetadata = errors.New("the file carries no readable EXIF metadata")

// Bounds on the work ReadMetadata does, whatever the file holds.
const (
	maxSegments   = 1024    // JPEG markers, PNG and RIFF chunks, ISO boxes walked
	maxIFDEntries = 1024    // entries read from one TIFF directory
	maxMetaBox    = 1 << 20 // bytes of a HEIF meta box read into memory
	maxASCII      = 64      // bytes of an ASCII value read
)

// ReadMetadata reads the EXIF capture time and GPS position from r, a file
// of size bytes and of the given media type (as Sniff names it). It reads
// JPEG (APP1), TIFF, PNG (eXIf), WebP (EXIF chunk) and HEIC/HEIF/AVIF
// (the Exif item). It returns ErrNoMetadata if the file has no EXIF block,
// or holds neither a capture time nor a position, and another error if the
// block is malformed. Its work is bounded whatever r holds.
func ReadMetadata(r io.ReaderAt, size int64, mediaType string) (*Metadata, error) {
	var (
		tiff *io.SectionReader
		err  error
	)
	switch mediaType {
	case TypeJPEG:
		tiff, err = jpegEXIF(r, size)
	case TypeTIFF:
		tiff = io.NewSectionReader(r, 0, size)
	case TypePNG:
		tiff, err = pngEXIF(r, size)
	case TypeWebP:
		tiff, err = webpEXIF(r, size)
	case TypeHEIC, TypeHEIF, TypeAVIF:
		tiff, err = heifEXIF(r, size)
	default:
		return nil, ErrNoMetadata
	}
	if err != nil {
		return nil, err
	}
	if tiff == nil {
		return nil, ErrNoMetadata
	}
	m, err := parseTIFF(tiff)
	if err != nil {
		return nil, err
	}
	if m.Captured.IsZero() && m.GPSTime.IsZero() && m.Position == nil {
		return nil, ErrNoMetadata
	}
	return m, nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("malformed EXIF metadata: "+format, args...)
}

// readAt reads exactly len(b) bytes at off, or fails.
func readAt(r io.ReaderAt, b []byte, off int64) error {
	if off < 0 {
		return malformed("negative offset")
	}
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// jpegEXIF finds the APP1 segment that starts with "Exif\0\0" among the
// segments before the image data.
func jpegEXIF(r io.ReaderAt, size int64) (*io.SectionReader, error) {
	var b [10]byte
	if err := readAt(r, b[:2], 0); err != nil || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, malformed("not a JPEG file")
	}
	off := int64(2)
	for range maxSegments {
		if err := readAt(r, b[:4], off); err != nil {
			return nil, nil
		}
		if b[0] != 0xFF {
			return nil, malformed("no JPEG marker at byte %d", off)
		}
		marker := b[1]
		switch {
		case marker == 0xFF: // fill byte
			off++
			continue
		case marker == 0xD9 || marker == 0xDA: // end of image, start of scan
			return nil, nil
		case marker == 0x01 || marker >= 0xD0 && marker <= 0xD7: // no length
			off += 2
			continue
		}
		length := int64(binary.BigEndian.Uint16(b[2:4]))
		if length < 2 {
			return nil, malformed("JPEG segment of length %d", length)
		}
		if marker == 0xE1 && length >= 8 {
			if err := readAt(r, b[4:10], off+4); err == nil && string(b[4:10]) == "Exif\x00\x00" {
				return section(r, off+10, length-8, size), nil
			}
		}
		off += 2 + length
	}
	return nil, nil
}

// pngEXIF finds the eXIf chunk of a PNG file.
func pngEXIF(r io.ReaderAt, size int64) (*io.SectionReader, error) {
	var b [8]byte
	if err := readAt(r, b[:], 0); err != nil || string(b[:]) != "\x89PNG\r\n\x1a\n" {
		return nil, malformed("not a PNG file")
	}
	off := int64(8)
	for range maxSegments {
		if err := readAt(r, b[:], off); err != nil {
			return nil, nil
		}
		length := int64(binary.BigEndian.Uint32(b[:4]))
		switch string(b[4:8]) {
		case "eXIf":
			return section(r, off+8, length, size), nil
		case "IEND":
			return nil, nil
		}
		off += 12 + length
	}
	return nil, nil
}

// webpEXIF finds the EXIF chunk of a WebP file.
func webpEXIF(r io.ReaderAt, size int64) (*io.SectionReader, error) {
	var b [12]byte
	if err := readAt(r, b[:], 0); err != nil || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return nil, malformed("not a WebP file")
	}
	off := int64(12)
	for range maxSegments {
		if err := readAt(r, b[:8], off); err != nil {
			return nil, nil
		}
		length := int64(binary.LittleEndian.Uint32(b[4:8]))
		if string(b[:4]) == "EXIF" {
			start, n := off+8, length
			// Some writers keep JPEG's "Exif\0\0" prefix.
			if err := readAt(r, b[:6], start); err == nil && string(b[:6]) == "Exif\x00\x00" {
				start, n = start+6, n-6
			}
			return section(r, start, n, size), nil
		}
		off += 8 + length + length&1
	}
	return nil, nil
}

// heifEXIF finds the Exif item of a HEIF file (ISO/IEC 23008-12): its id in
// the meta box's item information, its place in the item locations.
func heifEXIF(r io.ReaderAt, size int64) (*io.SectionReader, error) {
	var meta []byte
	off := int64(0)
	for range maxSegments {
		typ, start, end, err := boxAt(r, off, size)
		if err != nil {
			return nil, nil
		}
		if typ == "meta" {
			if end-start > maxMetaBox {
				return nil, malformed("a meta box of %d bytes", end-start)
			}
			meta = make([]byte, end-start)
			if err := readAt(r, meta, start); err != nil {
				return nil, malformed("a meta box cut short")
			}
			break
		}
		off = end
	}
	if meta == nil {
		return nil, nil
	}
	if len(meta) < 4 {
		return nil, malformed("a meta box too short")
	}
	children := bytes.NewReader(meta[4:]) // a full box: version and flags first
	var iinf, iloc []byte
	for off, n := int64(0), int64(0); n < maxSegments; n++ {
		typ, start, end, err := boxAt(children, off, children.Size())
		if err != nil {
			break
		}
		switch typ {
		case "iinf":
			iinf = meta[4+start : 4+end]
		case "iloc":
			iloc = meta[4+start : 4+end]
		}
		off = end
	}
	if iinf == nil || iloc == nil {
		return nil, nil
	}
	id, ok := exifItemID(iinf)
	if !ok {
		return nil, nil
	}
	start, length, ok := itemLocation(iloc, id)
	if !ok || start < 0 || length < 4 || start > size || length > size-start {
		return nil, nil
	}
	// The item is a 4-byte offset to the TIFF header, then the EXIF block.
	var b [4]byte
	if err := readAt(r, b[:], start); err != nil {
		return nil, nil
	}
	skip := int64(binary.BigEndian.Uint32(b[:]))
	if skip > length-4 {
		return nil, malformed("an Exif item whose header offset is past its end")
	}
	return io.NewSectionReader(r, start+4+skip, length-4-skip), nil
}

// section returns the n bytes of r at off, cut to the size of r.
func section(r io.ReaderAt, off, n, size int64) *io.SectionReader {
	n = max(0, min(n, size-off))
	return io.NewSectionReader(r, off, n)
}

// boxAt reads the header of the ISO box at off and returns its type and the
// offsets of its body and end.
func boxAt(r io.ReaderAt, off, size int64) (typ string, start, end int64, err error) {
	var b [16]byte
	if err := readAt(r, b[:8], off); err != nil {
		return "", 0, 0, err
	}
	n := int64(binary.BigEndian.Uint32(b[:4]))
	typ = string(b[4:8])
	start = off + 8
	switch n {
	case 0: // to the end of the file
		n = size - off
	case 1: // a 64-bit size follows
		if err := readAt(r, b[8:16], off+8); err != nil {
			return "", 0, 0, err
		}
		u := binary.BigEndian.Uint64(b[8:16])
		if u > uint64(size) {
			return "", 0, 0, malformed("a box past the end of the file")
		}
		n = int64(u)
		start += 8
	}
	if n < start-off || n > size-off {
		return "", 0, 0, malformed("a box of %d bytes at %d", n, off)
	}
	return typ, start, off + n, nil
}

// exifItemID returns the id of the item of type "Exif" in an iinf box body.
func exifItemID(iinf []byte) (uint32, bool) {
	if len(iinf) < 4 {
		return 0, false
	}
	skip := 4 + 2 // version and flags, entry count
	if iinf[0] != 0 {
		skip = 4 + 4
	}
	if len(iinf) < skip {
		return 0, false
	}
	children := bytes.NewReader(iinf[skip:])
	for off, n := int64(0), 0; n < maxSegments; n++ {
		typ, start, end, err := boxAt(children, off, children.Size())
		if err != nil {
			return 0, false
		}
		off = end
		if typ != "infe" {
			continue
		}
		e := iinf[skip+int(start) : skip+int(end)]
		if len(e) < 4 {
			continue
		}
		switch v := e[0]; {
		case v == 2 && len(e) >= 12:
			if string(e[8:12]) == "Exif" {
				return uint32(binary.BigEndian.Uint16(e[4:6])), true
			}
		case v == 3 && len(e) >= 14:
			if string(e[10:14]) == "Exif" {
				return binary.BigEndian.Uint32(e[4:8]), true
			}
		}
	}
	return 0, false
}

// itemLocation returns where the item id lies in the file, from an iloc box
// body. Only items stored whole in one extent of the file itself (the
// construction method every camera uses for EXIF) are found.
func itemLocation(iloc []byte, id uint32) (start, length int64, ok bool) {
	p := parser{b: iloc}
	version := p.uint(1)
	p.skip(3) // flags
	sizes := p.uint(2)
	offsetSize, lengthSize := int(sizes>>12&0xF), int(sizes>>8&0xF)
	baseOffsetSize, indexSize := int(sizes>>4&0xF), int(sizes&0xF)
	if version != 1 && version != 2 {
		indexSize = 0
	}
	idSize := 2
	if version == 2 {
		idSize = 4
	}
	count := p.uint(idSize)
	for i := uint64(0); i < count && i < maxSegments && !p.bad; i++ {
		itemID := p.uint(idSize)
		method := uint64(0)
		if version == 1 || version == 2 {
			method = p.uint(2) & 0xF
		}
		p.skip(2) // data reference index
		base := p.uint(baseOffsetSize)
		extents := p.uint(2)
		for j := uint64(0); j < extents && !p.bad; j++ {
			p.skip(indexSize)
			off := p.uint(offsetSize)
			n := p.uint(lengthSize)
			if itemID == uint64(id) && j == 0 && extents == 1 && method == 0 && !p.bad {
				if base > math.MaxInt64/2 || off > math.MaxInt64/2 || n > math.MaxInt64 {
					return 0, 0, false
				}
				return int64(base + off), int64(n), true
			}
		}
	}
	return 0, 0, false
}

// parser reads big-endian integers of 0, 1, 2, 4 or 8 bytes from b and
// remembers whether it ran out.
type parser struct {
	b   []byte
	bad bool
}

func (p *parser) skip(n int) {
	if n > len(p.b) {
		p.b, p.bad = nil, true
		return
	}
	p.b = p.b[n:]
}

func (p *parser) uint(n int) uint64 {
	if n > len(p.b) || (n != 0 && n != 1 && n != 2 && n != 4 && n != 8) {
		p.b, p.bad = nil, true
		return 0
	}
	var v uint64
	for _, c := range p.b[:n] {
		v = v<<8 | uint64(c)
	}
	p.b = p.b[n:]
	return v
}

// TIFF tags the store reads.
const (
	tagExifIFD            = 0x8769
	tagGPSIFD             = 0x8825
	tagDateTimeOriginal   = 0x9003
	tagOffsetTimeOriginal = 0x9011
	tagGPSLatitudeRef     = 0x0001
	tagGPSLatitude        = 0x0002
	tagGPSLongitudeRef    = 0x0003
	tagGPSLongitude       = 0x0004
	tagGPSTimeStamp       = 0x0007
	tagGPSStatus          = 0x0009
	tagGPSDateStamp       = 0x001D
)

// TIFF field types.
const (
	typeASCII     = 2
	typeLong      = 4
	typeRational  = 5
	typeUndefined = 7
	typeIFD       = 13
)

// typeSize is the size in bytes of one value of each TIFF field type.
var typeSize = [...]int64{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}

type tiffReader struct {
	r  *io.SectionReader
	bo binary.ByteOrder
}

type ifdEntry struct {
	tag, typ uint16
	count    uint32
	raw      [4]byte // the value, or its offset
}

// parseTIFF reads the capture time and GPS position from a TIFF structure
// (an EXIF block is one): the EXIF and GPS directories that IFD0 points to.
func parseTIFF(r *io.SectionReader) (*Metadata, error) {
	var h [8]byte
	if err := readAt(r, h[:], 0); err != nil {
		return nil, malformed("a TIFF header cut short")
	}
	t := &tiffReader{r: r}
	switch string(h[:2]) {
	case "II":
		t.bo = binary.LittleEndian
	case "MM":
		t.bo = binary.BigEndian
	default:
		return nil, malformed("no TIFF byte order mark")
	}
	if t.bo.Uint16(h[2:4]) != 42 {
		return nil, malformed("not a TIFF header")
	}
	ifd0, err := t.ifd(t.bo.Uint32(h[4:8]))
	if err != nil {
		return nil, err
	}
	m := new(Metadata)
	for _, e := range ifd0 {
		switch e.tag {
		case tagExifIFD:
			if off, ok := t.pointer(e); ok {
				t.readExif(off, m)
			}
		case tagGPSIFD:
			if off, ok := t.pointer(e); ok {
				t.readGPS(off, m)
			}
		}
	}
	return m, nil
}

// ifd reads the entries of the directory at off.
func (t *tiffReader) ifd(off uint32) ([]ifdEntry, error) {
	var c [2]byte
	if err := readAt(t.r, c[:], int64(off)); err != nil {
		return nil, malformed("a TIFF directory past the end")
	}
	n := int(t.bo.Uint16(c[:]))
	if n > maxIFDEntries {
		return nil, malformed("a TIFF directory of %d entries", n)
	}
	b := make([]byte, 12*n)
	if err := readAt(t.r, b, int64(off)+2); err != nil {
		return nil, malformed("a TIFF directory cut short")
	}
	entries := make([]ifdEntry, n)
	for i := range entries {
		b := b[12*i:]
		e := &entries[i]
		e.tag, e.typ, e.count = t.bo.Uint16(b[0:2]), t.bo.Uint16(b[2:4]), t.bo.Uint32(b[4:8])
		copy(e.raw[:], b[8:12])
	}
	return entries, nil
}

// value returns the bytes of e's value, if e has type typ and at most max
// values.
func (t *tiffReader) value(e ifdEntry, typ uint16, max uint32) ([]byte, bool) {
	if e.typ != typ || e.count == 0 || e.count > max {
		return nil, false
	}
	n := int64(e.count) * typeSize[typ]
	if n <= 4 {
		return e.raw[:n], true
	}
	b := make([]byte, n)
	if readAt(t.r, b, int64(t.bo.Uint32(e.raw[:]))) != nil {
		return nil, false
	}
	return b, true
}

func (t *tiffReader) pointer(e ifdEntry) (uint32, bool) {
	if (e.typ != typeLong && e.typ != typeIFD) || e.count != 1 {
		return 0, false
	}
	return t.bo.Uint32(e.raw[:]), true
}

func (t *tiffReader) ascii(e ifdEntry) (string, bool) {
	b, ok := t.value(e, typeASCII, maxASCII)
	if !ok {
		// Some writers type these fields UNDEFINED.
		if b, ok = t.value(e, typeUndefined, maxASCII); !ok {
			return "", false
		}
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(string(b)), true
}

// rationals returns the three unsigned rationals of e as float64s.
func (t *tiffReader) rationals(e ifdEntry) ([3]float64, bool) {
	var v [3]float64
	b, ok := t.value(e, typeRational, 3)
	if !ok || len(b) != 24 {
		return v, false
	}
	for i := range v {
		num, den := t.bo.Uint32(b[8*i:]), t.bo.Uint32(b[8*i+4:])
		if den == 0 {
			return v, false
		}
		v[i] = float64(num) / float64(den)
	}
	return v, true
}

func (t *tiffReader) readExif(off uint32, m *Metadata) {
	entries, err := t.ifd(off)
	if err != nil {
		return
	}
	var dto, offset string
	for _, e := range entries {
		switch e.tag {
		case tagDateTimeOriginal:
			dto, _ = t.ascii(e)
		case tagOffsetTimeOriginal:
			offset, _ = t.ascii(e)
		}
	}
	if dto == "" {
		return
	}
	if offset != "" {
		if ts, err := time.Parse("2006:01:02 15:04:05-07:00", dto+offset); err == nil {
			m.Captured = ts
			return
		}
	}
	if ts, err := time.Parse("2006:01:02 15:04:05", dto); err == nil {
		m.Captured, m.CapturedLocal = ts, true
	}
}

func (t *tiffReader) readGPS(off uint32, m *Metadata) {
	entries, err := t.ifd(off)
	if err != nil {
		return
	}
	var (
		latRef, lonRef, status, date string
		lat, lon, clock              [3]float64
		haveLat, haveLon, haveClock  bool
	)
	for _, e := range entries {
		switch e.tag {
		case tagGPSLatitudeRef:
			latRef, _ = t.ascii(e)
		case tagGPSLongitudeRef:
			lonRef, _ = t.ascii(e)
		case tagGPSLatitude:
			lat, haveLat = t.rationals(e)
		case tagGPSLongitude:
			lon, haveLon = t.rationals(e)
		case tagGPSTimeStamp:
			clock, haveClock = t.rationals(e)
		case tagGPSStatus:
			status, _ = t.ascii(e)
		case tagGPSDateStamp:
			date, _ = t.ascii(e)
		}
	}
	if haveLat && haveLon && status != "V" { // "V": measurement void
		la, lo := degrees(lat), degrees(lon)
		okLat := latRef == "N" || latRef == "S"
		okLon := lonRef == "E" || lonRef == "W"
		if latRef == "S" {
			la = -la
		}
		if lonRef == "W" {
			lo = -lo
		}
		if okLat && okLon && la >= -90 && la <= 90 && lo >= -180 && lo <= 180 {
			m.Position = &Position{Lat: la, Lon: lo}
		}
	}
	if haveClock && date != "" {
		day, err := time.Parse("2006:01:02", date)
		h, mi, s := clock[0], clock[1], clock[2]
		if err == nil && h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s < 61 && h == math.Trunc(h) && mi == math.Trunc(mi) {
			m.GPSTime = day.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(s*float64(time.Second))).UTC()
		}
	}
}

// degrees turns degrees, minutes and seconds into decimal degrees.
func degrees(dms [3]float64) float64 {
	return dms[0] + dms[1]/60 + dms[2]/3600
}
