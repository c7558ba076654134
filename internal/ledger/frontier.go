package ledger

import "golang.org/x/mod/sumdb/tlog"

// frontier is the right edge of an RFC 6962 Merkle tree: the roots of its
// complete subtrees, largest first. It appends leaves and computes the tree
// hash without reading any stored hash.
type frontier struct {
	n     int64
	roots []tlog.Hash
}

// append adds the leaf with hash leaf and calls emit for each hash that
// becomes stored: the leaf itself and every subtree it completes, in the
// order and with the indexes of tlog.StoredHashes.
func (f *frontier) append(leaf tlog.Hash, emit func(id int64, h tlog.Hash) error) error {
	if err := emit(tlog.StoredHashIndex(0, f.n), leaf); err != nil {
		return err
	}
	h := leaf
	level, idx := 0, f.n
	for idx&1 == 1 {
		left := f.roots[len(f.roots)-1]
		f.roots = f.roots[:len(f.roots)-1]
		h = tlog.NodeHash(left, h)
		level++
		idx >>= 1
		if err := emit(tlog.StoredHashIndex(level, idx), h); err != nil {
			return err
		}
	}
	f.roots = append(f.roots, h)
	f.n++
	return nil
}

// root returns the tree hash.
func (f *frontier) root() tlog.Hash {
	if len(f.roots) == 0 {
		return tlog.Hash{}
	}
	h := f.roots[len(f.roots)-1]
	for i := len(f.roots) - 2; i >= 0; i-- {
		h = tlog.NodeHash(f.roots[i], h)
	}
	return h
}
