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

// imageDecoders are the decoders of the images Thumbnail reads.
var imageDecoders = map[string]struct {
	decode func(io.Reader) (image.Image, error)
	config func(io.Reader) (image.Config, error)
}{
	TypeJPEG: {jpeg.Decode, jpeg.DecodeConfig},
	TypePNG:  {png.Decode, png.DecodeConfig},
	TypeGIF:  {gif.Decode, gif.DecodeConfig},
}

// maxThumbnailBytes bounds the files MakeThumbnail reads into memory.
const maxThumbnailBytes = 64 << 20

// Thumbnail makes a JPEG whose longest side is at most ThumbnailSize pixels
// from the JPEG, PNG or GIF image in r, averaging the pixels each one
// covers.
func Thumbnail(r io.ReaderAt, size int64, mediaType string) ([]byte, error) {
	d, ok := imageDecoders[mediaType]
	if !ok {
		return nil, ErrNoThumbnail
	}
	decode, config := d.decode, d.config
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
	if d, _, err := s.OpenDerived(hash, ThumbnailName); err == nil {
		d.Close()
		return nil
	}
	f, info, err := s.Open(hash)
	if err != nil {
		return err
	}
	defer f.Close()
	// Read only images, and not a large file whole.
	if _, ok := imageDecoders[info.MediaType]; !ok || info.Size > maxThumbnailBytes {
		return ErrNoThumbnail
	}
	b, err := io.ReadAll(f)
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
