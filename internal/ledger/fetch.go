package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/sync/errgroup"
)

// MaxTileSize is the most bytes Fetcher accepts in one response: an entry
// bundle of a full tile's entries, each as long as a bundle can say.
const MaxTileSize = torchwood.TileWidth * (2 + 0xFFFF)

// Fetcher reads a log's tiles and checkpoint over HTTP, as
// torchwood.TileFetcher does, with two differences that matter to a
// client reading a whole log: a response is read into one buffer of the
// size the server states, not grown as it arrives (half the copying and
// the garbage, for the 750 MB of a million reports' bundles), and it is refused
// past MaxTileSize, so a hostile server cannot make the client hold more.
// Like torchwood's, it tries again after a network error, a 429 or a 5xx,
// up to five times, waiting 1, 5, 25 and 125 seconds or as Retry-After
// says.
type Fetcher struct {
	base string
	hc   *http.Client
	ua   string
}

var _ torchwood.TileReader = (*Fetcher)(nil)

// NewFetcher returns a Fetcher of the log at base, such as
// http://127.0.0.1:8080/log/, whose requests hc makes with userAgent.
func NewFetcher(base string, hc *http.Client, userAgent string) *Fetcher {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return &Fetcher{base: base, hc: hc, ua: userAgent}
}

// pause is how long to wait before try number j (from 1), unless
// Retry-After says otherwise: 1, 5, 25, 125 seconds.
func pause(j int) time.Duration {
	d := time.Second
	for range j - 1 {
		d *= 5
	}
	return d
}

// ReadTiles implements torchwood.TileReader, fetching the tiles at once.
func (f *Fetcher) ReadTiles(ctx context.Context, tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	if len(tiles) == 1 {
		var err error
		data[0], err = f.ReadEndpoint(ctx, torchwood.TilePath(tiles[0]))
		return data, err
	}
	g, ctx := errgroup.WithContext(ctx)
	for i, t := range tiles {
		g.Go(func() error {
			var err error
			data[i], err = f.ReadEndpoint(ctx, torchwood.TilePath(t))
			return err
		})
	}
	return data, g.Wait()
}

// SaveTiles implements torchwood.TileReader: it keeps nothing.
func (f *Fetcher) SaveTiles([]tlog.Tile, [][]byte) {}

// ReadEndpoint fetches path below the log's base.
func (f *Fetcher) ReadEndpoint(ctx context.Context, path string) ([]byte, error) {
	var errs error
	var wait time.Duration
	for j := range 5 {
		if j > 0 {
			if wait == 0 {
				wait = pause(j)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(wait):
			}
		}
		data, again, err := f.get(ctx, path)
		if err == nil {
			return data, nil
		}
		if again < 0 || ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		errs = errors.Join(errs, err)
		wait = again
	}
	return nil, fmt.Errorf("%s: %w", path, errs)
}

// get makes one request. again says whether to try again: -1 not, 0 after
// the usual pause, more after that long (the server's Retry-After).
func (f *Fetcher) get(ctx context.Context, path string) (data []byte, again time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.base+path, nil)
	if err != nil {
		return nil, -1, err
	}
	req.Header.Set("User-Agent", f.ua)
	resp, err := f.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("unexpected status code %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, -1, fmt.Errorf("unexpected status code %d", resp.StatusCode)
	case resp.ContentLength > MaxTileSize:
		return nil, -1, fmt.Errorf("the server sends %d bytes, more than a tile holds (%d)", resp.ContentLength, MaxTileSize)
	case resp.ContentLength >= 0:
		data = make([]byte, resp.ContentLength)
		if _, err := io.ReadFull(resp.Body, data); err != nil {
			return nil, 0, err
		}
		return data, 0, nil
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, MaxTileSize+1))
	if err != nil {
		return nil, 0, err
	}
	if len(data) > MaxTileSize {
		return nil, -1, fmt.Errorf("the server sends more than a tile holds (%d bytes)", MaxTileSize)
	}
	return data, 0, nil
}

// retryAfter returns how long a Retry-After header says to wait, or 0 if
// it says nothing that can be read.
func retryAfter(header string) time.Duration {
	if header == "" {
		return 0
	}
	if n, err := strconv.Atoi(header); err == nil && n >= 0 {
		return max(time.Duration(n)*time.Second, time.Nanosecond)
	}
	if t, err := http.ParseTime(header); err == nil {
		return max(time.Until(t), time.Nanosecond)
	}
	return 0
}
