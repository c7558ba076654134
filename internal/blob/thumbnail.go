package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
)

// ThumbnailName is the name of an image's thumbnail among its working
// copies.
const ThumbnailName = "thumbnail.jpg"

// ThumbnailSize is the longest side of a thumbnail, in pixels.
const ThumbnailSize = 320

// maxThumbnailPixels bounds the images Thumbnail decodes: a small file can
// claim a huge canvas.
const maxThumbnailPixels = 50_000_000

// ErrNoThumbnail is returned for a file Thumbnail cannot make a thumbnail
// of: not a JPEG, PNG or GIF image, or one too large to decode safely.
var ErrNoThumbnail = errors.New("no thumbnail can be made of this file")

// Thumbnail makes a JPEG whose longest side is at most ThumbnailSize pixels
// from the JPEG, PNG or GIF image in r, averaging the pixels each one
// covers.
func Thumbnail(r io.ReaderAt, size int64, mediaType string) ([]byte, error) {
	var decode func(io.Reader) (image.Image, error)
	var config func(io.Reader) (image.Config, error)
	switch mediaType {
	case TypeJPEG:
		decode, config = jpeg.Decode, jpeg.DecodeConfig
	case TypePNG:
		decode, config = png.Decode, png.DecodeConfig
	case TypeGIF:
		decode, config = gif.Decode, gif.DecodeConfig
	default:
		return nil, ErrNoThumbnail
	}
	cfg, err := config(io.NewSectionReader(r, 0, size))
	if err != nil || cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > maxThumbnailPixels {
		return nil, ErrNoThumbnail
	}
	img, err := decode(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoThumbnail, err)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	tw, th := w, h
	if w > ThumbnailSize || h > ThumbnailSize {
		if w >= h {
			tw, th = ThumbnailSize, max(1, h*ThumbnailSize/w)
		} else {
			tw, th = max(1, w*ThumbnailSize/h), ThumbnailSize
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, tw, th))
	for y := 0; y < th; y++ {
		y0, y1 := b.Min.Y+y*h/th, b.Min.Y+max((y+1)*h/th, y*h/th+1)
		for x := 0; x < tw; x++ {
			x0, x1 := b.Min.X+x*w/tw, b.Min.X+max((x+1)*w/tw, x*w/tw+1)
			var rs, gs, bs, n uint64
			for yy := y0; yy < y1; yy++ {
				for xx := x0; xx < x1; xx++ {
					cr, cg, cb, _ := img.At(xx, yy).RGBA()
					rs, gs, bs, n = rs+uint64(cr), gs+uint64(cg), bs+uint64(cb), n+1
				}
			}
			out.SetRGBA(x, y, color.RGBA{uint8(rs / n >> 8), uint8(gs / n >> 8), uint8(bs / n >> 8), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MakeThumbnail stores a thumbnail of the original hash among its working
// copies, unless it has one or none can be made.
func (s *Store) MakeThumbnail(ctx context.Context, hash string) error {
	if _, _, err := s.OpenDerived(hash, ThumbnailName); err == nil {
		return nil
	}
	f, info, err := s.Open(hash)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return err
	}
	t, err := Thumbnail(bytes.NewReader(b), int64(len(b)), info.MediaType)
	if err != nil {
		return err
	}
	_, err = s.PutDerived(ctx, hash, ThumbnailName, bytes.NewReader(t), int64(len(t)))
	return err
}
