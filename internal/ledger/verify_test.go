package ledger_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/statement"
)

// logReader serves a log's checkpoint and tiles to Verify, as the log's
// server does, each passed through tamper if it is set.
type logReader struct {
	l      *ledger.Log
	tamper func(t tlog.Tile, data []byte) []byte
}

func (r *logReader) ReadTiles(ctx context.Context, tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := r.l.Tile(ctx, t)
		if err != nil {
			return nil, err
		}
		if r.tamper != nil {
			data = r.tamper(t, data)
		}
		out[i] = data
	}
	return out, nil
}

func (r *logReader) ReadEndpoint(ctx context.Context, path string) ([]byte, error) {
	if path != "checkpoint" {
		return nil, fmt.Errorf("no endpoint %q", path)
	}
	return r.l.Checkpoint().Signed, nil
}

func (r *logReader) SaveTiles([]tlog.Tile, [][]byte) {}

// verifyLog is a log of three entry bundles, the last one partial, in which
// statements are signed by keys enrolled or rotated in within their own
// bundle or the bundle before, where the keys known before the bundle do
// not verify them.
type verifyLog struct {
	m    *demo.Mechanism
	size int64
	// newKeys are the entries signed by a key that the keys known at the
	// start of their bundle, or of the bundle before, lack.
	newKeys []int64
}

func mustVerifyLog(t *testing.T) *verifyLog {
	t.Helper()
	ctx := context.Background()
	m, _ := newMechanism(t)
	if err := m.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	vl := &verifyLog{m: m}
	i := 0
	submit := func(msg []byte) int64 {
		t.Helper()
		r, err := m.Log.Submit(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		return r.Index
	}
	reportsUntil := func(size int64) {
		t.Helper()
		for m.Log.Checkpoint().N < size {
			i++
			author := "pakistan-liaison-1"
			if i%2 == 0 {
				author = "afghanistan-liaison-1"
			}
			submit(report(t, m, author, i))
		}
	}
	reportsUntil(300)
	// A member enrolled in the middle of the second bundle files a report
	// in the same bundle, and one in the next.
	if _, err := m.Enrol(ctx, "pakistan", "pakistan-liaison-2", "Second liaison officer of Pakistan", demo.Start.Add(time.Hour), "reporter"); err != nil {
		t.Fatal(err)
	}
	i++
	vl.newKeys = append(vl.newKeys, submit(report(t, m, "pakistan-liaison-2", i)))
	// A member rotates its key and signs with the new one at once.
	skey, vkey, err := note.GenerateKey(rand.Reader, "afghanistan-liaison-1")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	obj := fmt.Sprintf(`{"mechanism":"pak-afg-2025","kind":"key.rotate","author":"afghanistan-liaison-1","at":"2025-10-21T00:00:00Z","refs":[],"member":"afghanistan-liaison-1","key":%q}`, vkey)
	msg, err := statement.Sign([]byte(obj), m.Keys.Signer("afghanistan-liaison-1"), rotated)
	if err != nil {
		t.Fatal(err)
	}
	vl.newKeys = append(vl.newKeys, submit(msg))
	m.Keys.Signers["afghanistan-liaison-1"] = rotated
	i++
	vl.newKeys = append(vl.newKeys, submit(report(t, m, "afghanistan-liaison-1", i)))
	reportsUntil(520)
	i++
	vl.newKeys = append(vl.newKeys, submit(report(t, m, "pakistan-liaison-2", i)))
	reportsUntil(600)
	vl.size = m.Log.Checkpoint().N
	for _, idx := range vl.newKeys {
		if idx < torchwood.TileWidth {
			t.Fatalf("entry %d signed by a new key is in the first bundle", idx)
		}
	}
	return vl
}

func (vl *verifyLog) verifier(t *testing.T) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(vl.m.Log.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifyKeysEnrolledInTheBundle(t *testing.T) {
	vl := mustVerifyLog(t)
	var done []int64
	cp, err := ledger.Verify(context.Background(), &logReader{l: vl.m.Log.Log}, vl.verifier(t), ledger.VerifyOptions{
		Progress: func(n, total int64) {
			if total != vl.size {
				t.Errorf("progress: total %d, want %d", total, vl.size)
			}
			done = append(done, n)
		},
	})
	if err != nil {
		t.Fatalf("Verify: %v (entries signed by new keys: %v)", err, vl.newKeys)
	}
	if cp.N != vl.size || cp.Hash != vl.m.Log.Checkpoint().Hash {
		t.Errorf("Verify: checkpoint %d %v, want %d %v", cp.N, cp.Hash, vl.size, vl.m.Log.Checkpoint().Hash)
	}
	if want := []int64{256, 512, vl.size}; fmt.Sprint(done) != fmt.Sprint(want) {
		t.Errorf("progress after each bundle: %v, want %v", done, want)
	}
}

// tamperSignature changes a bit of the first signature of entry idx in its
// entry bundle, leaving a well-formed note whose signature does not verify.
func tamperSignature(t *testing.T, idx int64) func(tlog.Tile, []byte) []byte {
	return func(tile tlog.Tile, data []byte) []byte {
		if tile.L != -1 || tile.N != idx/torchwood.TileWidth {
			return data
		}
		var out []byte
		for i := tile.N * torchwood.TileWidth; len(data) > 0; i++ {
			entry, rest, err := torchwood.ReadTileEntry(data)
			if err != nil {
				t.Errorf("bundle %d: %v", tile.N, err)
				return nil
			}
			data = rest
			if i == idx {
				entry = bytes.Clone(entry)
				sigs := bytes.LastIndex(entry, []byte("\n\n"))
				line, _, _ := bytes.Cut(entry[sigs+2:], []byte("\n"))
				fields := strings.Fields(string(line)) // "—", name, base64
				sig, err := base64.StdEncoding.DecodeString(fields[2])
				if err != nil {
					t.Errorf("entry %d: %v", idx, err)
					return nil
				}
				sig[len(sig)-1] ^= 1
				tampered := fmt.Sprintf("%s %s %s", fields[0], fields[1], base64.StdEncoding.EncodeToString(sig))
				entry = bytes.Replace(entry, line, []byte(tampered), 1)
			}
			if out, err = torchwood.AppendTileEntry(out, entry); err != nil {
				t.Errorf("bundle %d: %v", tile.N, err)
				return nil
			}
		}
		return out
	}
}

func TestVerifyTamperedSignature(t *testing.T) {
	vl := mustVerifyLog(t)
	for _, tc := range []struct {
		name     string
		tampered []int64
		want     int64
	}{
		{"first bundle", []int64{100}, 100},
		{"middle of a bundle", []int64{356}, 356},
		{"first of a bundle", []int64{256}, 256},
		{"last of a bundle", []int64{511}, 511},
		{"signed by a key enrolled in the bundle", vl.newKeys[:1], vl.newKeys[0]},
		{"last bundle", []int64{vl.size - 2}, vl.size - 2},
		{"last entry of the log", []int64{vl.size - 1}, vl.size - 1},
		{"two bundles", []int64{530, 357}, 357},
		{"one bundle twice", []int64{420, 380}, 380},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tampers []func(tlog.Tile, []byte) []byte
			for _, idx := range tc.tampered {
				tampers = append(tampers, tamperSignature(t, idx))
			}
			r := &logReader{l: vl.m.Log.Log, tamper: func(tile tlog.Tile, data []byte) []byte {
				for _, f := range tampers {
					data = f(tile, data)
				}
				return data
			}}
			_, err := ledger.Verify(context.Background(), r, vl.verifier(t), ledger.VerifyOptions{})
			var ve *ledger.VerifyError
			if !errors.As(err, &ve) || ve.Index != tc.want {
				t.Fatalf("Verify: got %v, want an error for entry %d", err, tc.want)
			}
			if want := fmt.Sprintf("entry %d: not a valid statement: signature by key", tc.want); !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "does not verify") {
				t.Errorf("Verify: got %q, want %q… does not verify", err, want)
			}
			if code(err) != statement.CodeForbidden {
				t.Errorf("Verify: got code %q, want %q", code(err), statement.CodeForbidden)
			}
		})
	}
}

// TestVerifyStopsOnCancel checks that Verify returns when its context is
// cancelled in the middle of the log, and leaves no fetch running.
func TestVerifyStopsOnCancel(t *testing.T) {
	vl := mustVerifyLog(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := ledger.Verify(ctx, &logReader{l: vl.m.Log.Log}, vl.verifier(t), ledger.VerifyOptions{
		Progress: func(done, total int64) {
			if done == torchwood.TileWidth {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify after cancel: got %v, want context.Canceled", err)
	}
}

// rewriteBundle returns a tamper function that passes the entries of entry
// bundle n through f, and the other tiles unchanged.
func rewriteBundle(t *testing.T, n int64, f func(entries [][]byte) [][]byte) func(tlog.Tile, []byte) []byte {
	return func(tile tlog.Tile, data []byte) []byte {
		if tile.L != -1 || tile.N != n {
			return data
		}
		var entries [][]byte
		for len(data) > 0 {
			entry, rest, err := torchwood.ReadTileEntry(data)
			if err != nil {
				t.Errorf("bundle %d: %v", n, err)
				return nil
			}
			entries, data = append(entries, entry), rest
		}
		var out []byte
		for _, entry := range f(entries) {
			var err error
			if out, err = torchwood.AppendTileEntry(out, entry); err != nil {
				t.Errorf("bundle %d: %v", n, err)
				return nil
			}
		}
		return out
	}
}

// TestVerifyTamperedTiles checks that Verify refuses entry bundles and tree
// tiles that are cut short, padded or rewritten, naming the first entry
// concerned, wherever in the pipeline the tile is checked.
func TestVerifyTamperedTiles(t *testing.T) {
	vl := mustVerifyLog(t)
	last := (vl.size - 1) / torchwood.TileWidth // the partial bundle
	flipHash := func(level int, n int64, i int) func(tlog.Tile, []byte) []byte {
		return func(tile tlog.Tile, data []byte) []byte {
			if tile.L != level || tile.N != n {
				return data
			}
			data = bytes.Clone(data)
			data[i*tlog.HashSize] ^= 1
			return data
		}
	}
	for _, tc := range []struct {
		name   string
		tamper func(tlog.Tile, []byte) []byte
		want   int64
		msg    string
	}{
		{"bundle cut short", func(tile tlog.Tile, data []byte) []byte {
			if tile.L == -1 && tile.N == 1 {
				return data[:len(data)-1]
			}
			return data
		}, 2*torchwood.TileWidth - 1, "entry bundle tile/entries/001"},
		{"partial bundle cut short", func(tile tlog.Tile, data []byte) []byte {
			if tile.L == -1 && tile.N == last {
				return data[:len(data)-3]
			}
			return data
		}, vl.size - 1, "entry bundle tile/entries/002.p/"},
		{"bundle padded", func(tile tlog.Tile, data []byte) []byte {
			if tile.L == -1 && tile.N == 1 {
				return append(bytes.Clone(data), 0, 0)
			}
			return data
		}, 2*torchwood.TileWidth - 1, "2 bytes after its last entry"},
		{"two entries swapped", rewriteBundle(t, 1, func(entries [][]byte) [][]byte {
			entries[10], entries[11] = entries[11], entries[10]
			return entries
		}), torchwood.TileWidth + 10, "different hash for this entry"},
		{"level-0 tile lies about one entry", flipHash(0, 1, 37), torchwood.TileWidth + 37, "the log's tile tile/0/001 has a different hash for this entry"},
		{"level-0 tile lies about the log's last entry", flipHash(0, last, int((vl.size-1)%torchwood.TileWidth)), vl.size - 1, "different hash for this entry"},
		{"level-1 tile lies", flipHash(1, 0, 1), torchwood.TileWidth, fmt.Sprintf("different hash for the subtree of entries %d to %d", torchwood.TileWidth, 2*torchwood.TileWidth-1)},
		{"level-0 tile short", func(tile tlog.Tile, data []byte) []byte {
			if tile.L == 0 && tile.N == 1 {
				return data[:len(data)-tlog.HashSize]
			}
			return data
		}, torchwood.TileWidth, "has 8160 bytes, want 8192"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ledger.Verify(context.Background(), &logReader{l: vl.m.Log.Log, tamper: tc.tamper}, vl.verifier(t), ledger.VerifyOptions{})
			var ve *ledger.VerifyError
			if !errors.As(err, &ve) || ve.Index != tc.want {
				t.Fatalf("Verify: got %v, want an error for entry %d", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Verify: got %q, want it to say %q", err, tc.msg)
			}
		})
	}
}

// failingReader fails to fetch one tile.
type failingReader struct {
	logReader
	fail tlog.Tile
}

func (r *failingReader) ReadTiles(ctx context.Context, tiles []tlog.Tile) ([][]byte, error) {
	for _, t := range tiles {
		if t == r.fail {
			return nil, errors.New("connection reset")
		}
	}
	return r.logReader.ReadTiles(ctx, tiles)
}

// TestVerifyFetchFails checks that a tile that cannot be fetched, an entry
// bundle or a tree tile, stops Verify with an error naming it.
func TestVerifyFetchFails(t *testing.T) {
	vl := mustVerifyLog(t)
	for _, tc := range []struct {
		tile tlog.Tile
		want int64
	}{
		{tlog.Tile{H: torchwood.TileHeight, L: -1, N: 1, W: torchwood.TileWidth}, torchwood.TileWidth},
		{tlog.Tile{H: torchwood.TileHeight, L: 0, N: 1, W: torchwood.TileWidth}, torchwood.TileWidth},
		{tlog.Tile{H: torchwood.TileHeight, L: 1, N: 0, W: int(vl.size / torchwood.TileWidth)}, 0},
	} {
		t.Run(torchwood.TilePath(tc.tile), func(t *testing.T) {
			r := &failingReader{logReader: logReader{l: vl.m.Log.Log}, fail: tc.tile}
			_, err := ledger.Verify(context.Background(), r, vl.verifier(t), ledger.VerifyOptions{})
			var ve *ledger.VerifyError
			if !errors.As(err, &ve) || ve.Index != tc.want || !strings.Contains(err.Error(), "couldn't fetch "+torchwood.TilePath(tc.tile)) {
				t.Fatalf("Verify: got %v, want an error for entry %d fetching %s", err, tc.want, torchwood.TilePath(tc.tile))
			}
		})
	}
}
