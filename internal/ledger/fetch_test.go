package ledger_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/ledger"
)

// TestFetcher serves tiles as a server may, with and without their length,
// failing at first, too large or not at all, and checks what the Fetcher
// makes of each.
func TestFetcher(t *testing.T) {
	bundle := bytes.Repeat([]byte("entry bytes "), 10000)
	var requests atomic.Int64
	var failed atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/log/tile/entries/000", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.UserAgent() != "sulh test" {
			http.Error(w, "no user agent", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(bundle)))
		w.Write(bundle)
	})
	mux.HandleFunc("/log/tile/entries/001", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		// No length: sent in chunks.
		for chunk := range slices.Chunk(bundle, 4096) {
			w.Write(chunk)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/log/tile/entries/002", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if !failed.Swap(true) {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Write(bundle)
	})
	mux.HandleFunc("/log/tile/entries/003", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Length", strconv.Itoa(ledger.MaxTileSize+1))
		w.Write(make([]byte, ledger.MaxTileSize+1))
	})
	mux.HandleFunc("/log/tile/entries/004", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		for range ledger.MaxTileSize/65536 + 1 {
			w.Write(make([]byte, 65536))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/log/tile/entries/005", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Retry-After", "0")
		http.Error(w, "down", http.StatusBadGateway)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := ledger.NewFetcher(srv.URL+"/log", srv.Client(), "sulh test")
	ctx := context.Background()
	tile := func(n int64) tlog.Tile {
		return tlog.Tile{H: torchwood.TileHeight, L: -1, N: n, W: torchwood.TileWidth}
	}

	for _, n := range []int64{0, 1, 2} {
		requests.Store(0)
		data, err := f.ReadTiles(ctx, []tlog.Tile{tile(n)})
		if err != nil || len(data) != 1 || !bytes.Equal(data[0], bundle) {
			t.Fatalf("tile %d: %v", n, err)
		}
		if want := map[int64]int64{0: 1, 1: 1, 2: 2}[n]; requests.Load() != want {
			t.Errorf("tile %d: %d requests, want %d", n, requests.Load(), want)
		}
	}
	data, err := f.ReadTiles(ctx, []tlog.Tile{tile(0), tile(1)})
	if err != nil || !bytes.Equal(data[0], bundle) || !bytes.Equal(data[1], bundle) {
		t.Fatalf("two tiles at once: %v", err)
	}
	// Only a server error is tried again, five times in all; tile 6 has
	// no handler, so its 404 counts no request.
	for n, want := range map[int64]struct {
		err      string
		requests int64
	}{
		3: {"more than a tile holds", 1},
		4: {"more than a tile holds", 1},
		5: {"unexpected status code 502", 5},
		6: {"unexpected status code 404", 0},
	} {
		requests.Store(0)
		_, err := f.ReadTiles(ctx, []tlog.Tile{tile(n)})
		if err == nil || !strings.Contains(err.Error(), want.err) || !strings.Contains(err.Error(), torchwood.TilePath(tile(n))) {
			t.Errorf("tile %d: %v, want an error that names it and says %q", n, err, want.err)
		}
		if requests.Load() != want.requests {
			t.Errorf("tile %d: %d requests, want %d", n, requests.Load(), want.requests)
		}
	}

	// A server that is gone is tried again after a pause, which a
	// cancelled context cuts short.
	srv.Close()
	ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := f.ReadEndpoint(ctx, "checkpoint"); err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("a server that is gone: %v after %v", err, time.Since(start))
	}
}
