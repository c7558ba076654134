package blob

import (
	"errors"
	"slices"
	"testing"
)

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"jpeg", jpegWithEXIF(t, nil), TypeJPEG},
		{"png", pngWithEXIF(t, nil), TypePNG},
		{"gif", gifImage(t), TypeGIF},
		{"webp", webpWithEXIF(nil, false), TypeWebP},
		{"tiff little-endian", []byte("II*\x00\x08\x00\x00\x00"), TypeTIFF},
		{"tiff big-endian", []byte("MM\x00*\x00\x00\x00\x08"), TypeTIFF},
		{"heic", heicWithEXIF(nil, 0), TypeHEIC},
		{"heif", box("ftyp", []byte("mif1"), u32(0), []byte("mif1")), TypeHEIF},
		{"heic by compatible brand", box("ftyp", []byte("MiHE"), u32(0), []byte("mif1MiHBheic")), TypeHEIC},
		{"avif", box("ftyp", []byte("avif"), u32(0), []byte("avifmif1miaf")), TypeAVIF},
		{"mp4", mp4File, TypeMP4},
		{"mp4 by compatible brand", box("ftyp", []byte("XXXX"), u32(0), []byte("abcdmp42")), TypeMP4},
		{"quicktime", movFile, TypeQuickTime},
		{"m4a", m4aFile, TypeM4A},
		{"unknown brand", box("ftyp", []byte("crx "), u32(0), []byte("crx ")), "application/octet-stream"},
		{"webm", webmFile, TypeWebM},
		{"matroska", mkvFile, TypeMatroska},
		{"ebml unknown", ebml("other"), "application/octet-stream"},
		{"pdf", pdfFile, TypePDF},
		{"text", textFile, TypeText},
		{"html", htmlFile, "text/html; charset=utf-8"},
		{"wav", wavFile, TypeWAV},
		{"mp3 with ID3", mp3File, TypeMP3},
		{"mp3 without ID3", mp3Bare, TypeMP3},
		{"aac is not mp3", []byte{0xFF, 0xF1, 0x50, 0x80, 0, 0, 0}, "application/octet-stream"},
		{"ogg opus", oggOpus, TypeOggAudio},
		{"ogg theora", oggTheor, TypeOggVideo},
		{"ogg unknown", oggPage([]byte("fishead\x00")), "application/ogg"},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00"), "application/zip"},
		{"empty", nil, TypeText},
		{"ftyp cut short", []byte("\x00\x00\x00\x18ftyp"), "application/octet-stream"},
	}
	for _, tt := range tests {
		if got := Sniff(tt.head); got != tt.want {
			t.Errorf("Sniff(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCheckType(t *testing.T) {
	tests := []struct {
		name, mediaType string
		want            error
	}{
		{"a.jpg", TypeJPEG, nil},
		{"a.JPEG", TypeJPEG, nil},
		{"a.mov", TypeMP4, nil},
		{"a.txt", TypeText, nil},
		{"a.jpg", TypePDF, ErrTypeMismatch},
		{"a.png", TypeJPEG, ErrTypeMismatch},
		{"a.txt", "text/html; charset=utf-8", ErrTypeMismatch},
		{"a.pdf", "application/zip", ErrTypeMismatch},
		{"a.exe", "application/octet-stream", ErrUnsupported},
		{"a.html", "text/html; charset=utf-8", ErrUnsupported},
		{"noextension", TypeJPEG, ErrUnsupported},
	}
	for _, tt := range tests {
		err := checkType(tt.name, tt.mediaType)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("checkType(%q, %q) = %v, want %v", tt.name, tt.mediaType, err, tt.want)
		}
	}
}

func TestExtensions(t *testing.T) {
	exts := Extensions()
	for _, want := range []string{".jpg", ".heic", ".mp4", ".mov", ".webm", ".mkv", ".pdf", ".txt", ".wav", ".mp3", ".ogg"} {
		if !slices.Contains(exts, want) {
			t.Errorf("Extensions() lacks %s", want)
		}
	}
	if !slices.IsSorted(exts) {
		t.Errorf("Extensions() not sorted: %v", exts)
	}
}
