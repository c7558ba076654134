package statement

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// noteKey is a key of the note tests, made from a fixed seed so that the
// fuzz corpus's signatures verify from run to run.
type noteKey struct {
	signer   note.Signer
	verifier note.Verifier // note's own
	ours     note.Verifier // ParseVerifierKey's
}

func newNoteKey(t testing.TB, name string, seed byte) noteKey {
	t.Helper()
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 64)), name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := ParseVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return noteKey{s, v, ours}
}

// oddVerifiers answers for one name with a verifier of another name, and
// for another with an error that is not note.UnknownVerifierError: the
// answers note.Open checks for besides a key or none.
type oddVerifiers struct {
	note.Verifiers
	wrong note.Verifier
}

func (o oddVerifiers) Verifier(name string, hash uint32) (note.Verifier, error) {
	switch name {
	case "mallory":
		return o.wrong, nil
	case "broken":
		return nil, errors.New("the keyring is broken")
	}
	return o.Verifiers.Verifier(name, hash)
}

// noteOutcome is what reading a message gave: the error's type and words,
// or the text and the signatures.
type noteOutcome struct {
	err              string
	text             string
	sigs, unverified []note.Signature
}

func (o noteOutcome) String() string {
	return fmt.Sprintf("err %q, %d bytes of text, sigs %v, unverified %v", o.err, len(o.text), o.sigs, o.unverified)
}

// noteOpenOutcome is note.Open's outcome, with a note that has no verified
// signature read as openNote reads it, without an error.
func noteOpenOutcome(msg []byte, known note.Verifiers) noteOutcome {
	n, err := note.Open(msg, known)
	var unverified *note.UnverifiedNoteError
	switch {
	case errors.As(err, &unverified):
		return noteOutcome{text: unverified.Note.Text, unverified: unverified.Note.UnverifiedSigs}
	case err != nil:
		return noteOutcome{err: fmt.Sprintf("%T %v", err, err)}
	}
	return noteOutcome{text: n.Text, sigs: n.Sigs, unverified: n.UnverifiedSigs}
}

func openNoteOutcome(t *testing.T, msg []byte, known note.Verifiers) noteOutcome {
	n, err := openNote(msg, known)
	if err != nil {
		return noteOutcome{err: fmt.Sprintf("%T %v", err, err)}
	}
	if !bytes.HasPrefix(msg, n.text) {
		t.Fatalf("the text %q is not the message's first bytes", n.text)
	}
	if lines := bytes.Count(msg[len(n.text)+1:], []byte("\n")); lines != n.lines {
		t.Fatalf("%d signature lines counted, %d in the message", n.lines, lines)
	}
	return noteOutcome{text: string(n.text), sigs: n.sigs, unverified: n.unverified}
}

// noteSeeds are messages near the edges of note.Open's rules.
func noteSeeds(t testing.TB, alice, bob, carol noteKey) [][]byte {
	sign := func(text string, signers ...note.Signer) []byte {
		msg, err := note.Sign(&note.Note{Text: text}, signers...)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	one := sign("sulh/1\n{\"kind\":\"report\"}\n", alice.signer)
	two := sign("two lines\nof text\n", alice.signer, bob.signer)
	unknown := sign("by a key nobody knows\n", carol.signer)
	mixed := sign("known and not\n", carol.signer, alice.signer)
	sigBlock := func(msg []byte) string { return string(msg[bytes.LastIndex(msg, []byte("\n\n"))+2:]) }
	seeds := [][]byte{
		one, two, unknown, mixed,
		append(bytes.Clone(one), sigBlock(one)...),                           // a line repeated
		append(bytes.Clone(unknown), sigBlock(unknown)...),                   // an unknown key's line repeated
		append(bytes.Clone(one), sigBlock(sign("other\n", alice.signer))...), // a key's second, bad signature
		[]byte(strings.Replace(string(one), "report", "rePort", 1)),          // the text changed
		[]byte(strings.Replace(string(two), "— bob ", "— mallory ", 1)),
		[]byte(strings.Replace(string(two), "— bob ", "— broken ", 1)),
		[]byte(strings.Replace(string(one), "— ", "-- ", 1)),
		[]byte(strings.Replace(string(one), "— alice ", "— al+ice ", 1)),
		[]byte(strings.Replace(string(one), "— alice ", "— al\u00a0ice ", 1)),
		[]byte(strings.Replace(string(one), "— alice ", "— alice", 1)),
		[]byte(strings.Replace(string(one), "— alice ", "— alice  ", 1)),
		[]byte(strings.Replace(string(one), "\n\n", "\n", 1)),
		[]byte(strings.TrimSuffix(string(one), "\n")),
		[]byte(strings.Replace(string(one), "kind", "ki\tnd", 1)),
		[]byte(strings.Replace(string(one), "kind", "ki\xffnd", 1)),
		[]byte(strings.Replace(string(one), "kind", "ki\u00e9nd\u0645", 1)),
		[]byte("\n\n— alice AAAAAA==\n"),
		[]byte("text\n\n— alice " + strings.Repeat("A", 400) + "\n"),
		[]byte("text\n\n\n"),
		[]byte(""),
	}
	var many []byte
	many = append(many, "text\n\n"...)
	for range maxNoteSigs + 1 {
		many = append(many, "— carol AAAAAAAA\n"...)
	}
	return append(seeds, many)
}

// FuzzOpenNote holds openNote to note.Open: for any message, with no keys,
// with note's verifiers, with sulh's, and with a keyring that answers
// oddly, the same text and signatures or an error of the same type and
// words.
func FuzzOpenNote(f *testing.F) {
	alice, bob, carol := newNoteKey(f, "alice", 1), newNoteKey(f, "bob", 2), newNoteKey(f, "carol", 3)
	for _, s := range noteSeeds(f, alice, bob, carol) {
		f.Add(s)
	}
	keySets := map[string]note.Verifiers{
		"none":  nil,
		"note":  note.VerifierList(alice.verifier, bob.verifier),
		"ours":  note.VerifierList(alice.ours, bob.ours),
		"oddly": oddVerifiers{Verifiers: note.VerifierList(alice.ours, bob.ours), wrong: alice.ours},
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		for name, keys := range keySets {
			want := noteOpenOutcome(msg, keys)
			got := openNoteOutcome(t, msg, keys)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("keys %s: openNote read %v, note.Open %v", name, got, want)
			}
		}
	})
}

// TestOpenNoteReachesEveryOutcome checks that the seeds reach each way a
// note is read, so that FuzzOpenNote compares all of them even without
// fuzzing.
func TestOpenNoteReachesEveryOutcome(t *testing.T) {
	alice, bob, carol := newNoteKey(t, "alice", 1), newNoteKey(t, "bob", 2), newNoteKey(t, "carol", 3)
	keys := oddVerifiers{Verifiers: note.VerifierList(alice.ours, bob.ours), wrong: alice.ours}
	seen := map[string]bool{}
	for _, msg := range noteSeeds(t, alice, bob, carol) {
		o := openNoteOutcome(t, msg, keys)
		switch {
		case o.err != "":
			seen[o.err] = true
		case len(o.sigs) == 0:
			seen["unverified only"] = true
		case len(o.unverified) > 0:
			seen["verified and unverified"] = true
		default:
			seen["verified"] = true
		}
	}
	for _, want := range []string{
		"*errors.errorString malformed note",
		"*errors.errorString verifier name or hash doesn't match signature",
		"*errors.errorString the keyring is broken",
		fmt.Sprintf("*note.InvalidSignatureError invalid signature for key alice+%08x", alice.verifier.KeyHash()),
		"unverified only", "verified and unverified", "verified",
	} {
		if !seen[want] {
			t.Errorf("no seed gives %q; the seeds gave %v", want, seen)
		}
	}
}

// BenchmarkOpenNote compares reading a signed note with openNote and with
// note.Open, its signature not verified (no keys).
func BenchmarkOpenNote(b *testing.B) {
	k := newNoteKey(b, "alice", 1)
	msg, err := note.Sign(&note.Note{Text: "sulh/1\n" + strings.Repeat(`{"kind":"report","text":"a place"}`, 20) + "\n"}, k.signer)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("openNote", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := openNote(msg, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("note.Open", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := note.Open(msg, nil); err == nil {
				b.Fatal("a note with no known key opened")
			}
		}
	})
}
