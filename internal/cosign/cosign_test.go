package cosign_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/cosign"
)

const origin = "example.org/sulh/test"

// checkpoint returns a checkpoint of a tree of n entries signed by a new
// log key.
func checkpoint(t testing.TB, n int64) []byte {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	text := torchwood.Checkpoint{Origin: origin, Tree: tlog.Tree{N: n, Hash: tlog.Hash{1, 2, 3}}}.String()
	signed, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// cosigner returns a witness's signer named name.
func cosigner(t testing.TB, name string) *torchwood.CosignatureSigner {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := torchwood.NewCosignatureSigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// answer returns the signature lines a witness would answer with.
func answer(t testing.TB, signed []byte, signers ...note.Signer) []byte {
	t.Helper()
	text, _, _ := strings.Cut(string(signed), "\n\n")
	out, err := note.Sign(&note.Note{Text: text + "\n"}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	_, sigs, _ := strings.Cut(string(out), "\n\n")
	return []byte(sigs)
}

func TestAddCheckpointBody(t *testing.T) {
	signed := checkpoint(t, 5)
	proof := tlog.TreeProof{{1}, {2}}
	got := string(cosign.AddCheckpointBody(3, proof, signed))
	want := "old 3\n" + proof[0].String() + "\n" + proof[1].String() + "\n\n" + string(signed)
	if got != want {
		t.Errorf("body:\n%s\nwant:\n%s", got, want)
	}
	if got := string(cosign.AddCheckpointBody(0, nil, signed)); got != "old 0\n\n"+string(signed) {
		t.Errorf("body from 0:\n%s", got)
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"3\n", 3, true},
		{"0\n", 0, true},
		{"9223372036854775807\n", 9223372036854775807, true},
		{"3", 0, false},
		{"03\n", 0, false},
		{"-1\n", 0, false},
		{"+1\n", 0, false},
		{"\n", 0, false},
		{"", 0, false},
		{"3\n\n", 0, false},
		{"1 2\n", 0, false},
		{"99999999999999999999\n", 0, false},
		{"<html>conflict</html>\n", 0, false},
	} {
		got, err := cosign.ParseSize([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestCosignature attacks the check of a witness's answer.
func TestCosignature(t *testing.T) {
	signed := checkpoint(t, 5)
	w, other := cosigner(t, "w1.example/witness"), cosigner(t, "w2.example/witness")
	impostor := cosigner(t, "w1.example/witness") // the same name, another key
	good := answer(t, signed, w)

	line, err := cosign.Cosignature(signed, good, w.Verifier())
	if err != nil || line != string(good) {
		t.Fatalf("a good answer: %q, %v", line, err)
	}
	// Lines by other keys are ignored, as the spec says.
	if line, err := cosign.Cosignature(signed, answer(t, signed, other, w), w.Verifier()); err != nil || line != string(good) && !strings.HasPrefix(line, "— w1.example/witness ") {
		t.Errorf("an answer with another witness's line too: %q, %v", line, err)
	}
	for _, tc := range []struct {
		name, answer, want string
	}{
		{"empty", "", "not signature lines"},
		{"no newline at the end", strings.TrimSuffix(string(good), "\n"), "not signature lines"},
		{"not a signature line", "hello\n", "not signature lines"},
		{"a line before", "old 3\n" + string(good), "not signature lines"},
		{"another witness only", string(answer(t, signed, other)), "no verifiable signatures"},
		{"an impostor with the witness's name", string(answer(t, signed, impostor)), "no verifiable signatures"},
		{"a cosignature of another checkpoint", string(answer(t, checkpoint(t, 6), w)), "invalid signature"},
		{"a plain signature by the witness's name", "— w1.example/witness AAAAAAAA\n", "no verifiable signatures"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line, err := cosign.Cosignature(signed, []byte(tc.answer), w.Verifier())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, %v; want an error with %q", line, err, tc.want)
			}
		})
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"3\n", "0\n", "03\n", "-1\n", "", "18446744073709551616\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := cosign.ParseSize(b)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d", b, n)
		}
		if got, err := cosign.ParseSize([]byte(strings.TrimSuffix(string(b), "\n") + "\n")); err != nil || got != n {
			t.Fatalf("ParseSize(%q) again = %d, %v", b, got, err)
		}
	})
}

func FuzzCosignature(f *testing.F) {
	signed := checkpoint(f, 5)
	w := cosigner(f, "w1.example/witness")
	good := answer(f, signed, w)
	f.Add(good)
	f.Add([]byte("— w1.example/witness AAAA\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, answer []byte) {
		line, err := cosign.Cosignature(signed, answer, w.Verifier())
		if err != nil {
			return
		}
		// Whatever it accepts is a line that verifies with the witness's key.
		n, err := note.Open(append(append([]byte{}, signed...), line...), note.VerifierList(w.Verifier()))
		if err != nil || len(n.Sigs) != 1 {
			t.Fatalf("accepted %q, which does not verify: %v", line, err)
		}
	})
}
