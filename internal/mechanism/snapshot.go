package mechanism

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/statement"
)

// A snapshot is a State as bytes, so that a server can start from it and
// replay only the entries after it instead of the whole log.
//
// Version 3 is:
//
//	magic     the 8 bytes "sulhsnap"
//	version   4 bytes, big-endian
//	head      a block: Size, Time, the rulebook (its JSON), keys, members,
//	          the length of the heap of open deadlines, commitments with
//	          their deadlines, actions, evidence, tokens, sealed items, and
//	          the number of case blocks
//	cases     that many blocks of cases (up to caseBlock, as written), in
//	          increasing order of their ids, with their latest finding's
//	          outcome, party and confidence, and their deadlines; each
//	          starts with its numbers of cases, deadlines, strings in lists
//	          and numbers in lists, 8 bytes each, big-endian
//	tail      a block: the leaf hashes, and the text hashes by the index of
//	          their first statement
//	registries a block: the registries of rules 3 (registry.go), as JSON
//	checksum  the SHA-256 of everything before it
//
// A block is the length of its content (8 bytes, big-endian), its content,
// and the strings it uses: their number, then each one's length and bytes.
// Version 1 had no confidence of a case's latest finding; version 2 no
// registries.
// In the content a string is its number in that list, counting from 1; 0
// is "". Blocks are written and read on every core at once.
//
// Numbers are varints (encoding/binary), zig-zag when signed. A time is its
// Unix seconds and nanoseconds, in UTC. A list that may be nil is its
// length plus one, and 0 when nil. Maps are in increasing order of their
// keys, so that a state has one snapshot. A deadline is written where it
// belongs, in its case or its commitment, with its place in the heap of
// open deadlines plus one (0 when it is not open), so that it is shared
// with the heap again, in the same order, when it is read back.

// SnapshotVersion is the version of the snapshot format MarshalSnapshot
// writes, and the only one UnmarshalSnapshot reads.
const SnapshotVersion = 3

const (
	snapshotMagic = "sulhsnap"
	// snapshotHeader is the length of the magic and the version.
	snapshotHeader = len(snapshotMagic) + 4
	// caseBlock is the most cases a block holds.
	caseBlock = 1 << 15
	// caseBlockHeader is the length of a case block's numbers.
	caseBlockHeader = 4 * 8
)

// MarshalSnapshot returns s as a snapshot that UnmarshalSnapshot reads
// back: everything the state carries from one Apply to the next, so that
// applying the same statements to either gives the same results. The same
// state always gives the same bytes. What the last Apply changed (Changed,
// Payload, Signers and the like) is not kept.
func (s *State) MarshalSnapshot() ([]byte, error) {
	b, err := s.marshalSnapshot(caseBlock)
	if err != nil {
		return nil, fmt.Errorf("couldn't write snapshot: %w", err)
	}
	return b, nil
}

// marshalSnapshot writes s with up to perBlock cases in a block.
func (s *State) marshalSnapshot(perBlock int) ([]byte, error) {
	if s.Size < 0 || int64(len(s.leaves)) != s.Size {
		return nil, fmt.Errorf("the state has size %d and %d leaf hashes", s.Size, len(s.leaves))
	}
	cases := byIndex(s.cases, s.Size)
	blocks := make([]*snapWriter, (len(cases)+perBlock-1)/perBlock)
	errs := make([]error, len(blocks))
	// The case blocks on every core, and the tail here meanwhile.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(blocks)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(blocks); i = int(next.Add(1) - 1) {
				part := cases[i*perBlock : min(len(cases), (i+1)*perBlock)]
				blocks[i] = newSnapWriter(len(part) * 192)
				errs[i] = blocks[i].caseBlock(s, part)
			}
		})
	}
	tail := newSnapWriter(int(s.Size) * 72)
	tailErr := tail.tail(s)
	reg := newSnapWriter(256)
	regErr := reg.registries(s)
	wg.Wait()
	head := newSnapWriter(4096)
	errs = append(errs, tailErr, regErr, head.head(s, len(blocks)))
	if err := cmp.Or(errs...); err != nil {
		return nil, err
	}

	// Each open deadline was written once, with its place in the heap.
	inHeap := make([]bool, len(s.open))
	size := snapshotHeader + len(tail.buf) + len(reg.buf) + sha256.Size
	for _, w := range append(blocks, head) {
		for _, i := range w.claims {
			if inHeap[i] {
				return nil, errors.New("an open deadline belongs to two subjects")
			}
			inHeap[i] = true
		}
		size += len(w.buf)
	}
	if slices.Contains(inHeap, false) {
		return nil, errors.New("an open deadline belongs to no case and no commitment")
	}

	out := make([]byte, 0, size)
	out = append(out, snapshotMagic...)
	out = binary.BigEndian.AppendUint32(out, SnapshotVersion)
	out = append(out, head.buf...)
	for _, w := range blocks {
		out = append(out, w.buf...)
	}
	out = append(out, tail.buf...)
	out = append(out, reg.buf...)
	sum := sha256.Sum256(out)
	return append(out, sum[:]...), nil
}

// UnmarshalSnapshot returns the state that MarshalSnapshot wrote as b. It
// refuses, with an error that says why, bytes that are not a snapshot, a
// snapshot of another version, and one whose checksum or content is wrong.
func UnmarshalSnapshot(b []byte) (*State, error) {
	if len(b) < snapshotHeader+sha256.Size || string(b[:len(snapshotMagic)]) != snapshotMagic {
		return nil, errors.New("couldn't read snapshot: it is not a sulh snapshot")
	}
	if v := binary.BigEndian.Uint32(b[len(snapshotMagic):]); v != SnapshotVersion {
		return nil, fmt.Errorf("couldn't read snapshot: it is of version %d, and this release reads version %d only", v, SnapshotVersion)
	}
	content, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if got := sha256.Sum256(content); !bytes.Equal(got[:], sum) {
		return nil, errors.New("couldn't read snapshot: its checksum does not match its content; the file is damaged")
	}
	s, err := unmarshalSnapshot(content)
	if err != nil {
		return nil, fmt.Errorf("couldn't read snapshot: %w", err)
	}
	return s, nil
}

func unmarshalSnapshot(content []byte) (*State, error) {
	r := &snapReader{name: "the snapshot", b: content, off: snapshotHeader}
	head := r.block("the head")
	if r.err != nil {
		return nil, r.err
	}
	s, nblocks := head.head(len(content))
	if head.err != nil {
		return nil, head.err
	}
	blocks := make([]*snapReader, nblocks)
	total := 0
	for i := range blocks {
		blocks[i] = r.block(fmt.Sprintf("case block %d", i))
		if r.err != nil {
			return nil, r.err
		}
		total += blocks[i].counts()
		if blocks[i].err != nil {
			return nil, blocks[i].err
		}
	}
	tail := r.block("the tail")
	reg := r.block("the registries")
	if r.err == nil && r.off != len(content) {
		r.fail("%d bytes follow the last block", len(content)-r.off)
	}
	if r.err != nil {
		return nil, r.err
	}

	// The case blocks on every core, and the tail here meanwhile; the
	// cases go in the map as their blocks are done.
	cases := make([][]Case, nblocks)
	open := make([][]*Deadline, nblocks)
	done := make([]chan struct{}, nblocks)
	for i := range done {
		done[i] = make(chan struct{})
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	defer func() {
		next.Store(int64(nblocks)) // on an error, the workers stop
		wg.Wait()
	}()
	for range min(runtime.GOMAXPROCS(0), nblocks) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < nblocks; i = int(next.Add(1) - 1) {
				cases[i], open[i] = blocks[i].caseBlock(len(s.open))
				close(done[i])
			}
		})
	}
	tail.tail(s)
	if tail.err != nil {
		return nil, tail.err
	}
	if err := json.Unmarshal(reg.b, &s.reg); err != nil {
		return nil, fmt.Errorf("the registries: %w", err)
	}
	s.cases = make(map[int64]*Case, total)
	last := int64(-1) << 63
	for i := range blocks {
		<-done[i]
		if blocks[i].err != nil {
			return nil, blocks[i].err
		}
		if len(cases[i]) > 0 {
			if cases[i][0].ID <= last {
				return nil, fmt.Errorf("case %d follows case %d; they must be in increasing order", cases[i][0].ID, last)
			}
			last = cases[i][len(cases[i])-1].ID
		}
		for _, d := range open[i] {
			if s.open[d.heapIndex] != nil {
				return nil, fmt.Errorf("two deadlines take place %d in the heap of open deadlines", d.heapIndex)
			}
			s.open[d.heapIndex] = d
		}
		for j := range cases[i] {
			s.cases[cases[i][j].ID] = &cases[i][j]
		}
	}
	for i, d := range s.open {
		if d == nil {
			return nil, fmt.Errorf("place %d of the heap of open deadlines is empty", i)
		}
		if i > 0 && s.open.Less(i, (i-1)/2) {
			return nil, errors.New("the open deadlines are not in a heap's order")
		}
	}
	if s.Size == 0 {
		// The empty log's state is the zero State, whose maps are nil.
		if s.Rulebook != nil || !s.Time.IsZero() || len(s.keys)+len(s.members)+len(s.cases)+len(s.commitments)+
			len(s.actions)+len(s.evidence)+len(s.tokens)+len(s.sealed)+len(s.texts) > 0 || !reflect.DeepEqual(s.reg, registries{}) {
			return nil, errors.New("the state of an empty log holds something")
		}
		return &State{}, nil
	}
	return s, nil
}

// LeafHash returns the leaf hash of the entry at index i, so that a state
// read from a snapshot can be checked against the log it claims to be a
// prefix of.
func (s *State) LeafHash(i int64) (tlog.Hash, bool) {
	if i < 0 || i >= int64(len(s.leaves)) {
		return tlog.Hash{}, false
	}
	return s.leaves[i], true
}

// snapWriter writes a block.
type snapWriter struct {
	buf   []byte
	ids   map[string]uint64
	table []string
	// recent remembers strings by a cheap hash, since most are a few ids
	// of stages, bodies and statuses written over and over.
	recent [256]struct {
		s  string
		id uint64
	}
	// claims are the places in the heap of the open deadlines written.
	claims []int
	// The numbers of deadlines, strings in lists and numbers in lists
	// written.
	deadlines, strings, numbers int
}

// newSnapWriter returns a writer of a block of about size bytes.
func newSnapWriter(size int) *snapWriter {
	return &snapWriter{ids: map[string]uint64{}, buf: make([]byte, 8, 8+size)}
}

// finish ends the block with its strings and writes its length.
func (w *snapWriter) finish() {
	binary.BigEndian.PutUint64(w.buf, uint64(len(w.buf)-8))
	w.uvarint(uint64(len(w.table)))
	for _, s := range w.table {
		w.uvarint(uint64(len(s)))
		w.buf = append(w.buf, s...)
	}
}

func (w *snapWriter) uvarint(x uint64) { w.buf = binary.AppendUvarint(w.buf, x) }
func (w *snapWriter) varint(x int64)   { w.buf = binary.AppendVarint(w.buf, x) }

func (w *snapWriter) bool(b bool) {
	if b {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

func (w *snapWriter) str(s string) {
	if s == "" {
		w.buf = append(w.buf, 0)
		return
	}
	h := uint(len(s))
	for i := range min(len(s), 16) {
		h = h*31 + uint(s[i])
	}
	r := &w.recent[(h^h>>8)&255]
	if r.s != s {
		id, ok := w.ids[s]
		if !ok {
			w.table = append(w.table, s)
			id = uint64(len(w.table))
			w.ids[s] = id
		}
		r.s, r.id = s, id
	}
	w.uvarint(r.id)
}

// length writes the length of a list that may be nil.
func (w *snapWriter) length(n int, isNil bool) {
	if isNil {
		w.buf = append(w.buf, 0)
		return
	}
	w.uvarint(uint64(n) + 1)
}

func (w *snapWriter) strs(l []string) {
	w.length(len(l), l == nil)
	w.strings += len(l)
	for _, s := range l {
		w.str(s)
	}
}

func (w *snapWriter) ints(l []int64) {
	w.length(len(l), l == nil)
	w.numbers += len(l)
	for _, x := range l {
		w.varint(x)
	}
}

// time writes t, which must be in UTC: the state's times are, and a
// location would not survive.
func (w *snapWriter) time(t time.Time) error {
	if t.Location() != time.UTC {
		return fmt.Errorf("the time %v is not in UTC", t)
	}
	w.varint(t.Unix())
	w.uvarint(uint64(t.Nanosecond()))
	return nil
}

// head writes the head block.
func (w *snapWriter) head(s *State, blocks int) error {
	w.uvarint(uint64(s.Size))
	if err := w.time(s.Time); err != nil {
		return err
	}
	if s.Rulebook == nil {
		w.length(0, true)
	} else {
		rb, err := json.Marshal(s.Rulebook)
		if err != nil {
			return fmt.Errorf("couldn't encode the rulebook: %w", err)
		}
		w.length(len(rb), false)
		w.buf = append(w.buf, rb...)
	}
	if err := w.members(s); err != nil {
		return err
	}
	w.uvarint(uint64(len(s.open)))
	commitments := byIndex(s.commitments, s.Size)
	w.uvarint(uint64(len(commitments)))
	for _, e := range commitments {
		w.varint(e.k)
		w.str(e.v.party)
		if err := w.deadline(s, e.v.deadline); err != nil {
			return fmt.Errorf("commitment %d: %w", e.k, err)
		}
	}
	if err := w.records(s); err != nil {
		return err
	}
	w.uvarint(uint64(blocks))
	w.finish()
	return nil
}

func (w *snapWriter) members(s *State) error {
	w.uvarint(uint64(len(s.keys)))
	for _, name := range slices.Sorted(maps.Keys(s.keys)) {
		ks := s.keys[name]
		w.str(name)
		w.uvarint(uint64(len(ks)))
		for _, k := range ks {
			if k == nil || k.Name != name {
				return fmt.Errorf("a key listed under %q is not that name's", name)
			}
			w.str(k.VKey)
			w.bool(k.Active)
			w.varint(k.Since)
			w.varint(k.Until)
		}
	}
	w.uvarint(uint64(len(s.members)))
	for _, name := range slices.Sorted(maps.Keys(s.members)) {
		m := s.members[name]
		if m == nil || m.Name != name {
			return fmt.Errorf("the member listed as %q is not named so", name)
		}
		w.str(name)
		w.str(m.Body)
		w.strs(m.Roles)
		w.str(m.Label)
		key := 0
		if m.Key != nil {
			key = slices.Index(s.keys[name], m.Key) + 1
			if key == 0 {
				return fmt.Errorf("the key of member %q is not among the keys of that name", name)
			}
		}
		w.uvarint(uint64(key))
		w.varint(m.Enrolled)
		w.varint(m.Revoked)
	}
	return nil
}

// records writes the actions, the evidence, the tokens and the sealed
// items.
func (w *snapWriter) records(s *State) error {
	actions := byIndex(s.actions, s.Size)
	w.uvarint(uint64(len(actions)))
	for _, e := range actions {
		w.varint(e.k)
		w.str(e.v)
	}
	w.uvarint(uint64(len(s.evidence)))
	for _, sha := range slices.Sorted(maps.Keys(s.evidence)) {
		e := s.evidence[sha]
		w.str(sha)
		w.str(e.SHA256)
		w.varint(e.Registered)
		w.varint(e.Case)
	}
	w.uvarint(uint64(len(s.tokens)))
	for _, sha := range slices.Sorted(maps.Keys(s.tokens)) {
		t := s.tokens[sha]
		w.str(sha)
		w.str(t.SHA256)
		w.str(t.Member)
		if err := w.time(t.Expires); err != nil {
			return err
		}
		w.varint(t.Issued)
		w.varint(t.Revoked)
	}
	sealed := byIndex(s.sealed, s.Size)
	w.uvarint(uint64(len(sealed)))
	for _, e := range sealed {
		it := e.v
		w.varint(e.k)
		w.varint(it.Index)
		w.str(it.Author)
		w.str(it.Body)
		w.str(it.Kind)
		w.strs(it.Visibility)
		w.str(it.Digest)
		w.varint(it.Disclosed)
		w.varint(it.Case)
		w.varint(int64(it.Version))
	}
	return nil
}

// caseBlock writes a block of cases, with their deadlines.
func (w *snapWriter) caseBlock(s *State, cases []entry[*Case]) error {
	w.buf = append(w.buf, make([]byte, caseBlockHeader)...)
	for _, e := range cases {
		c := e.v
		if c == nil || c.ID != e.k {
			return fmt.Errorf("the case listed as %d is not that case", e.k)
		}
		w.varint(c.ID)
		w.str(c.Stage)
		w.varint(c.Entered)
		if err := w.time(c.Opened); err != nil {
			return err
		}
		w.str(c.Reporter)
		w.str(c.Accused)
		w.ints(c.Reports)
		w.ints(c.Replies)
		w.ints(c.Findings)
		w.varint(c.Finding)
		w.str(c.Outcome)
		w.str(c.Party)
		w.str(c.Confidence)
		w.strs(c.Blamed)
		w.strs(c.Answerable)
		w.varint(c.Endorsed)
		w.ints(c.Penalties)
		w.length(len(c.Deadlines), c.Deadlines == nil)
		for _, d := range c.Deadlines {
			if err := w.deadline(s, d); err != nil {
				return fmt.Errorf("case %d: %w", c.ID, err)
			}
		}
		w.varint(c.Updated)
	}
	for i, n := range []int{len(cases), w.deadlines, w.strings, w.numbers} {
		binary.BigEndian.PutUint64(w.buf[8+8*i:], uint64(n))
	}
	w.finish()
	return nil
}

// deadline writes d, which belongs to one case or commitment, and its
// place in the heap.
func (w *snapWriter) deadline(s *State, d *Deadline) error {
	if d == nil {
		return errors.New("a deadline is missing")
	}
	w.deadlines++
	w.varint(d.Subject)
	w.varint(d.Opened)
	w.str(d.Name)
	w.str(d.Stage)
	w.strs(d.Bodies)
	w.strs(d.Acted)
	if err := w.time(d.Due); err != nil {
		return err
	}
	w.str(d.Status)
	w.varint(d.Closed)
	if d.Status != DeadlineOpen {
		w.uvarint(0)
		return nil
	}
	i := d.heapIndex
	if i < 0 || i >= len(s.open) || s.open[i] != d {
		return fmt.Errorf("the open deadline %q of subject %d is not in the heap", d.Name, d.Subject)
	}
	w.claims = append(w.claims, i)
	w.uvarint(uint64(i) + 1)
	return nil
}

// tail writes the leaf hashes, and the text hashes by the index of their
// first statement: each index has at most one, and the gaps between them
// are small.
func (w *snapWriter) tail(s *State) error {
	w.uvarint(uint64(len(s.leaves)))
	for _, h := range s.leaves {
		w.buf = append(w.buf, h[:]...)
	}
	w.uvarint(uint64(len(s.texts)))
	if len(s.texts) > 0 {
		hashes := make([][32]byte, s.Size)
		has := make([]bool, s.Size)
		for h, idx := range s.texts {
			if idx < 0 || idx >= s.Size || has[idx] {
				return fmt.Errorf("the text of index %d is out of place", idx)
			}
			hashes[idx], has[idx] = h, true
		}
		prev := -1
		for idx := range hashes {
			if has[idx] {
				w.uvarint(uint64(idx - prev - 1))
				w.buf = append(w.buf, hashes[idx][:]...)
				prev = idx
			}
		}
	}
	w.finish()
	return nil
}

// registries writes the registries of rules 3 as JSON: encoding/json
// writes a map's keys in order, so a state has one snapshot.
func (w *snapWriter) registries(s *State) error {
	b, err := json.Marshal(&s.reg)
	if err != nil {
		return fmt.Errorf("couldn't write the registries: %w", err)
	}
	w.buf = append(w.buf, b...)
	w.finish()
	return nil
}

type entry[V any] struct {
	k int64
	v V
}

// byIndex returns the entries of m, whose keys are log indices below
// size, in increasing order of their keys: placed by index when m is
// dense, as the cases are, and sorted otherwise.
func byIndex[V any](m map[int64]V, size int64) []entry[V] {
	if len(m) > 64 && int64(len(m)) >= size/8 {
		slots := make([]entry[V], size)
		has := make([]bool, size)
		dense := true
		for k, v := range m {
			if k < 0 || k >= size {
				dense = false
				break
			}
			slots[k], has[k] = entry[V]{k, v}, true
		}
		if dense {
			out := slots[:0]
			for i := range slots {
				if has[i] {
					out = append(out, slots[i])
				}
			}
			return out
		}
	}
	out := make([]entry[V], 0, len(m))
	for k, v := range m {
		out = append(out, entry[V]{k, v})
	}
	slices.SortFunc(out, func(a, b entry[V]) int { return cmp.Compare(a.k, b.k) })
	return out
}

// snapReader reads a block. Its first error sticks: every read after it
// returns a zero value, so that a damaged snapshot ends the loops that read
// it instead of running on.
type snapReader struct {
	name  string // of the block, for errors
	b     []byte
	off   int
	err   error
	table []string
	// n are a case block's numbers of cases, deadlines, strings in lists
	// and numbers in lists.
	n [4]uint64

	// Where the lists and deadlines of a block go: sized to the numbers
	// the block states, in a case block, and grown as needed in the head.
	strSlab      slab[string]
	intSlab      slab[int64]
	deadlineSlab slab[Deadline]
	ptrSlab      slab[*Deadline]
}

func (r *snapReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s, at byte %d: %s", r.name, r.off, fmt.Sprintf(format, args...))
	}
}

func (r *snapReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	if r.off < len(r.b) && r.b[r.off] < 0x80 {
		r.off++
		return uint64(r.b[r.off-1])
	}
	x, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("a number is cut short or too large")
		return 0
	}
	r.off += n
	return x
}

func (r *snapReader) varint() int64 {
	x := r.uvarint()
	return int64(x>>1) ^ -int64(x&1)
}

func (r *snapReader) bool() bool {
	switch x := r.uvarint(); x {
	case 0:
		return false
	case 1:
		return true
	default:
		r.fail("%d is not a boolean", x)
		return false
	}
}

// The fewest bytes a case and a deadline take.
const (
	minCase     = 19
	minDeadline = 11
)

// count reads how many items follow, each at least size bytes long, so
// that a damaged count cannot make the reader allocate more than the
// snapshot could hold.
func (r *snapReader) count(what string, size int) int {
	n := r.uvarint()
	if rest := uint64(len(r.b) - r.off); n > rest/uint64(size) {
		r.fail("%d %s cannot fit in the %d bytes left", n, what, rest)
		return 0
	}
	return int(n)
}

// length reads the length of a list that may be nil, and whether it is.
func (r *snapReader) length(what string, size int) (int, bool) {
	n := r.count(what, size)
	if n == 0 {
		return 0, true
	}
	return n - 1, false
}

func (r *snapReader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.fail("%d bytes are cut short", n)
		return nil
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b
}

func (r *snapReader) str() string {
	i := r.uvarint()
	if i >= uint64(len(r.table)) {
		r.fail("string %d is not in the block's %d", i, len(r.table)-1)
		return ""
	}
	return r.table[i]
}

func (r *snapReader) strs() []string {
	n, isNil := r.length("strings", 1)
	if isNil {
		return nil
	}
	if n == 0 {
		return []string{}
	}
	l := r.strSlab.take(r, n)
	for i := range l {
		l[i] = r.str()
	}
	return l
}

func (r *snapReader) ints() []int64 {
	n, isNil := r.length("numbers", 1)
	if isNil {
		return nil
	}
	if n == 0 {
		return []int64{}
	}
	l := r.intSlab.take(r, n)
	for i := range l {
		l[i] = r.varint()
	}
	return l
}

func (r *snapReader) time() time.Time {
	sec := r.varint()
	nsec := r.uvarint()
	if nsec >= 1e9 {
		r.fail("%d nanoseconds are a second or more", nsec)
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// ascending fails unless k, the key of the i-th entry of a map, is
// greater than prev, the one before.
func ascending[K cmp.Ordered](r *snapReader, what string, i int, prev, k K) {
	if i > 0 && k <= prev {
		r.fail("%s %v follows %v; they must be in increasing order", what, k, prev)
	}
}

// block reads the next block and returns a reader of its content, with its
// strings.
func (r *snapReader) block(name string) *snapReader {
	var n uint64
	if b := r.bytes(8); b != nil {
		n = binary.BigEndian.Uint64(b)
	}
	if r.err == nil && n > uint64(len(r.b)-r.off) {
		r.fail("a block of %d bytes cannot fit in the %d left", n, len(r.b)-r.off)
	}
	b := &snapReader{name: name, b: r.bytes(int(n))}
	// The strings, in one allocation.
	count := r.count("strings", 1)
	start := r.off
	spans := make([][2]int, count)
	for i := range spans {
		l := int(min(r.uvarint(), uint64(len(r.b))))
		spans[i] = [2]int{r.off - start, r.off - start + l}
		r.bytes(l)
	}
	if r.err != nil {
		return b
	}
	all := string(r.b[start:r.off])
	b.table = make([]string, 1, count+1)
	for _, sp := range spans {
		b.table = append(b.table, all[sp[0]:sp[1]])
	}
	return b
}

// head reads the head block of a snapshot of total bytes, and returns the
// state with all but its cases, leaves and texts, and the number of case
// blocks.
func (r *snapReader) head(total int) (*State, int) {
	s := &State{}
	// Each entry has its leaf hash in the tail.
	if n := r.uvarint(); n > uint64(total/sha256.Size) {
		r.fail("a log of %d entries cannot fit in a snapshot of %d bytes", n, total)
	} else {
		s.Size = int64(n)
	}
	s.Time = r.time()
	if n, isNil := r.length("rulebook bytes", 1); !isNil {
		rb, err := ParseRulebook(r.bytes(n))
		if err == nil {
			err = rb.check()
		}
		if err != nil {
			r.fail("the rulebook: %v", err)
		}
		s.Rulebook = rb
	}
	if r.err == nil && s.Size > 0 && s.Rulebook == nil {
		r.fail("the state of a log of %d entries has no rulebook", s.Size)
	}
	r.members(s)
	// Each open deadline is written in full, in a case block or here.
	if n := r.uvarint(); n > uint64(total/minDeadline) {
		r.fail("%d open deadlines cannot fit in a snapshot of %d bytes", n, total)
	} else if n > 0 {
		s.open = make(deadlines, n)
	}
	n := r.count("commitments", 2+minDeadline)
	s.commitments = make(map[int64]*commitment, n)
	var prev int64
	for i := range n {
		idx := r.varint()
		ascending(r, "commitment", i, prev, idx)
		prev = idx
		cm := &commitment{party: r.str(), deadline: r.deadline(len(s.open))}
		if r.err != nil {
			return nil, 0
		}
		if d := cm.deadline; d.heapIndex >= 0 {
			if s.open[d.heapIndex] != nil {
				r.fail("two deadlines take place %d in the heap of open deadlines", d.heapIndex)
				return nil, 0
			}
			s.open[d.heapIndex] = d
		}
		s.commitments[idx] = cm
	}
	r.records(s)
	// Each case block takes at least its length and its numbers.
	blocks := r.uvarint()
	if blocks > uint64(total/(8+caseBlockHeader)) {
		r.fail("%d case blocks cannot fit in a snapshot of %d bytes", blocks, total)
	}
	if r.err == nil && r.off != len(r.b) {
		r.fail("%d bytes follow the head", len(r.b)-r.off)
	}
	if r.err != nil {
		return nil, 0
	}
	return s, int(blocks)
}

func (r *snapReader) members(s *State) {
	n := r.count("key names", 6)
	s.keys = make(map[string][]*Key, n)
	var prev string
	for i := range n {
		name := r.str()
		ascending(r, "key name", i, prev, name)
		prev = name
		ks := make([]*Key, r.count("keys", 4))
		if len(ks) == 0 {
			r.fail("no keys are named %q", name)
		}
		for j := range ks {
			k := &Key{Name: name, VKey: r.str(), Active: r.bool(), Since: r.varint(), Until: r.varint()}
			if r.err != nil {
				return
			}
			v, err := statement.ParseVerifierKey(k.VKey)
			if err != nil {
				r.fail("key %q: %v", name, err)
				return
			}
			if v.Name() != name {
				r.fail("the key listed as %q is named %q", name, v.Name())
				return
			}
			k.Hash, k.verifier = v.KeyHash(), v
			ks[j] = k
		}
		s.keys[name] = ks
	}

	n = r.count("members", 7)
	s.members = make(map[string]*Member, n)
	prev = ""
	for i := range n {
		m := &Member{Name: r.str(), Body: r.str(), Roles: r.strs(), Label: r.str()}
		ascending(r, "member", i, prev, m.Name)
		prev = m.Name
		if key := r.uvarint(); key > 0 {
			ks := s.keys[m.Name]
			if key > uint64(len(ks)) {
				r.fail("member %q has key %d of %d", m.Name, key, len(ks))
				return
			}
			m.Key = ks[key-1]
		}
		m.Enrolled, m.Revoked = r.varint(), r.varint()
		if r.err != nil {
			return
		}
		s.members[m.Name] = m
	}
}

// records reads the actions, the evidence, the tokens and the sealed
// items.
func (r *snapReader) records(s *State) {
	n := r.count("actions", 2)
	s.actions = make(map[int64]string, n)
	var prev int64
	for i := range n {
		idx := r.varint()
		ascending(r, "action", i, prev, idx)
		prev = idx
		s.actions[idx] = r.str()
	}

	evidence := make([]EvidenceItem, r.count("evidence items", 4))
	s.evidence = make(map[string]*EvidenceItem, len(evidence))
	var prevSHA string
	for i := range evidence {
		sha := r.str()
		ascending(r, "evidence item", i, prevSHA, sha)
		prevSHA = sha
		e := &evidence[i]
		e.SHA256, e.Registered, e.Case = r.str(), r.varint(), r.varint()
		s.evidence[sha] = e
	}

	tokens := make([]Token, r.count("tokens", 7))
	s.tokens = make(map[string]*Token, len(tokens))
	prevSHA = ""
	for i := range tokens {
		sha := r.str()
		ascending(r, "token", i, prevSHA, sha)
		prevSHA = sha
		t := &tokens[i]
		t.SHA256, t.Member, t.Expires = r.str(), r.str(), r.time()
		t.Issued, t.Revoked = r.varint(), r.varint()
		if r.err != nil {
			return
		}
		// Revoking a token reads its member.
		if _, ok := s.members[t.Member]; !ok {
			r.fail("token %s is held by %q, who is not a member", sha, t.Member)
			return
		}
		s.tokens[sha] = t
	}

	sealed := make([]SealedItem, r.count("sealed items", 10))
	s.sealed = make(map[int64]*SealedItem, len(sealed))
	for i := range sealed {
		idx := r.varint()
		ascending(r, "sealed item", i, prev, idx)
		prev = idx
		it := &sealed[i]
		it.Index, it.Author, it.Body, it.Kind = r.varint(), r.str(), r.str(), r.str()
		it.Visibility, it.Digest, it.Disclosed, it.Case = r.strs(), r.str(), r.varint(), r.varint()
		version := r.varint()
		if version < 0 || version > 1<<31-1 {
			r.fail("rulebook version %d is out of range", version)
		}
		it.Version = int(version)
		s.sealed[idx] = it
	}
}

// counts reads the numbers a case block starts with, and returns its
// number of cases.
func (r *snapReader) counts() int {
	h := r.bytes(caseBlockHeader)
	if r.err != nil {
		return 0
	}
	for i := range r.n {
		r.n[i] = binary.BigEndian.Uint64(h[8*i:])
	}
	rest := uint64(len(r.b) - r.off)
	if r.n[0] > rest/minCase || r.n[1] > rest/minDeadline || r.n[2] > rest || r.n[3] > rest {
		r.fail("%d cases, %d deadlines, %d strings and %d numbers cannot fit in the block's %d bytes", r.n[0], r.n[1], r.n[2], r.n[3], rest)
		return 0
	}
	return int(r.n[0])
}

// caseBlock reads a case block and returns its cases, and its open
// deadlines, whose places in a heap of heap deadlines are to be checked.
func (r *snapReader) caseBlock(heap int) ([]Case, []*Deadline) {
	cases := make([]Case, r.n[0])
	r.deadlineSlab.exact(int(r.n[1]))
	r.ptrSlab.exact(int(r.n[1]))
	r.strSlab.exact(int(r.n[2]))
	r.intSlab.exact(int(r.n[3]))
	var open []*Deadline
	for i := range cases {
		c := &cases[i]
		c.ID = r.varint()
		if i > 0 && c.ID <= cases[i-1].ID {
			r.fail("case %d follows case %d; they must be in increasing order", c.ID, cases[i-1].ID)
		}
		c.Stage, c.Entered, c.Opened = r.str(), r.varint(), r.time()
		c.Reporter, c.Accused = r.str(), r.str()
		c.Reports, c.Replies, c.Findings = r.ints(), r.ints(), r.ints()
		c.Finding, c.Outcome, c.Party, c.Confidence = r.varint(), r.str(), r.str(), r.str()
		c.Blamed, c.Answerable = r.strs(), r.strs()
		c.Endorsed, c.Penalties = r.varint(), r.ints()
		if n, isNil := r.length("deadlines", minDeadline); !isNil {
			c.Deadlines = r.ptrSlab.take(r, n)
			for j := range c.Deadlines {
				d := r.deadline(heap)
				c.Deadlines[j] = d
				if d.heapIndex >= 0 {
					open = append(open, d)
				}
			}
		}
		c.Updated = r.varint()
		if r.err != nil {
			return nil, nil
		}
	}
	if r.off != len(r.b) {
		r.fail("%d bytes follow the cases of the block", len(r.b)-r.off)
	}
	if len(r.deadlineSlab.free)+len(r.ptrSlab.free)+len(r.strSlab.free)+len(r.intSlab.free) > 0 {
		r.fail("the block holds fewer deadlines or lists than it says")
	}
	return cases, open
}

// deadline reads a deadline, and its place in a heap of heap deadlines.
func (r *snapReader) deadline(heap int) *Deadline {
	l := r.deadlineSlab.take(r, 1)
	if l == nil {
		return &Deadline{heapIndex: -1}
	}
	d := &l[0]
	d.Subject, d.Opened = r.varint(), r.varint()
	d.Name, d.Stage = r.str(), r.str()
	d.Bodies, d.Acted = r.strs(), r.strs()
	d.Due, d.Status, d.Closed = r.time(), r.str(), r.varint()
	d.heapIndex = -1
	switch i := r.uvarint(); {
	case r.err != nil:
	case i > 0 && d.Status != DeadlineOpen:
		r.fail("a deadline that is %q is in the heap of open deadlines", d.Status)
	case i == 0 && d.Status == DeadlineOpen:
		r.fail("an open deadline is not in the heap of open deadlines")
	case i > uint64(heap):
		r.fail("place %d is outside the heap of %d open deadlines", i-1, heap)
	case i > 0:
		d.heapIndex = int(i - 1)
	}
	return d
}

// tail reads the leaf hashes and the text hashes.
func (r *snapReader) tail(s *State) {
	if n := r.count("leaf hashes", sha256.Size); r.err == nil && int64(n) != s.Size {
		r.fail("%d leaf hashes for %d entries", n, s.Size)
	} else if n > 0 {
		s.leaves = make([]tlog.Hash, n)
		for i := range s.leaves {
			s.leaves[i] = tlog.Hash(r.bytes(sha256.Size))
		}
	}
	n := r.count("texts", 1+sha256.Size)
	s.texts = make(map[[32]byte]int64, n)
	idx := int64(-1)
	for range n {
		idx += int64(min(r.uvarint(), uint64(s.Size))) + 1
		h := r.bytes(sha256.Size)
		if r.err != nil {
			return
		}
		if idx >= s.Size {
			r.fail("a text has index %d, outside the log of %d", idx, s.Size)
			return
		}
		s.texts[[32]byte(h)] = idx
	}
	if len(s.texts) != n {
		r.fail("a text is listed twice")
	}
	if r.err == nil && r.off != len(r.b) {
		r.fail("%d bytes follow the texts", len(r.b)-r.off)
	}
}

// slab hands out slices of one larger allocation, each with its capacity
// cut to its length so that appending to one never writes into the next.
// An exact slab holds what a block says it needs, and no more.
type slab[T any] struct {
	free    []T
	isExact bool
}

func (a *slab[T]) exact(n int) {
	a.free, a.isExact = make([]T, n), true
}

// take returns n items, or nil after failing r when an exact slab has
// fewer left.
func (a *slab[T]) take(r *snapReader, n int) []T {
	if n > len(a.free) {
		if a.isExact {
			r.fail("the block holds more deadlines or lists than it says")
			return nil
		}
		a.free = make([]T, max(n, 256))
	}
	l := a.free[:n:n]
	a.free = a.free[n:]
	return l
}
