package ledger

import (
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestFrontierMatchesTlog checks the frontier against x/mod's reference
// implementation: the same stored hashes, with the same indexes, and the same
// tree hash at every size.
func TestFrontierMatchesTlog(t *testing.T) {
	stored := map[int64]tlog.Hash{}
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			h, ok := stored[x]
			if !ok {
				return nil, fmt.Errorf("hash %d not stored", x)
			}
			out[i] = h
		}
		return out, nil
	})
	var f frontier
	for n := int64(0); n < 1100; n++ {
		data := []byte(fmt.Sprintf("entry %d", n))
		want, err := tlog.StoredHashes(n, data, reader)
		if err != nil {
			t.Fatal(err)
		}
		var got []tlog.Hash
		next := tlog.StoredHashIndex(0, n)
		err = f.append(tlog.RecordHash(data), func(id int64, h tlog.Hash) error {
			if id != next {
				t.Fatalf("record %d: stored hash index %d, want %d", n, id, next)
			}
			next++
			got = append(got, h)
			stored[id] = h
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("record %d: stored hashes differ", n)
		}
		th, err := tlog.TreeHash(n+1, reader)
		if err != nil {
			t.Fatal(err)
		}
		if f.root() != th {
			t.Fatalf("size %d: root differs", n+1)
		}
	}
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "tile/0/x001/234.p/5", "tile/entries/000", "tile/entries/x123/067.p/255", "tile/1/000.p/256", "tile/9/000", "tile/entries/000.p/0", "tile/../000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tile, err := ParseTilePath(p)
		if err != nil {
			return
		}
		if tile.H != 8 || tile.W < 1 || tile.W > 256 || tile.L < -1 || tile.N < 0 {
			t.Fatalf("%q parsed to %+v", p, tile)
		}
		// What parses is the canonical path of its tile.
		if back, err := ParseTilePath(p); err != nil || back != tile {
			t.Fatalf("%q does not parse again", p)
		}
	})
}
