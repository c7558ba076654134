package blob

import (
	"bufio"
	"errors"
	"fmt"
	"image/color"
	"io"
)

// ImageBudget is the most memory, in bytes, that decoding one image for its
// thumbnail may take, as estimated from the image's header before anything
// is decoded. The store makes one thumbnail at a time, so this also bounds
// the memory all thumbnails take together.
const ImageBudget = 256 << 20

// ErrOverBudget is wrapped, with ErrNoThumbnail, by the error of an image
// whose decoding would take more than ImageBudget.
var ErrOverBudget = errors.New("decoding the image would take more memory than the thumbnail budget allows")

// decodeOverhead is what a decode and a thumbnail take besides the image's
// own buffers: the decoder's tables and read buffer, the 320-pixel RGBA
// thumbnail and its JPEG encoder.
const decodeOverhead = 1 << 20

// decodeCost estimates, from the header of the JPEG, PNG or GIF image in r
// alone, the bytes that image/jpeg, image/png or image/gif allocate to
// decode it and that Thumbnail allocates besides, erring on the side of too
// much. The error, for a header that does not parse, wraps ErrNoThumbnail.
func decodeCost(r io.ReaderAt, size int64, mediaType string) (int64, error) {
	d, ok := imageDecoders[mediaType]
	if !ok {
		return 0, ErrNoThumbnail
	}
	cfg, err := d.config(io.NewSectionReader(r, 0, size))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrNoThumbnail, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return 0, fmt.Errorf("%w: the image is %d×%d pixels", ErrNoThumbnail, cfg.Width, cfg.Height)
	}
	w, h := int64(cfg.Width), int64(cfg.Height)
	var n int64
	switch mediaType {
	case TypeJPEG:
		n = jpegCost(r, size, w, h)
	case TypePNG:
		n = pngCost(r, w, h, cfg.ColorModel)
	case TypeGIF:
		// The first frame, at most the size of the screen, and a second
		// buffer of that size if it is interlaced.
		n = 2 * w * h
	}
	return n + decodeOverhead, nil
}

// pngCost is what image/png allocates for a w×h image of the colour model
// DecodeConfig reports: the image, a second one made of the passes of an
// interlaced image, and two rows.
func pngCost(r io.ReaderAt, w, h int64, model color.Model) int64 {
	var bpp int64 = 8
	switch model {
	case color.GrayModel, color.NRGBAModel, color.RGBAModel:
		// Grey with a transparent colour decodes to NRGBA.
		bpp = 4
	case color.Gray16Model, color.NRGBA64Model, color.RGBA64Model:
		bpp = 8
	default:
		if _, ok := model.(color.Palette); ok {
			bpp = 1
		}
	}
	images := int64(2)
	// DecodeConfig has checked that IHDR is the first chunk; its last
	// byte, at offset 28, is the interlace method.
	var ihdr [29]byte
	if _, err := r.ReadAt(ihdr[:], 0); err == nil && string(ihdr[12:16]) == "IHDR" && ihdr[28] == 0 {
		images = 1
	}
	return images*w*h*bpp + 2*(1+8*w)
}

// jpegCost is what image/jpeg allocates for a w×h JPEG: the planes of its
// components, rounded up to whole MCUs; for a progressive JPEG the DCT
// coefficients of every block, 256 bytes for 64 pixels of each component;
// and a 4-byte-a-pixel copy for CMYK and RGB images. It reads the frame
// header to know which; a header it cannot read costs as the worst case, a
// progressive 4-component JPEG without subsampling.
func jpegCost(r io.ReaderAt, size, w, h int64) int64 {
	hd, err := readJPEGHeader(io.NewSectionReader(r, 0, size))
	if err != nil || int64(hd.width) != w || int64(hd.height) != h {
		hd = jpegHeader{width: int(w), height: int(h), progressive: true,
			comps: []jpegComponent{{1, 1, 1}, {2, 1, 1}, {3, 1, 1}, {4, 1, 1}}}
	}
	nComp := len(hd.comps)
	h0, v0 := int64(hd.comps[0].h), int64(hd.comps[0].v)
	if nComp == 1 {
		// image/jpeg ignores the sampling factors of a grey image.
		h0, v0 = 1, 1
	}
	mxx, myy := (w+8*h0-1)/(8*h0), (h+8*v0-1)/(8*v0)
	pw, ph := 8*h0*mxx, 8*v0*myy // the padded size of the first component
	var n int64
	switch nComp {
	case 1:
		n = pw * ph
	default:
		hr, vr := h0/int64(hd.comps[1].h), v0/int64(hd.comps[1].v)
		n = pw*ph + 2*(pw/max(hr, 1))*(ph/max(vr, 1))
		if nComp == 4 {
			n += pw * ph // the black plane
		}
		// A CMYK image is copied to one of 4 bytes a pixel, and so is an
		// RGB one; a 3-component image without a JFIF marker may be RGB.
		if nComp == 4 || !hd.jfif {
			n += 4 * w * h
		}
	}
	if hd.progressive {
		for _, c := range hd.comps {
			ch, cv := int64(c.h), int64(c.v)
			if nComp == 1 {
				ch, cv = 1, 1
			}
			n += mxx * myy * ch * cv * 256
		}
	}
	return n
}

// jpegHeader is what jpegCost needs of a JPEG's header.
type jpegHeader struct {
	width, height int
	progressive   bool
	comps         []jpegComponent
	jfif          bool // an APP0 JFIF segment came before the first scan
}

// jpegComponent is a component of a JPEG frame, with its sampling factors.
type jpegComponent struct{ id, h, v byte }

// JPEG markers that readJPEGHeader tells apart.
const (
	markerSOI   = 0xd8
	markerEOI   = 0xd9
	markerSOF0  = 0xc0
	markerSOF1  = 0xc1
	markerSOF2  = 0xc2
	markerSOS   = 0xda
	markerAPP0  = 0xe0
	markerRST0  = 0xd0
	markerRST7  = 0xd7
	maxJPEGSkip = 1 << 16 // a segment's length is 16 bits
)

var errJPEGHeader = errors.New("not a JPEG header image/jpeg would decode")

// readJPEGHeader reads the segments of a JPEG up to its first scan the
// way image/jpeg does (extraneous bytes between segments skipped, fill
// bytes allowed), and returns its frame header and whether it is JFIF.
func readJPEGHeader(r io.Reader) (jpegHeader, error) {
	br := bufio.NewReaderSize(r, 4096)
	var hd jpegHeader
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil || soi[0] != 0xff || soi[1] != markerSOI {
		return hd, errJPEGHeader
	}
	for {
		var tmp [2]byte
		if _, err := io.ReadFull(br, tmp[:]); err != nil {
			return hd, errJPEGHeader
		}
		for tmp[0] != 0xff {
			tmp[0] = tmp[1]
			b, err := br.ReadByte()
			if err != nil {
				return hd, errJPEGHeader
			}
			tmp[1] = b
		}
		marker := tmp[1]
		if marker == 0 {
			continue
		}
		for marker == 0xff {
			b, err := br.ReadByte()
			if err != nil {
				return hd, errJPEGHeader
			}
			marker = b
		}
		if marker == markerEOI {
			return hd, errJPEGHeader
		}
		if markerRST0 <= marker && marker <= markerRST7 {
			continue
		}
		if _, err := io.ReadFull(br, tmp[:]); err != nil {
			return hd, errJPEGHeader
		}
		n := int(tmp[0])<<8 | int(tmp[1]) - 2
		if n < 0 {
			return hd, errJPEGHeader
		}
		switch marker {
		case markerSOF0, markerSOF1, markerSOF2:
			if hd.comps != nil {
				return hd, errJPEGHeader
			}
			if err := hd.readFrame(br, n, marker == markerSOF2); err != nil {
				return hd, err
			}
			continue
		case markerSOS:
			if hd.comps == nil {
				return hd, errJPEGHeader
			}
			return hd, nil
		case markerAPP0:
			if n >= 5 {
				var id [5]byte
				if _, err := io.ReadFull(br, id[:]); err != nil {
					return hd, errJPEGHeader
				}
				hd.jfif = hd.jfif || string(id[:]) == "JFIF\x00"
				n -= 5
			}
		}
		if _, err := br.Discard(n); err != nil {
			return hd, errJPEGHeader
		}
	}
}

// readFrame reads a frame header of n bytes, checking it as image/jpeg
// does: 8-bit samples, 1, 3 or 4 components, sampling factors of 1, 2 or 4.
func (hd *jpegHeader) readFrame(br *bufio.Reader, n int, progressive bool) error {
	if n != 6+3*1 && n != 6+3*3 && n != 6+3*4 {
		return errJPEGHeader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(br, b); err != nil {
		return errJPEGHeader
	}
	nComp := (n - 6) / 3
	if b[0] != 8 || int(b[5]) != nComp {
		return errJPEGHeader
	}
	hd.height, hd.width = int(b[1])<<8|int(b[2]), int(b[3])<<8|int(b[4])
	hd.progressive = progressive
	for i := range nComp {
		hv := b[7+3*i]
		c := jpegComponent{id: b[6+3*i], h: hv >> 4, v: hv & 0x0f}
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.h == 3 || c.v == 3 {
			return errJPEGHeader
		}
		hd.comps = append(hd.comps, c)
	}
	return nil
}

// checkBudget returns nil if decoding the image in r fits in budget, and
// otherwise an error wrapping ErrNoThumbnail, and ErrOverBudget as well when
// the image is too large.
func checkBudget(r io.ReaderAt, size int64, mediaType string, budget int64) error {
	cost, err := decodeCost(r, size, mediaType)
	if err != nil {
		return err
	}
	if cost > budget {
		return fmt.Errorf("%w: %w: about %d MiB, over the budget of %d MiB", ErrNoThumbnail, ErrOverBudget, (cost+1<<20-1)>>20, budget>>20)
	}
	return nil
}
