package ledger_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
)

// TestWitnessPolicy attacks the check of a checkpoint's cosignatures.
func TestWitnessPolicy(t *testing.T) {
	const origin = "example.org/sulh/witness-test"
	logSigner, logVerifier := noteKey(t, origin)
	_, otherLog := noteKey(t, "example.org/another-log")
	w1, w2, w3 := cosigner(t, "w1.example/w"), cosigner(t, "w2.example/w"), cosigner(t, "w3.example/w")
	text := torchwood.Checkpoint{Origin: origin, Tree: tlog.Tree{N: 7, Hash: tlog.Hash{7}}}.String()
	sign := func(signers ...note.Signer) []byte {
		b, err := note.Sign(&note.Note{Text: text}, signers...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	p, err := ledger.NewWitnessPolicy(2, []string{w1.Verifier().String(), w2.Verifier().String(), w3.Verifier().String()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		signed []byte
		key    note.Verifier
		want   string // "" for a pass
		by     string
	}{
		{"two of three", sign(logSigner, w1, w3), logVerifier, "", "w1.example/w w3.example/w"},
		{"all three", sign(logSigner, w1, w2, w3), logVerifier, "", "w1.example/w w2.example/w w3.example/w"},
		{"one of three", sign(logSigner, w2), logVerifier, "needs valid cosignatures by 2 of the witnesses w1.example/w, w2.example/w, w3.example/w, and has them by only w2.example/w", "w2.example/w"},
		{"none", sign(logSigner), logVerifier, "has them by none of them", ""},
		{"the witnesses without the log", sign(w1, w2), logVerifier, "does not verify with the log key", ""},
		{"another log's key", sign(logSigner, w1, w2), otherLog, "does not verify with the log key", ""},
		{"a forged cosignature", append(sign(logSigner, w1), "— w2.example/w "+forged(t, w2)+"\n"...), logVerifier, "signature by w2.example/w does not verify", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, by, err := p.CheckCheckpoint(tc.signed, tc.key)
			if tc.want == "" {
				if err != nil || c.N != 7 {
					t.Fatalf("got %v, %v", c, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			if strings.Join(by, " ") != tc.by {
				t.Errorf("cosigned by %v, want %q", by, tc.by)
			}
			if strings.Contains(tc.want, "needs valid cosignatures") && !errors.Is(err, ledger.ErrTooFewCosignatures) {
				t.Errorf("%v is not ErrTooFewCosignatures", err)
			}
		})
	}
	for _, tc := range []struct {
		name   string
		quorum int
		keys   []string
		want   string
	}{
		{"no witness", 1, nil, "at least one witness"},
		{"quorum zero", 0, []string{w1.Verifier().String()}, "from 1 to 1"},
		{"quorum above", 2, []string{w1.Verifier().String()}, "from 1 to 1"},
		{"a key twice", 1, []string{w1.Verifier().String(), w1.Verifier().String()}, "two witness keys are named"},
		{"a signed-note key", 1, []string{logVerifier.Name() + "+00000000+AAAA"}, "not a c2sp.org/tlog-cosignature verifier key"},
	} {
		if _, err := ledger.NewWitnessPolicy(tc.quorum, tc.keys); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	if p, err := ledger.RulebookWitnessPolicy(&mechanism.Rulebook{}); p != nil || err != nil {
		t.Errorf("a rulebook without witnesses gives %v, %v", p, err)
	}
	p, err = ledger.RulebookWitnessPolicy(&mechanism.Rulebook{Witnesses: &mechanism.Witnesses{Quorum: 1, List: []mechanism.Witness{{ID: "un", Name: "UN", Key: w1.Verifier().String()}}}})
	if err != nil || p.String() != "1 of the witnesses un" {
		t.Errorf("the rulebook's policy: %v, %v", p, err)
	}
}

func noteKey(t *testing.T, name string) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
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
	return s, v
}

func cosigner(t *testing.T, name string) *torchwood.CosignatureSigner {
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

// forged returns the base64 of a cosignature with s's key hash, a time
// and a signature of zeros.
func forged(t *testing.T, s *torchwood.CosignatureSigner) string {
	t.Helper()
	b := make([]byte, 4+8+64)
	h := s.KeyHash()
	b[0], b[1], b[2], b[3] = byte(h>>24), byte(h>>16), byte(h>>8), byte(h)
	b[11] = 1
	return base64.StdEncoding.EncodeToString(b)
}
