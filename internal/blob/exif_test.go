package blob

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"
)

// Kabul, a phone's photo: 34°31'31.20"N 69°10'40.80"E.
var (
	kabulLat = dms(34, 31, 3120)
	kabulLon = dms(69, 10, 4080)
	kabul    = Position{Lat: 34 + 31.0/60 + 31.20/3600, Lon: 69 + 10.0/60 + 40.80/3600}
)

func fullSpec(bo byteOrder) exifSpec {
	return exifSpec{
		bo:                 bo,
		dateTimeOriginal:   "2025:10:12 14:03:22",
		offsetTimeOriginal: "+04:30",
		latRef:             "N", lat: kabulLat,
		lonRef: "E", lon: kabulLon,
		gpsDate: "2025:10:12", gpsTime: [][2]uint32{{9, 1}, {33, 1}, {2150, 100}},
	}
}

func TestReadMetadata(t *testing.T) {
	kabulTime := time.Date(2025, 10, 12, 14, 3, 22, 0, time.FixedZone("", 4*3600+1800))
	gpsTime := time.Date(2025, 10, 12, 9, 33, 21, 500e6, time.UTC)
	full := &Metadata{Captured: kabulTime, GPSTime: gpsTime, Position: &kabul}
	le, be := binary.LittleEndian, binary.BigEndian

	south := fullSpec(be)
	south.latRef, south.lonRef = "S", "W"
	local := exifSpec{dateTimeOriginal: "2025:10:12 14:03:22"}
	void := fullSpec(le)
	void.gpsStatus = "V"
	noRef := fullSpec(le)
	noRef.latRef = ""
	blank := exifSpec{dateTimeOriginal: "    :  :     :  :  "}
	zeroDen := fullSpec(le)
	zeroDen.lat = [][2]uint32{{34, 0}, {31, 1}, {0, 1}}
	outOfRange := fullSpec(le)
	outOfRange.lat = dms(95, 0, 0)
	withIFD0 := fullSpec(le)
	withIFD0.extraIFD0 = []entry{asciiEntry(0x010F, "Sulh Test Camera"), asciiEntry(0x0132, "2025:10:13 08:00:00")}

	tests := []struct {
		name      string
		file      []byte
		mediaType string
		want      *Metadata
		wantErr   error
	}{
		{"jpeg little-endian", jpegWithEXIF(t, fullSpec(le).tiffBytes()), TypeJPEG, full, nil},
		{"jpeg big-endian", jpegWithEXIF(t, fullSpec(be).tiffBytes()), TypeJPEG, full, nil},
		{"jpeg with other IFD0 tags", jpegWithEXIF(t, withIFD0.tiffBytes()), TypeJPEG, full, nil},
		{"jpeg south and west", jpegWithEXIF(t, south.tiffBytes()), TypeJPEG,
			&Metadata{Captured: kabulTime, GPSTime: gpsTime, Position: &Position{Lat: -kabul.Lat, Lon: -kabul.Lon}}, nil},
		{"jpeg without offset", jpegWithEXIF(t, local.tiffBytes()), TypeJPEG,
			&Metadata{Captured: time.Date(2025, 10, 12, 14, 3, 22, 0, time.UTC), CapturedLocal: true}, nil},
		{"jpeg gps void", jpegWithEXIF(t, void.tiffBytes()), TypeJPEG, &Metadata{Captured: kabulTime, GPSTime: gpsTime}, nil},
		{"jpeg gps without ref", jpegWithEXIF(t, noRef.tiffBytes()), TypeJPEG, &Metadata{Captured: kabulTime, GPSTime: gpsTime}, nil},
		{"jpeg gps zero denominator", jpegWithEXIF(t, zeroDen.tiffBytes()), TypeJPEG, &Metadata{Captured: kabulTime, GPSTime: gpsTime}, nil},
		{"jpeg latitude out of range", jpegWithEXIF(t, outOfRange.tiffBytes()), TypeJPEG, &Metadata{Captured: kabulTime, GPSTime: gpsTime}, nil},
		{"jpeg blank date", jpegWithEXIF(t, blank.tiffBytes()), TypeJPEG, nil, ErrNoMetadata},
		{"jpeg without exif", jpegWithEXIF(t, nil), TypeJPEG, nil, ErrNoMetadata},
		{"tiff", fullSpec(be).tiffBytes(), TypeTIFF, full, nil},
		{"png eXIf", pngWithEXIF(t, fullSpec(be).tiffBytes()), TypePNG, full, nil},
		{"png without exif", pngWithEXIF(t, nil), TypePNG, nil, ErrNoMetadata},
		{"webp EXIF", webpWithEXIF(fullSpec(le).tiffBytes(), false), TypeWebP, full, nil},
		{"webp EXIF with prefix", webpWithEXIF(fullSpec(le).tiffBytes(), true), TypeWebP, full, nil},
		{"webp without exif", webpWithEXIF(nil, false), TypeWebP, nil, ErrNoMetadata},
		{"heic iloc v0", heicWithEXIF(fullSpec(be).tiffBytes(), 0), TypeHEIC, full, nil},
		{"heic iloc v1", heicWithEXIF(fullSpec(le).tiffBytes(), 1), TypeHEIC, full, nil},
		{"heic iloc v2", heicWithEXIF(fullSpec(le).tiffBytes(), 2), TypeHEIC, full, nil},
		{"pdf", pdfFile, TypePDF, nil, ErrNoMetadata},
		{"mp4", mp4File, TypeMP4, nil, ErrNoMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.file); got != tt.mediaType {
				t.Fatalf("Sniff = %q, want %q", got, tt.mediaType)
			}
			got, err := ReadMetadata(bytes.NewReader(tt.file), int64(len(tt.file)), tt.mediaType)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ReadMetadata = %+v, %v; want error %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadMetadata: %v", err)
			}
			checkMetadata(t, got, tt.want)
		})
	}
}

func checkMetadata(t *testing.T, got, want *Metadata) {
	t.Helper()
	if got == nil {
		t.Fatalf("metadata = nil, want %+v", want)
	}
	if !got.Captured.Equal(want.Captured) || got.CapturedLocal != want.CapturedLocal {
		t.Errorf("Captured = %v (local %v), want %v (local %v)", got.Captured, got.CapturedLocal, want.Captured, want.CapturedLocal)
	}
	if _, off := got.Captured.Zone(); !want.Captured.IsZero() {
		if _, wantOff := want.Captured.Zone(); off != wantOff {
			t.Errorf("Captured offset = %d s, want %d s", off, wantOff)
		}
	}
	if !got.GPSTime.Equal(want.GPSTime) {
		t.Errorf("GPSTime = %v, want %v", got.GPSTime, want.GPSTime)
	}
	switch {
	case (got.Position == nil) != (want.Position == nil):
		t.Errorf("Position = %v, want %v", got.Position, want.Position)
	case got.Position != nil:
		if math.Abs(got.Position.Lat-want.Position.Lat) > 1e-9 || math.Abs(got.Position.Lon-want.Position.Lon) > 1e-9 {
			t.Errorf("Position = %+v, want %+v", *got.Position, *want.Position)
		}
	}
}

// TestReadMetadataMalformed feeds broken EXIF blocks: each must give an
// error or no metadata, never a panic or a wrong position.
func TestReadMetadataMalformed(t *testing.T) {
	good := fullSpec(binary.LittleEndian).tiffBytes()
	hugeIFD := append([]byte("II*\x00\x08\x00\x00\x00"), 0xFF, 0xFF)
	loop := append([]byte("II*\x00\x08\x00\x00\x00"), 0x01, 0x00, 0x69, 0x87, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0, 0, 0, 0)
	badOrder := append([]byte("XX"), good[2:]...)
	tests := []struct {
		name string
		file []byte
		typ  string
	}{
		{"truncated tiff", good[:len(good)/2], TypeTIFF},
		{"ifd of 65535 entries", hugeIFD, TypeTIFF},
		{"exif ifd pointing at ifd0", loop, TypeTIFF},
		{"no byte order", badOrder, TypeTIFF},
		{"truncated jpeg", jpegWithEXIF(t, good)[:40], TypeJPEG},
		{"jpeg segment length 0", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x00}, TypeJPEG},
		{"heic meta box too large", box("meta", make([]byte, maxMetaBox+10)), TypeHEIC},
		{"heic truncated", heicWithEXIF(good, 1)[:100], TypeHEIC},
		{"png truncated", pngWithEXIF(t, good)[:50], TypePNG},
		{"empty", nil, TypeJPEG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ReadMetadata(bytes.NewReader(tt.file), int64(len(tt.file)), tt.typ)
			if err == nil && m.Position != nil {
				t.Errorf("ReadMetadata = %+v, want no position", m)
			}
		})
	}
}
