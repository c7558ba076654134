package mechanism_test

import (
	"bytes"
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// FuzzUnmarshalSnapshot reads arbitrary bytes as a snapshot, as they are
// and with their checksum made right, so that the fuzzer reaches the
// decoder: it never panics; what it reads back writes a snapshot that reads
// back to the same bytes; and the core applies statements to it without
// panicking, whatever it holds.
func FuzzUnmarshalSnapshot(f *testing.F) {
	november := novemberLog(f)
	fs, signers, _, fuzzLog := fuzzState(f)
	for _, k := range []int{0, 1, 20} {
		f.Add(mustSnapshot(f, replay(november[:k])))
	}
	f.Add(mustSnapshot(f, replay(fuzzLog[:1])))
	f.Add(mustSnapshot(f, fs))
	inBlocks, err := mechanism.MarshalSnapshotInBlocks(fs, 1)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(inBlocks)
	// The statements to apply, opened once against the states they follow:
	// Apply checks who signed, not the signatures.
	var tail []*statement.Statement
	open := func(st *mechanism.State, msg []byte) {
		s, err := st.Open(msg)
		if err != nil {
			f.Fatal(err)
		}
		tail = append(tail, s)
		if _, err := st.Apply(s); err != nil {
			f.Fatal(err)
		}
	}
	st := replay(november[:40])
	for _, msg := range november[40:50] {
		open(st, msg)
	}
	for _, x := range fuzzWorkflow {
		msg, err := statement.Sign([]byte(x.obj), signers[x.who])
		if err != nil {
			f.Fatal(err)
		}
		open(fs, msg)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, reseal(b)} {
			st, err := mechanism.UnmarshalSnapshot(in)
			if err != nil {
				if st != nil {
					t.Fatalf("UnmarshalSnapshot returned a state and the error %v", err)
				}
				continue
			}
			out := mustSnapshot(t, st)
			again, err := mechanism.UnmarshalSnapshot(out)
			if err != nil {
				t.Fatalf("the snapshot of a state read back does not read: %v", err)
			}
			if err := mechanism.EqualStates(st, again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(mustSnapshot(t, again), out) {
				t.Fatalf("a state read back twice gives another snapshot")
			}
			st.Keys()
			for _, s := range tail {
				st.Apply(s)
			}
		}
	})
}
