package web_test

// This file checks the served log with a client built only on
// golang.org/x/mod/sumdb/tlog and note, the standard library and the
// c2sp.org/tlog-tiles and tlog-checkpoint specifications, so that the log is
// known to verify without any of sulh's own code.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tilesClient fetches c2sp.org/tlog-tiles from a base URL.
type tilesClient struct {
	t    *testing.T
	base string
}

func (c *tilesClient) get(path string) []byte {
	c.t.Helper()
	resp, err := http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: %s", path, resp.Status)
	}
	return b
}

// tilePath writes a tile's path as c2sp.org/tlog-tiles does, from the spec:
// the index in groups of three digits, all but the last prefixed with x.
func tilePath(t tlog.Tile) string {
	n := strconv.FormatInt(t.N, 10)
	for len(n)%3 != 0 {
		n = "0" + n
	}
	var parts []string
	for i := 0; i < len(n); i += 3 {
		parts = append(parts, "x"+n[i:i+3])
	}
	parts[len(parts)-1] = strings.TrimPrefix(parts[len(parts)-1], "x")
	p := strings.Join(parts, "/")
	if t.W < 1<<t.H {
		p += ".p/" + strconv.Itoa(t.W)
	}
	if t.L == -1 {
		return "tile/entries/" + p
	}
	return "tile/" + strconv.Itoa(t.L) + "/" + p
}

// ReadTiles implements tlog.TileReader.
func (c *tilesClient) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		out[i] = c.get("/log/" + tilePath(t))
	}
	return out, nil
}

func (c *tilesClient) Height() int                                { return 8 }
func (c *tilesClient) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// checkpoint fetches and verifies the checkpoint: origin, size, root hash.
func (c *tilesClient) checkpoint(v note.Verifier) tlog.Tree {
	c.t.Helper()
	n, err := note.Open(c.get("/log/checkpoint"), note.VerifierList(v))
	if err != nil {
		c.t.Fatalf("checkpoint does not verify: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != v.Name() {
		c.t.Fatalf("checkpoint origin %q, want %q", lines[0], v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		c.t.Fatal(err)
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil {
		c.t.Fatal(err)
	}
	return tlog.Tree{N: size, Hash: h}
}

// verifyAll checks every tile and every entry bundle of the tree.
func (c *tilesClient) verifyAll(tree tlog.Tree) {
	c.t.Helper()
	// TileHashReader authenticates each tile it reads against the tree hash.
	hr := tlog.TileHashReader(tree, c)
	for start := int64(0); start < tree.N; start += 256 {
		w := min(tree.N-start, 256)
		bundle := c.get("/log/" + tilePath(tlog.Tile{H: 8, L: -1, N: start / 256, W: int(w)}))
		idx := make([]int64, w)
		for i := range idx {
			idx[i] = tlog.StoredHashIndex(0, start+int64(i))
		}
		want, err := hr.ReadHashes(idx)
		if err != nil {
			c.t.Fatalf("tiles for entries %d+: %v", start, err)
		}
		for i := range w {
			if len(bundle) < 2 {
				c.t.Fatalf("entry bundle at %d is short", start)
			}
			l := int(binary.BigEndian.Uint16(bundle))
			entry := bundle[2 : 2+l]
			bundle = bundle[2+l:]
			if tlog.RecordHash(entry) != want[i] {
				c.t.Fatalf("entry %d does not match the tree", start+i)
			}
		}
		if len(bundle) != 0 {
			c.t.Fatalf("entry bundle at %d has trailing bytes", start)
		}
	}
}

func TestIndependentClient(t *testing.T) {
	ctx := context.Background()
	m, srv := newServer(t)
	c := &tilesClient{t: t, base: srv.URL}
	v, err := note.NewVerifier(strings.TrimSpace(string(c.get("/log/key"))))
	if err != nil {
		t.Fatal(err)
	}
	// Grow the log past one full tile at level 0 so that full, partial and
	// level-1 tiles are all exercised.
	for i := range 300 {
		submitReport(t, m, i)
	}
	old := c.checkpoint(v)
	c.verifyAll(old)
	for i := 300; i < 700; i++ {
		submitReport(t, m, i)
	}
	cur := c.checkpoint(v)
	if cur.N != old.N+400 {
		t.Fatalf("tree grew from %d to %d, want +400", old.N, cur.N)
	}
	c.verifyAll(cur)

	// Consistency, computed from the tiles alone.
	p, err := tlog.ProveTree(cur.N, old.N, tlog.TileHashReader(cur, c))
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(p, cur.N, cur.Hash, old.N, old.Hash); err != nil {
		t.Fatalf("tiles: consistency: %v", err)
	}
	// And as the API serves it.
	var cr struct{ Proof tlog.TreeProof }
	if err := json.Unmarshal(c.get(fmt.Sprintf("/api/v1/proofs/consistency?from=%d&to=%d", old.N, cur.N)), &cr); err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(cr.Proof, cur.N, cur.Hash, old.N, old.Hash); err != nil {
		t.Fatalf("API: consistency: %v", err)
	}
	// Inclusion of an entry, as the API serves it.
	var sr struct {
		Entry          string
		TreeSize       int64            `json:"tree_size"`
		InclusionProof tlog.RecordProof `json:"inclusion_proof"`
	}
	if err := json.Unmarshal(c.get("/api/v1/statements/450"), &sr); err != nil {
		t.Fatal(err)
	}
	if sr.TreeSize != cur.N {
		t.Fatalf("proof for size %d, want %d", sr.TreeSize, cur.N)
	}
	if err := tlog.CheckRecord(sr.InclusionProof, cur.N, cur.Hash, 450, tlog.RecordHash([]byte(sr.Entry))); err != nil {
		t.Fatalf("inclusion: %v", err)
	}
	if !bytes.HasPrefix([]byte(sr.Entry), []byte("sulh-statement/v1\n")) {
		t.Fatalf("entry 450 is not a statement: %q", sr.Entry)
	}
	_ = ctx
}
