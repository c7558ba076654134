package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// TestVerifyResumes checks that a verification resumed from the state of
// an earlier one, at sizes inside and at the edge of entry bundles,
// applies the same entries and ends in the same state as a verification
// of the whole log, and that it refuses a log rewritten before the point it
// resumes from, in an entry it fetches again. (Entries it does not fetch
// again are held by the root hash: a log that changed them has another
// root, which the audit's tests show with a forked log.)
func TestVerifyResumes(t *testing.T) {
	ctx := context.Background()
	m, _ := newMechanism(t)
	if err := m.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(m.Log.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	grow := func(size int64) {
		t.Helper()
		for m.Log.Checkpoint().N < size {
			i++
			author := "pakistan-liaison-1"
			if i%2 == 0 {
				author = "afghanistan-liaison-1"
			}
			if _, err := m.Log.Submit(ctx, report(t, m, author, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := &logReader{l: m.Log.Log}
	state := &mechanism.State{}
	var prev *tlog.Tree
	var applied []int64
	for _, size := range []int64{100, 256, 300, 300, 530} {
		grow(size)
		cp, err := ledger.Verify(ctx, r, v, ledger.VerifyOptions{From: state, Previous: prev,
			Applied: func(e *mechanism.Effects, _ *statement.Statement) error {
				applied = append(applied, e.Index)
				return nil
			}})
		if err != nil {
			t.Fatalf("verify to %d from %d: %v", size, state.Size, err)
		}
		if cp.N != size || state.Size != size {
			t.Fatalf("verify to %d: checkpoint %d, state %d", size, cp.N, state.Size)
		}
		prev = &cp.Tree
	}
	for i, idx := range applied {
		if idx != int64(i) {
			t.Fatalf("entries applied across the resumed runs: %d at place %d; want each entry once, in order", idx, i)
		}
	}
	if int64(len(applied)) != state.Size {
		t.Fatalf("%d entries applied, want %d", len(applied), state.Size)
	}
	whole := &mechanism.State{}
	if _, err := ledger.Verify(ctx, r, v, ledger.VerifyOptions{From: whole}); err != nil {
		t.Fatal(err)
	}
	a, err := state.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := whole.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("the state verified in five runs differs from the state verified in one")
	}

	// A log rewritten before where the verification resumes: entry 520
	// shares its bundle with the entries after 530, which are fetched.
	at, err := mechanism.UnmarshalSnapshot(a)
	if err != nil {
		t.Fatal(err)
	}
	at530 := *prev
	grow(600)
	for _, tc := range []struct {
		idx  int64
		want string
	}{{520, "entry 520: the log was rewritten"}} {
		from, err := mechanism.UnmarshalSnapshot(a)
		if err != nil {
			t.Fatal(err)
		}
		swapped := rewriteBundle(t, tc.idx/256, func(entries [][]byte) [][]byte {
			k := tc.idx % 256
			entries[k], entries[k+1] = entries[k+1], entries[k]
			return entries
		})
		_, err = ledger.Verify(ctx, &logReader{l: m.Log.Log, tamper: swapped}, v, ledger.VerifyOptions{From: from, Previous: &at530})
		var ve *ledger.VerifyError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("resumed at 530, entry %d swapped with the next: %v; want a VerifyError with %q", tc.idx, err, tc.want)
		}
	}
	// A state that does not give the checkpoint it is said to be verified
	// with is refused before anything is fetched.
	wrong := at530
	wrong.Hash[0] ^= 1
	if _, err := ledger.Verify(ctx, r, v, ledger.VerifyOptions{From: at, Previous: &wrong}); err == nil || !strings.Contains(err.Error(), "does not give the root hash") {
		t.Errorf("resumed from a state with another checkpoint: %v; want a refusal", err)
	}
}
