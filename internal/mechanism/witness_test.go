package mechanism_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"filippo.io/torchwood"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// witnessKey returns a new c2sp.org/tlog-cosignature verifier key named
// name, as litewitness prints its own.
func witnessKey(t *testing.T, name string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := torchwood.NewCosignatureSigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	return s.Verifier().String()
}

// TestWitnessesField attacks the rulebook's witnesses.
func TestWitnessesField(t *testing.T) {
	a, b := witnessKey(t, "un.example/witness"), witnessKey(t, "qatar.example/witness")
	sameName := witnessKey(t, "un.example/witness")
	logKey := witnessKey(t, origin)
	plainKey := genKey(t, "plain.example/witness").vkey
	two := []mechanism.Witness{{ID: "un", Name: "UN office", Key: a}, {ID: "qatar", Name: "Qatar", Key: b}}
	for _, tc := range []struct {
		name  string
		rules int
		w     *mechanism.Witnesses
		want  string
	}{
		{"good", 3, &mechanism.Witnesses{Quorum: 2, List: two}, ""},
		{"one of two", 3, &mechanism.Witnesses{Quorum: 1, List: two}, ""},
		{"rules 2", 2, &mechanism.Witnesses{Quorum: 1, List: two}, "rulebook: witnesses needs rules 3"},
		{"none listed", 3, &mechanism.Witnesses{Quorum: 1}, "witnesses.list: needs 1 to 32 witnesses"},
		{"quorum zero", 3, &mechanism.Witnesses{Quorum: 0, List: two}, "witnesses.quorum must be from 1 to 2"},
		{"quorum above the list", 3, &mechanism.Witnesses{Quorum: 3, List: two}, "witnesses.quorum must be from 1 to 2"},
		{"a bad id", 3, &mechanism.Witnesses{Quorum: 1, List: []mechanism.Witness{{ID: "UN Office", Name: "UN", Key: a}}}, `id "UN Office" must be a unique identifier`},
		{"an id twice", 3, &mechanism.Witnesses{Quorum: 1, List: []mechanism.Witness{{ID: "un", Name: "UN", Key: a}, {ID: "un", Name: "Qatar", Key: b}}}, `id "un" must be a unique identifier`},
		{"no name", 3, &mechanism.Witnesses{Quorum: 1, List: []mechanism.Witness{{ID: "un", Key: a}}}, "name must be 1 to 200 bytes"},
		{"a signed-note key, not a cosignature key", 3, &mechanism.Witnesses{Quorum: 1, List: []mechanism.Witness{{ID: "un", Name: "UN", Key: plainKey}}}, "not a c2sp.org/tlog-cosignature verifier key"},
		{"garbage key", 3, &mechanism.Witnesses{Quorum: 1, List: []mechanism.Witness{{ID: "un", Name: "UN", Key: "un+00000000+AAAA"}}}, "not a c2sp.org/tlog-cosignature verifier key"},
		{"the log's own name", 3, &mechanism.Witnesses{Quorum: 1, List: []mechanism.Witness{{ID: "un", Name: "UN", Key: logKey}}}, "a witness is not the log"},
		{"two keys with one name", 3, &mechanism.Witnesses{Quorum: 1, List: []mechanism.Witness{{ID: "un", Name: "UN", Key: a}, {ID: "un2", Name: "UN again", Key: sameName}}}, "each witness's key needs its own name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rb := f.rulebook()
			rb.Rules, rb.Witnesses = tc.rules, tc.w
			err := f.submit(f.rulebookMsg(rb))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := f.st.Rulebook.Witnesses; got == nil || got.Quorum != tc.w.Quorum || len(got.List) != len(tc.w.List) {
					t.Errorf("the rulebook in force has witnesses %+v, want %+v", got, tc.w)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestWitnessesAmendment: an amendment adds witnesses to a mechanism that
// had none, may change them, and cannot drop them by omission.
func TestWitnessesAmendment(t *testing.T) {
	f := newFixture(t)
	rb := f.rulebook()
	rb.Rules = mechanism.Rules3
	f.must(f.rulebookMsg(rb))
	if f.st.Rulebook.Witnesses != nil {
		t.Fatal("a rulebook without witnesses has some")
	}
	a, b := witnessKey(t, "un.example/witness"), witnessKey(t, "qatar.example/witness")

	add := *rb
	add.Version = 2
	add.Witnesses = &mechanism.Witnesses{Quorum: 1, List: []mechanism.Witness{{ID: "un", Name: "UN office", Key: a}}}
	f.must(f.rulebookMsg(&add))
	if w, ok := f.st.Rulebook.Witnesses.Witness("un"); !ok || w.Key != a {
		t.Fatalf("after the amendment, witness un is %+v", w)
	}

	more := add
	more.Version = 3
	more.Witnesses = &mechanism.Witnesses{Quorum: 2, List: []mechanism.Witness{{ID: "un", Name: "UN office", Key: a}, {ID: "qatar", Name: "Qatar", Key: b}}}
	f.must(f.rulebookMsg(&more))
	if q := f.st.Rulebook.Witnesses.Quorum; q != 2 {
		t.Errorf("quorum %d after the second amendment, want 2", q)
	}

	drop := more
	drop.Version = 4
	drop.Witnesses = nil
	f.refuse(f.rulebookMsg(&drop), statement.CodeInvalid, "an amendment cannot drop the witnesses")

	// One founder alone cannot change who witnesses.
	lone := more
	lone.Version = 4
	lone.Witnesses = &mechanism.Witnesses{Quorum: 1, List: more.Witnesses.List[1:]}
	wantError(t, f.submit(f.rulebookMsg(&lone, "founder-1")), statement.CodeForbidden, "needs 2 founders' signatures")
}
