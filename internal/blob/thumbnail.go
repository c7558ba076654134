package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
)

// ThumbnailName is the name of an image's thumbnail among its working
// copies.
const ThumbnailName = "thumbnail.jpg"

// ThumbnailSize is the longest side of a thumbnail, in pixels.
const ThumbnailSize = 320

// thumbnailFailed is the marker, among an original's working copies, of an
// image no thumbnail could be made of; it holds the reason. Its leading dot
// keeps it from every name a member may give a copy.
const thumbnailFailed = ".thumbnail-failed"

// ErrNoThumbnail is returned for a file Thumbnail cannot make a thumbnail
// of: not a JPEG, PNG or GIF image, one that does not decode, or one too
// large to decode within ImageBudget.
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

// Thumbnailable reports whether the store makes thumbnails of files of this
// media type.
func Thumbnailable(mediaType string) bool {
	_, ok := imageDecoders[mediaType]
	return ok
}

// ThumbnailFailure returns why no thumbnail can be made of the original
// hash, if making one failed before, and "" otherwise.
func (s *Store) ThumbnailFailure(hash string) string {
	if !ValidHash(hash) {
		return ""
	}
	b, err := fs.ReadFile(s.root.FS(), derivedPath(hash, thumbnailFailed))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// maxThumbnailBytes bounds the files MakeThumbnail decodes: a small header
// can claim little memory and still take long to decode if the file holds
// many scans.
const maxThumbnailBytes = 64 << 20

// Thumbnail makes a JPEG whose longest side is at most ThumbnailSize pixels
// from the JPEG, PNG or GIF image in r, averaging the pixels each one
// covers. It refuses, before decoding anything, an image whose decoding
// would take more than ImageBudget bytes.
func Thumbnail(r io.ReaderAt, size int64, mediaType string) ([]byte, error) {
	return thumbnail(r, size, mediaType, ImageBudget)
}

func thumbnail(r io.ReaderAt, size int64, mediaType string, budget int64) ([]byte, error) {
	if err := checkBudget(r, size, mediaType, budget); err != nil {
		return nil, err
	}
	img, err := imageDecoders[mediaType].decode(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoThumbnail, err)
	}
	// Read each pixel without boxing its colour in an interface.
	at := func(x, y int) (r, g, b uint32) {
		r, g, b, _ = img.At(x, y).RGBA()
		return
	}
	if img, ok := img.(image.RGBA64Image); ok {
		at = func(x, y int) (uint32, uint32, uint32) {
			c := img.RGBA64At(x, y)
			return uint32(c.R), uint32(c.G), uint32(c.B)
		}
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
					cr, cg, cb := at(xx, yy)
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
// copies, unless it has one. For an original no thumbnail can be made of it
// returns an error wrapping ErrNoThumbnail; an image that failed once is
// remembered as failed and not decoded again.
func (s *Store) MakeThumbnail(ctx context.Context, hash string) error {
	if err := checkHash(hash); err != nil {
		return err
	}
	if d, _, err := s.OpenDerived(hash, ThumbnailName); err == nil {
		d.Close()
		return nil
	}
	if why := s.ThumbnailFailure(hash); why != "" {
		return fmt.Errorf("%w: it failed before: %s", ErrNoThumbnail, why)
	}
	f, info, err := s.openOriginal(hash)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, ok := imageDecoders[info.MediaType]; !ok {
		return ErrNoThumbnail
	}
	if info.Size > maxThumbnailBytes {
		return s.thumbnailFailed(hash, fmt.Errorf("%w: the file is over %d MiB", ErrNoThumbnail, maxThumbnailBytes>>20))
	}
	// A thumbnail of altered content would mislead: check the hash first,
	// then decode from the file rather than from memory.
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("couldn't read %s: %w", hash, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != hash {
		return fmt.Errorf("%w: %s now hashes to %s", ErrCorrupt, hash, got)
	}
	t, err := Thumbnail(f, info.Size, info.MediaType)
	if errors.Is(err, ErrNoThumbnail) {
		return s.thumbnailFailed(hash, err)
	}
	if err != nil {
		return err
	}
	_, err = s.putDerived(ctx, hash, ThumbnailName, nil, bytes.NewReader(t), int64(len(t)))
	return err
}

// thumbnailFailed remembers that no thumbnail can be made of hash, and
// returns why.
func (s *Store) thumbnailFailed(hash string, why error) error {
	if err := s.writeDerivedFile(hash, thumbnailFailed, []byte(why.Error()+"\n")); err != nil {
		return fmt.Errorf("%w (and couldn't remember it: %v)", why, err)
	}
	return why
}

// ThumbnailHooks are called by the store's thumbnail worker, on its own
// goroutine: Start before it makes a thumbnail, Done after, with the
// result (nil when the thumbnail was made or was there already). A slow
// hook delays the next thumbnail.
type ThumbnailHooks struct {
	Start func(hash string)
	Done  func(hash string, err error)
}

// thumbnailQueueLen is how many thumbnails may wait to be made.
const thumbnailQueueLen = 64

// thumbnailer makes thumbnails one at a time on a goroutine of its own,
// started by the first thumbnail queued, so that decoding images never
// holds up an answer and only one image is decoded at a time.
type thumbnailer struct {
	mu      sync.Mutex
	queue   chan string
	pending map[string]bool // queued or being made
	hooks   ThumbnailHooks
	started bool
	closed  bool
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{} // closed when the worker has stopped
}

// SetThumbnailHooks sets the hooks of the thumbnail worker, replacing any
// set before.
func (s *Store) SetThumbnailHooks(h ThumbnailHooks) {
	s.thumbs.mu.Lock()
	defer s.thumbs.mu.Unlock()
	s.thumbs.hooks = h
}

// QueueThumbnail asks for a thumbnail of the original hash to be made in
// the background, and returns at once. It reports false if the queue is
// full or the store closed: a later QueueThumbnail, or the server's scan,
// will make it then. A thumbnail there already, or an image that failed
// before, costs the worker a look at the folder and nothing more.
func (s *Store) QueueThumbnail(hash string) bool {
	return s.queueThumbnail(context.Background(), hash, false)
}

// queueThumbnail queues hash, waiting for room until ctx is done if wait.
func (s *Store) queueThumbnail(ctx context.Context, hash string, wait bool) bool {
	t := &s.thumbs
	t.mu.Lock()
	if t.closed || !ValidHash(hash) {
		t.mu.Unlock()
		return false
	}
	if t.pending[hash] {
		t.mu.Unlock()
		return true
	}
	if !t.started {
		t.started = true
		t.queue = make(chan string, thumbnailQueueLen)
		t.pending = map[string]bool{}
		t.ctx, t.cancel = context.WithCancel(context.Background())
		t.done = make(chan struct{})
		go s.thumbnailWorker()
	}
	t.pending[hash] = true
	select {
	case t.queue <- hash:
		t.mu.Unlock()
		return true
	default:
	}
	if !wait {
		delete(t.pending, hash)
		t.mu.Unlock()
		return false
	}
	queue, stop := t.queue, t.ctx.Done()
	t.mu.Unlock()
	// Nothing closes the queue, so waiting outside the lock is safe.
	select {
	case queue <- hash:
		return true
	case <-ctx.Done():
	case <-stop:
	}
	t.mu.Lock()
	delete(t.pending, hash)
	t.mu.Unlock()
	return false
}

func (s *Store) thumbnailWorker() {
	t := &s.thumbs
	defer close(t.done)
	for {
		select {
		case <-t.ctx.Done():
			return
		case hash := <-t.queue:
			if t.ctx.Err() != nil {
				return
			}
			t.mu.Lock()
			hooks := t.hooks
			t.mu.Unlock()
			if hooks.Start != nil {
				hooks.Start(hash)
			}
			err := s.makeThumbnailSafely(t.ctx, hash)
			t.mu.Lock()
			delete(t.pending, hash)
			t.mu.Unlock()
			if hooks.Done != nil {
				hooks.Done(hash, err)
			}
		}
	}
}

// makeThumbnailSafely is MakeThumbnail, with a decoder's panic, on input
// it did not foresee, taken as the image's failure rather than the
// server's.
func (s *Store) makeThumbnailSafely(ctx context.Context, hash string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = s.thumbnailFailed(hash, fmt.Errorf("%w: the decoder failed: %v", ErrNoThumbnail, p))
		}
	}()
	return s.MakeThumbnail(ctx, hash)
}

// stopThumbnails stops the worker, waiting for the thumbnail it is making;
// the queued ones are dropped.
func (s *Store) stopThumbnails() {
	t := &s.thumbs
	t.mu.Lock()
	t.closed = true
	started := t.started
	t.mu.Unlock()
	if started {
		t.cancel()
		<-t.done
	}
}

// QueueMissingThumbnails queues a thumbnail of every JPEG, PNG and GIF
// original that has none and has not failed before, waiting for room in
// the queue, until ctx is done. It returns how many it queued.
func (s *Store) QueueMissingThumbnails(ctx context.Context) (int, error) {
	fsys := s.root.FS()
	prefixes, err := fs.ReadDir(fsys, originalsDir)
	if err != nil {
		return 0, fmt.Errorf("couldn't list the originals: %w", err)
	}
	queued := 0
	for _, d := range prefixes {
		files, err := fs.ReadDir(fsys, path.Join(originalsDir, d.Name()))
		if err != nil {
			continue
		}
		for _, f := range files {
			hash := f.Name()
			if !ValidHash(hash) || !f.Type().IsRegular() {
				continue
			}
			if _, err := s.root.Lstat(derivedPath(hash, ThumbnailName)); err == nil {
				continue
			}
			if _, err := s.root.Lstat(derivedPath(hash, thumbnailFailed)); err == nil {
				continue
			}
			info, err := s.Stat(hash)
			if _, ok := imageDecoders[info.MediaType]; err != nil || !ok {
				continue
			}
			if err := ctx.Err(); err != nil {
				return queued, err
			}
			if !s.queueThumbnail(ctx, hash, true) {
				return queued, ctx.Err()
			}
			queued++
		}
	}
	return queued, nil
}
