package blob

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"testing"
)

func TestThumbnail(t *testing.T) {
	for _, tc := range []struct {
		w, h, tw, th int
	}{{1000, 500, 320, 160}, {300, 900, 106, 320}, {40, 30, 40, 30}} {
		img := image.NewRGBA(image.Rect(0, 0, tc.w, tc.h))
		for y := 0; y < tc.h; y++ {
			for x := 0; x < tc.w; x++ {
				img.Set(x, y, color.RGBA{200, 40, 40, 255})
			}
		}
		var src bytes.Buffer
		png.Encode(&src, img)
		b, err := Thumbnail(bytes.NewReader(src.Bytes()), int64(src.Len()), TypePNG)
		if err != nil {
			t.Fatal(err)
		}
		th, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if got := th.Bounds(); got.Dx() != tc.tw || got.Dy() != tc.th {
			t.Errorf("%dx%d: thumbnail %v, want %dx%d", tc.w, tc.h, got, tc.tw, tc.th)
		}
		if r, _, _, _ := th.At(tc.tw/2, tc.th/2).RGBA(); r>>8 < 180 {
			t.Errorf("%dx%d: the thumbnail lost the colour: red %d", tc.w, tc.h, r>>8)
		}
	}
	// A PNG header, checksum and all, that claims a canvas of 60,000 ×
	// 60,000 pixels.
	var huge bytes.Buffer
	png.Encode(&huge, image.NewGray(image.Rect(0, 0, 1, 1)))
	claim := huge.Bytes()
	copy(claim[16:24], []byte{0, 0, 0xea, 0x60, 0, 0, 0xea, 0x60})
	binary.BigEndian.PutUint32(claim[29:33], crc32.ChecksumIEEE(claim[12:29]))
	if cfg, err := png.DecodeConfig(bytes.NewReader(claim)); err != nil || cfg.Width != 60000 {
		t.Fatalf("the claim does not parse: %+v, %v", cfg, err)
	}
	if _, err := Thumbnail(bytes.NewReader(claim), int64(len(claim)), TypePNG); !errors.Is(err, ErrNoThumbnail) || !errors.Is(err, ErrOverBudget) {
		t.Errorf("a decompression bomb: %v", err)
	}
	if _, err := Thumbnail(bytes.NewReader([]byte("%PDF-1.7")), 8, TypePDF); !errors.Is(err, ErrNoThumbnail) {
		t.Errorf("a PDF: %v", err)
	}
}

func TestMakeThumbnail(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var src bytes.Buffer
	png.Encode(&src, image.NewRGBA(image.Rect(0, 0, 640, 480)))
	info, err := s.Put(context.Background(), bytes.NewReader(src.Bytes()), "crater.png", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MakeThumbnail(context.Background(), info.SHA256); err != nil {
		t.Fatal(err)
	}
	f, d, err := s.OpenDerived(info.SHA256, ThumbnailName)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width != 320 || cfg.Height != 240 || d.Name != ThumbnailName {
		t.Errorf("thumbnail %+v %v %+v", cfg, err, d)
	}
	// The original is untouched, and the store in order.
	if probs, err := s.Scan(context.Background(), nil); err != nil || len(probs) != 0 {
		t.Fatalf("scan after a thumbnail: %v %+v", err, probs)
	}
}
